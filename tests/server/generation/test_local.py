"""The local grounded composer: where it reads context from, and what it refuses."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from ragkit.server.catalog import LOCAL_MODEL, build_catalog
from ragkit.server.errors import ApiError, not_found
from ragkit.server.generation.local import NO_ANSWER, NO_CONTEXT, LocalGenerativeModel
from ragkit.server.generation.tokens import count_request_tokens, count_tokens_response
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    CachedContent,
    CountTokensRequest,
    GenerateContentRequest,
    GenerateContentResponse,
    Model,
)
from ragkit.types.status import Code

FACTS = "The Eiffel Tower is in Paris. It was completed in 1889 for the World's Fair."
VAULT = "The vault code is 4521."


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose only content is ``text`` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class FakeResolver:
    """Files and cached contents from dicts; records who asked."""

    def __init__(self) -> None:
        self.files = {"files/vault": ("text/plain", VAULT)}
        self.caches = {
            "cachedContents/facts": CachedContent(
                name="cachedContents/facts",
                model=LOCAL_MODEL,
                system_instruction={"parts": [{"text": FACTS}]},  # type: ignore[arg-type]
            )
        }
        self.callers: list[Principal] = []

    def file_text(self, who: Principal, file_uri: str) -> tuple[str, str]:
        self.callers.append(who)
        if file_uri not in self.files:
            raise not_found(f"File {file_uri} not found.")
        return self.files[file_uri]

    def cached_content(self, who: Principal, name: str) -> CachedContent:
        self.callers.append(who)
        if name not in self.caches:
            raise not_found(f"{name} not found.")
        return self.caches[name]


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(load_embedder("hash"))


@pytest.fixture(scope="module")
def model() -> Model:
    return build_catalog(load_embedder("hash")).get(LOCAL_MODEL)


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def local(answerer: Answerer, resolver: FakeResolver) -> LocalGenerativeModel:
    return LocalGenerativeModel(answerer, resolver)


def ask(local: LocalGenerativeModel, entry: Model, **body: Any) -> GenerateContentResponse:
    request = GenerateContentRequest.model_validate(body)
    return local.generate(LOCAL_USER, entry, request)


def texts(response: GenerateContentResponse) -> list[str]:
    return [c.content.parts[0].text or "" for c in response.candidates or []]  # type: ignore[union-attr,index]


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts)}


def test_answers_from_earlier_turns(local: LocalGenerativeModel, model: Model) -> None:
    contents = [
        user({"text": FACTS}),
        {"role": "model", "parts": [{"text": "Noted."}]},
        user({"text": "When was the Eiffel Tower completed?"}),
    ]

    (text,) = texts(ask(local, model, contents=contents))

    assert "1889" in text


def test_question_inside_a_long_last_turn(local: LocalGenerativeModel, model: Model) -> None:
    prompt = f"{VAULT} Bananas are yellow. What is the vault code?"

    (text,) = texts(ask(local, model, contents=[user({"text": prompt})]))

    assert "4521" in text


def test_inline_text_and_pdf(local: LocalGenerativeModel, model: Model) -> None:
    pdf = base64.b64encode(tiny_pdf(VAULT)).decode()
    note = base64.b64encode(FACTS.encode()).decode()
    parts_pdf = [{"inlineData": {"mimeType": "application/pdf", "data": pdf}}]
    parts_txt = [{"inlineData": {"mimeType": "text/plain", "data": note}}]

    from_pdf = ask(local, model, contents=[user(*parts_pdf, {"text": "What is the vault code?"})])
    from_txt = ask(local, model, contents=[user(*parts_txt, {"text": "When was it completed?"})])

    assert "4521" in texts(from_pdf)[0]
    assert "1889" in texts(from_txt)[0]


def test_file_data_through_the_resolver(
    local: LocalGenerativeModel, model: Model, resolver: FakeResolver
) -> None:
    parts = [{"fileData": {"fileUri": "files/vault"}}, {"text": "What is the vault code?"}]

    response = ask(local, model, contents=[user(*parts)])

    assert "4521" in texts(response)[0]
    assert resolver.callers == [LOCAL_USER]


def test_unknown_file_is_the_resolvers_error(local: LocalGenerativeModel, model: Model) -> None:
    parts = [{"fileData": {"fileUri": "files/nope"}}, {"text": "Why?"}]

    with pytest.raises(ApiError) as caught:
        ask(local, model, contents=[user(*parts)])

    assert caught.value.code is Code.NOT_FOUND


def test_cached_content_is_context_and_counted(local: LocalGenerativeModel, model: Model) -> None:
    response = ask(
        local,
        model,
        contents=[user({"text": "When was the Eiffel Tower completed?"})],
        cachedContent="cachedContents/facts",
    )

    usage = response.usage_metadata
    assert "1889" in texts(response)[0]
    assert usage is not None and usage.cached_content_token_count == count_tokens(FACTS)
    assert usage.prompt_token_count == count_tokens(FACTS) + count_tokens(
        "When was the Eiffel Tower completed?"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "cachedContent": "cachedContents/facts",
                "systemInstruction": {"parts": [{"text": "x"}]},
            },
            "CachedContent can not be used",
        ),
        ({"cachedContent": "cachedContents/gone"}, "not found"),
    ],
)
def test_cached_content_misuse(
    local: LocalGenerativeModel, model: Model, body: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ApiError, match=fragment):
        ask(local, model, contents=[user({"text": "Q?"})], **body)


def test_cached_content_of_another_model(
    local: LocalGenerativeModel, resolver: FakeResolver
) -> None:
    alias = build_catalog(load_embedder("hash")).get("models/gemini-2.0-flash")

    with pytest.raises(ApiError, match="only be used with the model it was created for"):
        ask(local, alias, contents=[user({"text": "Q?"})], cachedContent="cachedContents/facts")


def test_without_resolver_file_and_cache_are_failed_precondition(
    answerer: Answerer, model: Model
) -> None:
    bare = LocalGenerativeModel(answerer)

    for body in (
        {"contents": [user({"fileData": {"fileUri": "files/vault"}}, {"text": "Q?"})]},
        {"contents": [user({"text": "Q?"})], "cachedContent": "cachedContents/facts"},
    ):
        with pytest.raises(ApiError) as caught:
            ask(bare, model, **body)
        assert caught.value.code is Code.FAILED_PRECONDITION


def test_no_context_and_no_answer_are_said_plainly(
    local: LocalGenerativeModel, model: Model
) -> None:
    bare = ask(local, model, contents=[user({"text": "Hello?"})])
    unanswerable = ask(
        local,
        model,
        systemInstruction={"parts": [{"text": FACTS}]},
        contents=[user({"text": "Who painted the Mona Lisa?"})],
    )

    assert texts(bare) == [NO_CONTEXT]
    assert texts(unanswerable) == [NO_ANSWER]


def test_candidates_are_deterministic_variants(local: LocalGenerativeModel, model: Model) -> None:
    context = (
        "Apples grow in orchards in Washington State.\n\n"
        "Bananas grow on large plants in the tropics.\n\n"
        "Apples also grow in orchards across Poland and China."
    )
    body = {
        "systemInstruction": {"parts": [{"text": context}]},
        "contents": [user({"text": "Where do apples grow?"})],
        "generationConfig": {"candidateCount": 3},
    }

    first, second = ask(local, model, **body), ask(local, model, **body)

    assert texts(first) == texts(second)
    assert len(set(texts(first))) >= 2
    assert [c.index for c in first.candidates or []] == [0, 1, 2]


@pytest.mark.parametrize(
    ("contents", "fragment"),
    [
        ([user({"text": "Q?"}), {"role": "model", "parts": [{"text": "A"}]}], "user's turn"),
        ([{"role": "robot", "parts": [{"text": "Q?"}]}], "valid role"),
        ([{"role": "user", "parts": []}], "contents[0].parts"),
        ([], "at least one content"),
        ([user({"inlineData": {"mimeType": "image/png", "data": "AAAA"}})], "no text"),
    ],
)
def test_rejects_bad_turns(
    local: LocalGenerativeModel, model: Model, contents: list[Any], fragment: str
) -> None:
    with pytest.raises(ApiError, match=re.escape(fragment)):
        ask(local, model, contents=contents)


def test_input_token_limit(local: LocalGenerativeModel, model: Model) -> None:
    small = model.model_copy(update={"input_token_limit": 5})

    with pytest.raises(ApiError, match=r"input token count \(\d+\) exceeds the maximum .* \(5\)"):
        ask(local, small, contents=[user({"text": FACTS})])


def test_body_model_must_match(local: LocalGenerativeModel, model: Model) -> None:
    with pytest.raises(ApiError, match="'model'"):
        ask(local, model, model="models/aqa", contents=[user({"text": "Q?"})])


def test_request_tokens_count_media_and_tools(resolver: FakeResolver) -> None:
    request = GenerateContentRequest.model_validate(
        {
            "contents": [
                user({"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": "AAAA"}})
            ],
            "tools": [{"functionDeclarations": [{"name": "lookup", "description": "Find."}]}],
        }
    )

    tokens = count_request_tokens(request, LOCAL_MODEL, LOCAL_USER, resolver)

    assert tokens.total > count_tokens("hi") + 258
    assert tokens.cached == 0


def test_count_tokens_reports_cached_tokens(resolver: FakeResolver) -> None:
    request = CountTokensRequest.model_validate(
        {
            "generateContentRequest": {
                "model": LOCAL_MODEL,
                "contents": [user({"text": "Q?"})],
                "cachedContent": "cachedContents/facts",
            }
        }
    )

    counted = count_tokens_response(request, LOCAL_MODEL, LOCAL_USER, resolver)

    assert counted.cached_content_token_count == count_tokens(FACTS)
    assert counted.total_tokens == count_tokens(FACTS) + count_tokens("Q?")


def test_count_tokens_needs_input(resolver: FakeResolver) -> None:
    with pytest.raises(ApiError, match="needs 'contents' or 'generateContentRequest'"):
        count_tokens_response(CountTokensRequest(), LOCAL_MODEL, LOCAL_USER, resolver)


def test_a_huge_input_is_refused_before_tokenising(
    local: LocalGenerativeModel, model: Model
) -> None:
    huge = "x" * ((model.input_token_limit or 0) * 128 + 1)
    with pytest.raises(ApiError, match=r"characters long, more than the maximum number of tokens"):
        ask(local, model, contents=[user({"text": huge})])
