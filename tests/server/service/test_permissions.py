"""Roles and permissions: the owner/writer/reader/group/everyone/stranger matrix."""

from __future__ import annotations

import pytest

from ragkit.server.principal import Principal
from ragkit.server.service import RetrieverService
from ragkit.types import (
    Code,
    Content,
    Corpus,
    Document,
    GenerateAnswerRequest,
    GranteeType,
    Part,
    Permission,
    QueryCorpusRequest,
    QueryDocumentRequest,
    Role,
    SemanticRetrieverConfig,
)

from .conftest import ALICE, BOB, OWNER, STRANGER, chunk, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

C = "corpora/c"
DOC = "corpora/c/documents/d"


def grant(
    service: RetrieverService, who: Principal, kind: GranteeType, email: str | None, role: Role
) -> Permission:
    return service.create_permission(
        who, C, Permission(grantee_type=kind, email_address=email, role=role)
    )


@pytest.fixture
def shared(service: RetrieverService) -> RetrieverService:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, C, Document(name="d"))
    service.create_chunk(OWNER, DOC, chunk("The lighthouse keeper lit the lamp at dusk."))
    grant(service, OWNER, GranteeType.USER, "Alice@Example.com", Role.READER)
    grant(service, OWNER, GranteeType.GROUP, "team@example.com", Role.WRITER)
    return service


def _answer(service: RetrieverService, who: Principal) -> float:
    request = GenerateAnswerRequest(
        contents=[Content(parts=[Part(text="Who lit the lamp?")])],
        answer_style="EXTRACTIVE",
        semantic_retriever=SemanticRetrieverConfig(
            source=C, query=Content(parts=[Part(text="lamp")])
        ),
    )
    return service.generate_answer(who, "models/aqa", request).answerable_probability or 0.0


def test_creator_owns_the_corpus(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c"))
    listed = service.list_permissions(OWNER, C, page_size=None, page_token=None).permissions or []
    assert [(p.grantee_type, p.email_address, p.role) for p in listed] == [
        (GranteeType.USER, OWNER.email, Role.OWNER)
    ]
    assert listed[0].name is not None and listed[0].name.startswith("corpora/c/permissions/")
    assert service.get_permission(OWNER, listed[0].name) == listed[0]


def test_reader_reads_but_cannot_write(shared: RetrieverService) -> None:
    s = shared
    assert s.get_corpus(ALICE, C).name == C  # email matched case-insensitively
    assert [
        c.name for c in s.list_corpora(ALICE, page_size=None, page_token=None).corpora or []
    ] == [C]
    assert len(s.list_documents(ALICE, C, page_size=None, page_token=None).documents or []) == 1
    s.get_document(ALICE, DOC)
    assert s.query_corpus(ALICE, C, QueryCorpusRequest(query="lamp")).relevant_chunks
    assert s.query_document(ALICE, DOC, QueryDocumentRequest(query="lamp")).relevant_chunks
    assert _answer(s, ALICE) >= 0.0
    denied = [
        lambda: s.create_document(ALICE, C, Document()),
        lambda: s.create_chunk(ALICE, DOC, chunk("x")),
        lambda: s.update_document(ALICE, DOC, Document(display_name="x"), "displayName"),
        lambda: s.delete_document(ALICE, DOC, force=True),
        lambda: s.update_corpus(ALICE, C, Corpus(display_name="x"), "displayName"),
        lambda: s.delete_corpus(ALICE, C, force=True),
        lambda: s.list_permissions(ALICE, C, page_size=None, page_token=None),
        lambda: grant(s, ALICE, GranteeType.USER, "x@example.com", Role.READER),
    ]
    for call in denied:
        raises(Code.PERMISSION_DENIED, call, "READER")


def test_group_writer_edits_and_shares_but_does_not_own(shared: RetrieverService) -> None:
    s = shared
    s.create_document(BOB, C, Document(name="e"))
    s.create_chunk(BOB, "corpora/c/documents/e", chunk("text"))
    s.update_document(BOB, "corpora/c/documents/e", Document(display_name="E"), "displayName")
    s.delete_document(BOB, "corpora/c/documents/e", force=True)
    reader = grant(s, BOB, GranteeType.USER, "carol@example.com", Role.READER)
    writer = s.update_permission(BOB, reader.name or "", Permission(role=Role.WRITER), "role")
    assert writer.role is Role.WRITER and writer.email_address == "carol@example.com"
    owner_perm = next(
        p
        for p in s.list_permissions(BOB, C, page_size=None, page_token=None).permissions or []
        if p.role is Role.OWNER
    )
    for call in (
        lambda: grant(s, BOB, GranteeType.USER, "dave@example.com", Role.OWNER),
        lambda: s.update_permission(BOB, reader.name or "", Permission(role=Role.OWNER), "role"),
        lambda: s.update_permission(
            BOB, owner_perm.name or "", Permission(role=Role.READER), "role"
        ),
        lambda: s.delete_permission(BOB, owner_perm.name or ""),
        lambda: s.update_corpus(BOB, C, Corpus(display_name="x"), "displayName"),
        lambda: s.delete_corpus(BOB, C, force=True),
    ):
        raises(Code.PERMISSION_DENIED, call)
    s.delete_permission(BOB, writer.name or "")


def test_stranger_learns_nothing(shared: RetrieverService) -> None:
    s = shared
    missing = raises(Code.PERMISSION_DENIED, lambda: s.get_corpus(STRANGER, "corpora/nope"))
    hidden = raises(Code.PERMISSION_DENIED, lambda: s.get_corpus(STRANGER, C))
    assert hidden.message == missing.message.replace("nope", "c")
    assert hidden.message == "Permission denied on resource corpora/c (or it may not exist)."
    assert not s.list_corpora(STRANGER, page_size=None, page_token=None).corpora
    raises(Code.PERMISSION_DENIED, lambda: s.get_document(STRANGER, DOC))
    raises(
        Code.PERMISSION_DENIED, lambda: s.query_corpus(STRANGER, C, QueryCorpusRequest(query="x"))
    )
    raises(Code.PERMISSION_DENIED, lambda: _answer(s, STRANGER))
    raises(Code.PERMISSION_DENIED, lambda: s.create_document(STRANGER, C, Document()))


def test_everyone_reader_makes_the_corpus_public(shared: RetrieverService) -> None:
    s = shared
    public = grant(s, OWNER, GranteeType.EVERYONE, None, Role.READER)
    assert public.email_address is None
    assert s.get_corpus(STRANGER, C).name == C
    raises(Code.PERMISSION_DENIED, lambda: s.create_document(STRANGER, C, Document()))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: s.update_permission(OWNER, public.name or "", Permission(role=Role.WRITER), "role"),
    )
    s.delete_permission(OWNER, public.name or "")
    raises(Code.PERMISSION_DENIED, lambda: s.get_corpus(STRANGER, C))


def test_effective_role_is_the_highest_match(shared: RetrieverService) -> None:
    s = shared
    both = Principal("alice@example.com", groups=frozenset({"TEAM@example.com"}))
    s.create_document(both, C, Document())  # READER as a user, WRITER through the group


def test_invalid_grants(shared: RetrieverService) -> None:
    s = shared
    cases = [
        Permission(grantee_type=GranteeType.EVERYONE, role=Role.WRITER),
        Permission(grantee_type=GranteeType.EVERYONE, role=Role.OWNER),
        Permission(grantee_type=GranteeType.EVERYONE, email_address="a@b.c", role=Role.READER),
        Permission(grantee_type=GranteeType.USER, role=Role.READER),
        Permission(grantee_type=GranteeType.GROUP, email_address="not-an-email", role=Role.READER),
        Permission(email_address="a@b.c", role=Role.READER),
        Permission(grantee_type=GranteeType.USER, email_address="a@b.c"),
        Permission(
            grantee_type=GranteeType.USER, email_address="a@b.c", role=Role.ROLE_UNSPECIFIED
        ),
    ]
    for permission in cases:
        raises(Code.INVALID_ARGUMENT, lambda p=permission: s.create_permission(OWNER, C, p))
    raises(
        Code.ALREADY_EXISTS,
        lambda: grant(s, OWNER, GranteeType.USER, "alice@example.com", Role.WRITER),
    )
    reader = grant(s, OWNER, GranteeType.USER, "x@example.com", Role.READER)
    for mask in (None, "", "granteeType", "role,emailAddress"):
        raises(
            Code.INVALID_ARGUMENT,
            lambda m=mask: s.update_permission(
                OWNER, reader.name or "", Permission(role=Role.WRITER), m
            ),
        )
    raises(Code.NOT_FOUND, lambda: s.get_permission(OWNER, "corpora/c/permissions/zzz"))
    raises(Code.NOT_FOUND, lambda: s.delete_permission(OWNER, "corpora/c/permissions/zzz"))


def test_last_owner_is_protected(shared: RetrieverService) -> None:
    s = shared
    mine = next(
        p
        for p in s.list_permissions(OWNER, C, page_size=None, page_token=None).permissions or []
        if p.role is Role.OWNER
    )
    raises(
        Code.FAILED_PRECONDITION, lambda: s.delete_permission(OWNER, mine.name or ""), "last OWNER"
    )
    demote = Permission(role=Role.WRITER)
    raises(
        Code.FAILED_PRECONDITION,
        lambda: s.update_permission(OWNER, mine.name or "", demote, "role"),
    )
    grant(s, OWNER, GranteeType.USER, "heir@example.com", Role.OWNER)
    assert s.update_permission(OWNER, mine.name or "", demote, "role").role is Role.WRITER
    raises(Code.PERMISSION_DENIED, lambda: s.delete_corpus(OWNER, C, force=True))
    s.delete_corpus(Principal("heir@example.com"), C, force=True)


def test_permission_listing_pages(shared: RetrieverService) -> None:
    s = shared
    for i in range(12):
        grant(s, OWNER, GranteeType.USER, f"user{i}@example.com", Role.READER)
    first = s.list_permissions(OWNER, C, page_size=None, page_token=None)
    assert len(first.permissions or []) == 10
    rest = s.list_permissions(OWNER, C, page_size=None, page_token=first.next_page_token)
    assert len(rest.permissions or []) == 5 and rest.next_page_token is None
    big = s.list_permissions(OWNER, C, page_size=5000, page_token=None)
    assert len(big.permissions or []) == 15
