"""The PaLM methods (``generateText``, ``generateMessage``, ``countTextTokens``,
``countMessageTokens``) mapped onto the local composer.

* ``generateText``: the prompt is one user turn; its last question (or sentence) is
  answered from the rest of the prompt, exactly as ``generateContent`` would.
* ``generateMessage``: ``context`` becomes the system instruction, each example an
  earlier user/model exchange, and ``messages`` the conversation; the author of the last
  message is the user, any other author the model. The reply's author is the other
  author of the conversation (``"1"`` when there is none).

Ranges are the PaLM ones: temperature 0..1, ``candidateCount`` 1..8, at most 5 stop
sequences, and the PaLM safety categories (``HARM_CATEGORY_DEROGATORY``...), validated
but never blocking. Token counts use the same tokenizer as ``countTokens``.
"""

from __future__ import annotations

from ragkit.server.errors import invalid_argument
from ragkit.server.generation.checks import PALM_CATEGORIES, check_safety_settings, check_sampling
from ragkit.server.generation.local import LocalGenerativeModel
from ragkit.server.principal import Principal
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    Content,
    CountMessageTokensRequest,
    CountMessageTokensResponse,
    CountTextTokensRequest,
    CountTextTokensResponse,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerateMessageRequest,
    GenerateMessageResponse,
    GenerateTextRequest,
    GenerateTextResponse,
    GenerationConfig,
    Message,
    MessagePrompt,
    Model,
    Part,
    TextCompletion,
)

__all__ = ["LegacyModels"]

_MAX_PALM_TEMPERATURE = 1.0


def _prompt_text(prompt_text: str | None) -> str:
    if not prompt_text or not prompt_text.strip():
        raise invalid_argument("Invalid value at 'prompt.text': a prompt text is required.")
    return prompt_text


def _texts(response: GenerateContentResponse) -> list[str]:
    texts = []
    for candidate in response.candidates or []:
        parts = candidate.content.parts if candidate.content is not None else None
        texts.append("".join(p.text or "" for p in parts or []))
    return texts


def _turn(role: str, text: str | None, where: str) -> Content:
    if not text or not text.strip():
        raise invalid_argument(f"Invalid value at '{where}.content': required.")
    return Content(role=role, parts=[Part(text=text)])


def _message_request(prompt: MessagePrompt) -> tuple[GenerateContentRequest, str]:
    """The generateContent form of a PaLM chat prompt, and the author of the reply."""
    messages = prompt.messages or []
    if not messages:
        raise invalid_argument("Invalid value at 'prompt.messages': at least one is required.")
    user = messages[-1].author or "0"
    others = [m.author for m in messages if m.author and m.author != user]
    contents: list[Content] = []
    for i, example in enumerate(prompt.examples or []):
        where = f"prompt.examples[{i}]"
        contents.append(_turn("user", example.input.content if example.input else None, where))
        contents.append(_turn("model", example.output.content if example.output else None, where))
    for i, message in enumerate(messages):
        role = "user" if (message.author or "0") == user else "model"
        contents.append(_turn(role, message.content, f"prompt.messages[{i}]"))
    context = prompt.context
    system = Content(parts=[Part(text=context)]) if context and context.strip() else None
    request = GenerateContentRequest(contents=contents, system_instruction=system)
    return request, others[-1] if others else ("1" if user == "0" else "0")


def _message_tokens(prompt: MessagePrompt | None) -> int:
    if prompt is None or not prompt.messages:
        raise invalid_argument("Invalid value at 'prompt.messages': at least one is required.")
    texts = [prompt.context or ""]
    for example in prompt.examples or []:
        texts += [m.content or "" for m in (example.input, example.output) if m is not None]
    texts += [m.content or "" for m in prompt.messages]
    return sum(count_tokens(t) for t in texts)


class LegacyModels:
    """The PaLM generation and token methods over a :class:`LocalGenerativeModel`."""

    def __init__(self, local: LocalGenerativeModel) -> None:
        self.local = local

    def generate_text(
        self, who: Principal, model: Model, request: GenerateTextRequest
    ) -> GenerateTextResponse:
        """``models/{m}:generateText`` on ``model`` (``models/text-bison-001``).

        Raises:
            ApiError: INVALID_ARGUMENT for a missing prompt or fields out of range.
        """
        text = _prompt_text(request.prompt.text if request.prompt else None)
        sampling = check_sampling(
            candidate_count=request.candidate_count,
            stop_sequences=request.stop_sequences,
            max_output_tokens=request.max_output_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            top_k=request.top_k,
            output_token_limit=model.output_token_limit or 1,
            max_temperature=_MAX_PALM_TEMPERATURE,
        )
        check_safety_settings(request.safety_settings, PALM_CATEGORIES)
        config = GenerationConfig(
            candidate_count=sampling.candidate_count,
            stop_sequences=list(sampling.stop_sequences) or None,
            max_output_tokens=sampling.max_output_tokens,
            temperature=sampling.temperature,
        )
        inner = GenerateContentRequest(
            contents=[Content(role="user", parts=[Part(text=text)])], generation_config=config
        )
        response = self.local.generate(who, model, inner)
        return GenerateTextResponse(candidates=[TextCompletion(output=t) for t in _texts(response)])

    def generate_message(
        self, who: Principal, model: Model, request: GenerateMessageRequest
    ) -> GenerateMessageResponse:
        """``models/{m}:generateMessage`` on ``model`` (``models/chat-bison-001``).

        Raises:
            ApiError: INVALID_ARGUMENT for a missing prompt, empty messages or fields
                out of range.
        """
        if request.prompt is None:
            raise invalid_argument("Invalid value at 'prompt': a prompt is required.")
        sampling = check_sampling(
            candidate_count=request.candidate_count,
            stop_sequences=None,
            max_output_tokens=None,
            temperature=request.temperature,
            top_p=request.top_p,
            top_k=request.top_k,
            output_token_limit=model.output_token_limit or 1,
            max_temperature=_MAX_PALM_TEMPERATURE,
        )
        inner, author = _message_request(request.prompt)
        inner = inner.model_copy(
            update={
                "generation_config": GenerationConfig(
                    candidate_count=sampling.candidate_count, temperature=sampling.temperature
                )
            }
        )
        response = self.local.generate(who, model, inner)
        return GenerateMessageResponse(
            candidates=[Message(author=author, content=t) for t in _texts(response)],
            messages=list(request.prompt.messages or []),
        )

    def count_text_tokens(self, request: CountTextTokensRequest) -> CountTextTokensResponse:
        """``models/{m}:countTextTokens``.

        Raises:
            ApiError: INVALID_ARGUMENT for a missing prompt.
        """
        text = _prompt_text(request.prompt.text if request.prompt else None)
        return CountTextTokensResponse(token_count=count_tokens(text))

    def count_message_tokens(
        self, request: CountMessageTokensRequest
    ) -> CountMessageTokensResponse:
        """``models/{m}:countMessageTokens``: context, examples and messages.

        Raises:
            ApiError: INVALID_ARGUMENT for a prompt without messages.
        """
        return CountMessageTokensResponse(token_count=_message_tokens(request.prompt))
