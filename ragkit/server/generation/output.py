"""What happens to a model's text on its way out: stop sequences, the output token
budget, and cutting a response into stream chunks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragkit.tokenizers import count_tokens, get_encoding
from ragkit.types import Candidate, Content, FinishReason, GenerateContentResponse, Part

__all__ = ["limit_text", "stream_chunks", "text_pieces"]

# A sentence (or line) with the whitespace after it, so pieces join back to the text.
_PIECE = re.compile(r"[^.!?\n]*(?:[.!?\n]+[\"')\]]*\s*|$)")


def limit_text(
    text: str, stop_sequences: Sequence[str], max_output_tokens: int | None
) -> tuple[str, FinishReason]:
    """Cut ``text`` at the first stop sequence, then to ``max_output_tokens`` tokens.

    A stop sequence ends the text before it (finish reason STOP); running out of tokens
    gives MAX_TOKENS.
    """
    cut = min((i for i in (text.find(s) for s in stop_sequences) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut]
    if max_output_tokens is not None and count_tokens(text) > max_output_tokens:
        encoding = get_encoding()
        tokens = encoding.encode_ordinary(text)[:max_output_tokens]
        # A token boundary may split a multi-byte character; drop the broken tail.
        return encoding.decode(tokens).rstrip("\ufffd"), FinishReason.MAX_TOKENS
    return text, FinishReason.STOP


def text_pieces(text: str) -> list[str]:
    """``text`` split after each sentence or line; the pieces concatenate to ``text``."""
    pieces = [m.group(0) for m in _PIECE.finditer(text) if m.group(0)]
    return pieces or [text]


def stream_chunks(response: GenerateContentResponse) -> list[GenerateContentResponse]:
    """A complete response as the chunks of a stream: one piece of one candidate's text
    per chunk; the last chunk of each candidate carries its finish reason, and the very
    last chunk the usage metadata. Every chunk names the model version and response id.
    """
    chunks: list[GenerateContentResponse] = []
    for candidate in response.candidates or []:
        parts = candidate.content.parts if candidate.content is not None else None
        text = "".join(p.text or "" for p in parts or [])
        pieces = text_pieces(text)
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            chunk = Candidate(
                content=Content(role="model", parts=[Part(text=piece)]),
                index=candidate.index,
                finish_reason=candidate.finish_reason if last else None,
                # As Google streams it: with the candidate's last chunk, offsets into
                # the whole text.
                grounding_metadata=candidate.grounding_metadata if last else None,
            )
            chunks.append(
                GenerateContentResponse(
                    candidates=[chunk],
                    model_version=response.model_version,
                    response_id=response.response_id,
                )
            )
    if not chunks:
        return [response]
    chunks[-1] = chunks[-1].model_copy(update={"usage_metadata": response.usage_metadata})
    return chunks
