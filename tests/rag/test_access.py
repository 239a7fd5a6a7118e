"""Access as code against a two-principal server: grant/revoke/change, plan/apply, EVERYONE."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.rag import access
from ragkit.rag.access import AccessError, Grantee
from ragkit.server.embedded import EmbeddedServer

AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]

[[principal]]
email = "bob@example.com"
groups = ["eng@example.com"]
api_keys = ["bob-key"]
"""
HANDBOOK = """
[[corpus]]
name = "corpora/handbook"
readers = ["carol@example.com", "group:eng@example.com", "everyone"]
writers = ["bob@example.com"]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """Alice owns corpora/handbook; bob (in group eng) has no access yet."""
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH, encoding="utf-8")
    with EmbeddedServer(tmp_path / "data", embedder="hash", auth_file=auth) as running:
        with ragkit.Client(base_url=running.base_url, api_key="alice-key") as alice:
            alice.corpora.create(name="handbook")
        yield running


@pytest.fixture
def two_users(server: EmbeddedServer) -> Iterator[tuple[ragkit.Client, ragkit.Client]]:
    alice = ragkit.Client(base_url=server.base_url, api_key="alice-key", max_retries=0)
    bob = ragkit.Client(base_url=server.base_url, api_key="bob-key", max_retries=0)
    with alice, bob:
        yield alice, bob


@pytest.fixture
async def async_users(
    server: EmbeddedServer,
) -> AsyncIterator[tuple[ragkit.AsyncClient, ragkit.AsyncClient]]:
    alice = ragkit.AsyncClient(base_url=server.base_url, api_key="alice-key", max_retries=0)
    bob = ragkit.AsyncClient(base_url=server.base_url, api_key="bob-key", max_retries=0)
    async with alice, bob:
        yield alice, bob


def _roles(client: ragkit.Client) -> dict[str, str]:
    return {str(e.grantee): e.role for e in access.list_access(client, "handbook")}


def test_grant_change_revoke_and_list(two_users: tuple[ragkit.Client, ragkit.Client]) -> None:
    alice, bob = two_users
    with pytest.raises(ragkit.PermissionDeniedError):
        bob.corpora.get("handbook")
    entry = access.grant(alice, "handbook", "bob@example.com")
    assert (entry.role, entry.permission_name.startswith("corpora/handbook/permissions/")) == (
        "READER", True
    )  # fmt: skip
    assert bob.corpora.get("handbook").name == "corpora/handbook"
    access.change_role(alice, "corpora/handbook", "BOB@example.com", "writer")
    assert _roles(alice) == {"alice@example.com": "OWNER", "bob@example.com": "WRITER"}
    assert [str(e.grantee) for e in access.revoke(alice, "handbook", "bob@example.com")] == [
        "bob@example.com"
    ]
    assert access.revoke(alice, "handbook", "bob@example.com") == []
    with pytest.raises(AccessError, match="no permission"):
        access.change_role(alice, "handbook", "bob@example.com", "READER")


def test_everyone_only_as_reader(two_users: tuple[ragkit.Client, ragkit.Client]) -> None:
    alice, _ = two_users
    for role in ("WRITER", "OWNER"):
        with pytest.raises(AccessError, match="everyone can only be granted READER"):
            access.grant(alice, "handbook", "everyone", role)
    access.grant(alice, "handbook", "everyone")
    with pytest.raises(AccessError, match="everyone can only be granted READER"):
        access.change_role(alice, "handbook", "everyone", "WRITER")
    assert _roles(alice)["everyone"] == "READER"


def test_plan_then_apply_converges(
    two_users: tuple[ragkit.Client, ragkit.Client], tmp_path: Path
) -> None:
    alice, bob = two_users
    file = tmp_path / "access.toml"
    file.write_text(HANDBOOK, encoding="utf-8")
    planned = access.plan(alice, file)
    assert [c.describe() for c in planned] == [
        "+ grant READER to carol@example.com on corpora/handbook",
        "+ grant READER to group:eng@example.com on corpora/handbook",
        "+ grant READER to everyone on corpora/handbook",
        "+ grant WRITER to bob@example.com on corpora/handbook",
    ]
    assert _roles(alice) == {"alice@example.com": "OWNER"}  # plan changes nothing
    assert access.apply(alice, file) == planned
    assert access.plan(alice, file) == []
    assert access.list_access(bob, "handbook")  # bob is a writer now, so he may list

    file.write_text(
        '[[corpus]]\nname = "handbook"\nreaders = ["bob@example.com", "everyone"]\n',
        encoding="utf-8",
    )
    assert [c.describe() for c in access.plan(alice, file)] == [
        "~ change bob@example.com from WRITER to READER on corpora/handbook",
        "- revoke READER from carol@example.com on corpora/handbook",
        "- revoke READER from group:eng@example.com on corpora/handbook",
    ]
    access.apply(alice, file)
    assert _roles(alice) == {
        "alice@example.com": "OWNER", "everyone": "READER", "bob@example.com": "READER",
    }  # fmt: skip


def test_plan_never_touches_owners(
    two_users: tuple[ragkit.Client, ragkit.Client], tmp_path: Path
) -> None:
    alice, _ = two_users
    file = tmp_path / "access.toml"
    file.write_text('[[corpus]]\nname = "handbook"\nreaders = []\n', encoding="utf-8")
    assert access.plan(alice, file) == []  # alice's OWNER stays though the file omits her
    file.write_text(
        '[[corpus]]\nname = "handbook"\nwriters = ["alice@example.com"]\n', encoding="utf-8"
    )
    with pytest.raises(AccessError, match=r"alice@example\.com is OWNER of corpora/handbook"):
        access.plan(alice, file)


def test_a_writer_cannot_apply_owner_changes(
    two_users: tuple[ragkit.Client, ragkit.Client], tmp_path: Path
) -> None:
    alice, bob = two_users
    access.grant(alice, "handbook", "bob@example.com", "WRITER")
    file = tmp_path / "access.toml"
    file.write_text(
        '[[corpus]]\nname = "handbook"\nowners = ["carol@example.com"]\n'
        'writers = ["bob@example.com"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ragkit.PermissionDeniedError):
        access.apply(bob, file)


# --------------------------------------------------------------------------- AsyncClient

AsyncUsers = tuple[ragkit.AsyncClient, ragkit.AsyncClient]


async def _aroles(client: ragkit.AsyncClient) -> dict[str, str]:
    return {str(e.grantee): e.role for e in await access.alist_access(client, "handbook")}


async def test_async_grant_change_revoke_and_list(async_users: AsyncUsers) -> None:
    alice, bob = async_users
    with pytest.raises(ragkit.PermissionDeniedError):
        await bob.corpora.get("handbook")
    entry = await access.agrant(alice, "handbook", "bob@example.com")
    assert (entry.role, entry.permission_name.startswith("corpora/handbook/permissions/")) == (
        "READER", True
    )  # fmt: skip
    assert (await bob.corpora.get("handbook")).name == "corpora/handbook"
    changed = await access.achange_role(alice, "corpora/handbook", "BOB@example.com", "writer")
    assert (changed.role, changed.permission_name) == ("WRITER", entry.permission_name)
    assert await _aroles(alice) == {"alice@example.com": "OWNER", "bob@example.com": "WRITER"}
    removed = await access.arevoke(alice, "handbook", "bob@example.com")
    assert [str(e.grantee) for e in removed] == ["bob@example.com"]
    assert await access.arevoke(alice, "handbook", "bob@example.com") == []
    with pytest.raises(AccessError, match="no permission"):
        await access.achange_role(alice, "handbook", "bob@example.com", "READER")
    with pytest.raises(ragkit.ConflictError):
        await access.agrant(alice, "handbook", "alice@example.com")


async def test_async_everyone_only_as_reader(async_users: AsyncUsers) -> None:
    alice, _ = async_users
    for role in ("WRITER", "OWNER"):
        with pytest.raises(AccessError, match="everyone can only be granted READER"):
            await access.agrant(alice, "handbook", "everyone", role)
    await access.agrant(alice, "handbook", "everyone")
    with pytest.raises(AccessError, match="everyone can only be granted READER"):
        await access.achange_role(alice, "handbook", "everyone", "WRITER")
    assert (await _aroles(alice))["everyone"] == "READER"


async def test_async_plan_then_apply_converges(async_users: AsyncUsers, tmp_path: Path) -> None:
    alice, bob = async_users
    file = tmp_path / "access.toml"
    file.write_text(HANDBOOK, encoding="utf-8")
    planned = await access.aplan(alice, file)
    assert [c.describe() for c in planned] == [
        "+ grant READER to carol@example.com on corpora/handbook",
        "+ grant READER to group:eng@example.com on corpora/handbook",
        "+ grant READER to everyone on corpora/handbook",
        "+ grant WRITER to bob@example.com on corpora/handbook",
    ]
    assert await _aroles(alice) == {"alice@example.com": "OWNER"}
    assert await access.aapply(alice, planned) == planned  # a plan made earlier
    assert await access.aplan(alice, access.load_access_file(file)) == []
    assert await access.alist_access(bob, "handbook")

    file.write_text(
        '[[corpus]]\nname = "handbook"\nreaders = ["bob@example.com", "everyone"]\n',
        encoding="utf-8",
    )
    assert [c.describe() for c in await access.aapply(alice, file)] == [
        "~ change bob@example.com from WRITER to READER on corpora/handbook",
        "- revoke READER from carol@example.com on corpora/handbook",
        "- revoke READER from group:eng@example.com on corpora/handbook",
    ]
    assert await _aroles(alice) == {
        "alice@example.com": "OWNER", "everyone": "READER", "bob@example.com": "READER",
    }  # fmt: skip


async def test_async_plan_never_touches_owners(async_users: AsyncUsers, tmp_path: Path) -> None:
    alice, _ = async_users
    file = tmp_path / "access.toml"
    file.write_text('[[corpus]]\nname = "handbook"\nreaders = []\n', encoding="utf-8")
    assert await access.aplan(alice, file) == []
    file.write_text(
        '[[corpus]]\nname = "handbook"\nwriters = ["alice@example.com"]\n', encoding="utf-8"
    )
    with pytest.raises(AccessError, match=r"alice@example\.com is OWNER of corpora/handbook"):
        await access.aplan(alice, file)


async def test_async_a_writer_cannot_apply_owner_changes(
    async_users: AsyncUsers, tmp_path: Path
) -> None:
    alice, bob = async_users
    await access.agrant(alice, "handbook", "bob@example.com", "WRITER")
    file = tmp_path / "access.toml"
    file.write_text(
        '[[corpus]]\nname = "handbook"\nowners = ["carol@example.com"]\n'
        'writers = ["bob@example.com"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ragkit.PermissionDeniedError):
        await access.aapply(bob, file)


async def test_hand_made_changes_are_checked_before_sending(
    two_users: tuple[ragkit.Client, ragkit.Client], async_users: AsyncUsers
) -> None:
    name = (await access.agrant(async_users[0], "handbook", "everyone")).permission_name
    bad = [
        access.Change("change", "corpora/handbook", Grantee("everyone"), "WRITER", "READER", name),
    ]
    with pytest.raises(AccessError, match="everyone can only be granted READER"):
        access.apply(two_users[0], bad)
    with pytest.raises(AccessError, match="everyone can only be granted READER"):
        await access.aapply(async_users[0], bad)
    nameless = [access.Change("revoke", "corpora/handbook", Grantee("everyone"), None, "READER")]
    with pytest.raises(AccessError, match="needs the permission's name"):
        await access.aapply(async_users[0], nameless)
    assert _roles(two_users[0])["everyone"] == "READER"


def test_async_twins_are_exported() -> None:
    import ragkit.rag

    for name in ("alist_access", "agrant", "achange_role", "arevoke", "aplan", "aapply"):
        assert getattr(ragkit.rag, name) is getattr(access, name)
        assert name in ragkit.rag.__all__ and name in access.__all__


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[corpus]]\nname = "h"\nwriters = ["everyone"]\n', "everyone can only be granted READER"),
        ('[[corpus]]\nname = "h"\nowners = ["everyone"]\n', "everyone can only be granted READER"),
        ('[[corpus]]\nname = "h"\nreaders = ["a@x.io"]\nwriters = ["A@x.io"]\n', "listed twice"),
        ('[[corpus]]\nreaders = ["a@x.io"]\n', "name is required"),
        ('[[corpus]]\nname = "h"\neditors = []\n', "unknown field 'editors'"),
        ('[[corpus]]\nname = "h"\nreaders = ["not-an-email"]\n', "invalid grantee"),
        ('[[corpus]]\nname = "h"\n[[corpus]]\nname = "corpora/h"\n', "appears in two"),
        ("[corpus\n", "not valid TOML"),
        ('users = ["a"]\n', "unknown top-level key 'users'"),
    ],
)
def test_access_file_errors(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "access.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(AccessError, match=message):
        access.load_access_file(file)


def test_grantee_spellings() -> None:
    assert Grantee.parse("Alice@Example.com") == Grantee("user", "alice@example.com")
    assert Grantee.parse("user:a@x.io") == Grantee("user", "a@x.io")
    assert str(Grantee.parse("group:Eng@x.io")) == "group:eng@x.io"
    assert str(Grantee.parse(" EVERYONE ")) == "everyone"
    with pytest.raises(AccessError, match="unknown grantee kind"):
        Grantee.parse("team:a@x.io")
    with pytest.raises(AccessError, match="cannot read access file"):
        access.load_access_file("/nonexistent/access.toml")
