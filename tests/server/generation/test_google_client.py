"""Google's own GenerativeServiceClient (REST transport) against a real ``ragkit serve``.

The generated client sends ``$alt=json;enum-encoding=int``, percent-encodes the colon of
``:generateContent``, reads ``streamGenerateContent`` as one JSON array and parses every
message with protobuf's json_format, so this pins the wire format end to end.
"""

from __future__ import annotations

from collections.abc import Iterator

import google.ai.generativelanguage_v1beta as glm
import pytest
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials

from ragkit.tokenizers import count_tokens

from ..http.serving import ServerProcess, serve

pytestmark = pytest.mark.slow

CONTEXT = "The Eiffel Tower is in Paris. It was completed in 1889 for the World's Fair."
QUESTION = "When was the Eiffel Tower completed?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("genai") / "data"
    with serve(data, "--embedder", "hash") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> glm.GenerativeServiceClient:
    return glm.GenerativeServiceClient(
        transport="rest",
        client_options=ClientOptions(api_endpoint=server.url),
        credentials=AnonymousCredentials(),
    )


def _request(model: str, **config: int) -> glm.GenerateContentRequest:
    return glm.GenerateContentRequest(
        model=model,
        system_instruction=glm.Content(parts=[glm.Part(text=CONTEXT)]),
        contents=[glm.Content(role="user", parts=[glm.Part(text=QUESTION)])],
        generation_config=glm.GenerationConfig(**config),
    )


def test_generate_content(client: glm.GenerativeServiceClient) -> None:
    response = client.generate_content(_request("models/gemini-2.0-flash", candidate_count=2))

    assert len(response.candidates) == 2
    assert "1889" in response.candidates[0].content.parts[0].text
    assert response.candidates[0].finish_reason == glm.Candidate.FinishReason.STOP
    assert response.usage_metadata.total_token_count > response.usage_metadata.prompt_token_count
    assert response.model_version == "ragkit-local-001"


def test_stream_generate_content(client: glm.GenerativeServiceClient) -> None:
    chunks = list(client.stream_generate_content(_request("models/ragkit-local")))

    assert len(chunks) >= 2
    assert "1889" in "".join(c.candidates[0].content.parts[0].text for c in chunks)
    assert chunks[-1].usage_metadata.total_token_count > 0


def test_max_tokens_finish_reason(client: glm.GenerativeServiceClient) -> None:
    response = client.generate_content(_request("models/ragkit-local", max_output_tokens=2))

    assert response.candidates[0].finish_reason == glm.Candidate.FinishReason.MAX_TOKENS


def test_embed_content_and_count_tokens(client: glm.GenerativeServiceClient) -> None:
    embedded = client.embed_content(
        glm.EmbedContentRequest(
            model="models/text-embedding-004",
            content=glm.Content(parts=[glm.Part(text="red apples")]),
            task_type=glm.TaskType.RETRIEVAL_QUERY,
            output_dimensionality=32,
        )
    )
    counted = client.count_tokens(
        glm.CountTokensRequest(
            model="models/ragkit-local",
            contents=[glm.Content(role="user", parts=[glm.Part(text=QUESTION)])],
        )
    )

    assert len(embedded.embedding.values) == 32
    assert counted.total_tokens == count_tokens(QUESTION)


def test_errors_arrive_as_google_exceptions(client: glm.GenerativeServiceClient) -> None:
    with pytest.raises(gexc.BadRequest, match="candidateCount"):
        client.generate_content(_request("models/ragkit-local", candidate_count=9))
    with pytest.raises(gexc.NotFound, match="ListModels"):
        client.generate_content(_request("models/gemini-1.5-pro"))
    with pytest.raises(gexc.BadRequest, match="candidateCount"):
        list(client.stream_generate_content(_request("models/ragkit-local", candidate_count=9)))


def _legacy(cls: type, server: ServerProcess) -> object:
    return cls(
        transport="rest",
        client_options=ClientOptions(api_endpoint=server.url),
        credentials=AnonymousCredentials(),
    )


def test_legacy_text_service(server: ServerProcess) -> None:
    text: glm.TextServiceClient = _legacy(glm.TextServiceClient, server)  # type: ignore[assignment]
    prompt = glm.TextPrompt(text=f"{CONTEXT} {QUESTION}")
    generated = text.generate_text(model="models/text-bison-001", prompt=prompt)
    assert "1889" in generated.candidates[0].output
    counted = text.count_text_tokens(model="models/text-bison-001", prompt=prompt)
    assert counted.token_count == count_tokens(prompt.text)
    embedded = text.embed_text(model="models/embedding-gecko-001", text="Paris")
    assert len(embedded.embedding.value) == 384
    batch = text.batch_embed_text(model="models/embedding-gecko-001", texts=["a", "b"])
    assert [len(e.value) for e in batch.embeddings] == [384, 384]


def test_legacy_discuss_service(server: ServerProcess) -> None:
    discuss: glm.DiscussServiceClient = _legacy(glm.DiscussServiceClient, server)  # type: ignore[assignment]
    prompt = glm.MessagePrompt(
        context=CONTEXT, messages=[glm.Message(author="user", content=QUESTION)]
    )
    reply = discuss.generate_message(model="models/chat-bison-001", prompt=prompt)
    assert "1889" in reply.candidates[0].content
    counted = discuss.count_message_tokens(model="models/chat-bison-001", prompt=prompt)
    assert counted.token_count > 0
