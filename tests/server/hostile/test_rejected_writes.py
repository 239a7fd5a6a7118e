# ruff: noqa: UP031  (JSON templates read better with %s than with doubled braces)
"""Every write method: a rejected request answers Google's 4xx body and changes nothing.

Before strict JSON and commit-after-render, ``numericValue: 1e999`` (or NaN/Infinity, or
an unpaired surrogate in a metadata string) answered 500 *and* committed the row, and
every later read of it answered 500; deep JSON or a deep ``fields`` mask answered 500.
"""

from __future__ import annotations

import httpx
import pytest

from .conftest import C, D, K, P, Seeded, assert_google_error

pytestmark = pytest.mark.asyncio(loop_scope="package")

DEEP = "[" * 1_200 + "]" * 1_200
DEEP_FIELDS = "a(" * 2_000 + "b" + ")" * 2_000


def metadata(value: str) -> str:
    return '"customMetadata": [{"key": "x", %s}]' % value


POISON = {
    "overflow": metadata('"numericValue": 1e999'),
    "nan": metadata('"numericValue": NaN'),
    "infinity": metadata('"numericValue": -Infinity'),
    "surrogate": metadata('"stringValue": "\\ud800"'),
    "surrogate-list": metadata('"stringListValue": {"values": ["ok", "\\udfff"]}'),
    "surrogate-key": '"customMetadata": [{"key": "\\ud800", "numericValue": 1}]',
}

CHUNK = '"data": {"stringValue": "poison"}'

# (method, path, raw body) for every write method; the body is hostile in some way.
CASES: list[tuple[str, str, str, str]] = [
    ("corpus create surrogate", "POST", "/v1beta/corpora", '{"displayName": "\\ud800"}'),
    ("corpus create deep", "POST", "/v1beta/corpora", '{"displayName": %s}' % DEEP),
    (
        "corpus patch surrogate",
        "PATCH",
        f"/v1beta/{C}?updateMask=displayName",
        '{"displayName": "a\\udc00"}',
    ),
    ("corpus delete deep fields", "DELETE", f"/v1beta/{C}?force=true&fields={DEEP_FIELDS}", ""),
    (
        "permission create surrogate",
        "POST",
        f"/v1beta/{P}",
        '{"granteeType": "USER", "emailAddress": "\\ud800@example.com", "role": "WRITER"}',
    ),
    ("permission create deep", "POST", f"/v1beta/{P}", '{"role": %s}' % DEEP),
    ("document delete deep fields", "DELETE", f"/v1beta/{D}?force=true&fields={DEEP_FIELDS}", ""),
    ("chunk delete deep fields", "DELETE", f"/v1beta/{K}?fields={DEEP_FIELDS}", ""),
    (
        "chunk batchDelete deep",
        "POST",
        f"/v1beta/{D}/chunks:batchDelete",
        '{"requests": %s}' % DEEP,
    ),
    (
        "chunk create surrogate text",
        "POST",
        f"/v1beta/{D}/chunks",
        '{"data": {"stringValue": "\\ud800 text"}}',
    ),
]
for kind, poison in POISON.items():
    CASES += [
        (f"document create {kind}", "POST", f"/v1beta/{C}/documents", "{%s}" % poison),
        (
            f"document patch {kind}",
            "PATCH",
            f"/v1beta/{D}?updateMask=customMetadata",
            "{%s}" % poison,
        ),
        (f"chunk create {kind}", "POST", f"/v1beta/{D}/chunks", "{%s, %s}" % (CHUNK, poison)),
        (
            f"chunk patch {kind}",
            "PATCH",
            f"/v1beta/{K}?updateMask=customMetadata",
            "{%s}" % poison,
        ),
        (
            f"chunk batchCreate {kind}",
            "POST",
            f"/v1beta/{D}/chunks:batchCreate",
            '{"requests": [{"chunk": {%s}}, {"chunk": {%s, %s}}]}' % (CHUNK, CHUNK, poison),
        ),
        (
            f"chunk batchUpdate {kind}",
            "POST",
            f"/v1beta/{D}/chunks:batchUpdate",
            '{"requests": [{"chunk": {"name": "%s", %s}, "updateMask": "customMetadata"}]}'
            % (K, poison),
        ),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_a_rejected_write_changes_nothing(
    seeded: Seeded, method: str, path: str, body: str
) -> None:
    before = seeded.state()
    answer = await seeded.http.request(
        method, path, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert_google_error(answer, 400)
    assert seeded.state() == before
    # Everything stored still reads back (nothing poisoned the seed).
    for name in (C, D, K, seeded.permission):
        assert (await seeded.http.get(f"/v1beta/{name}")).status_code == 200
    listed = await seeded.http.get(f"/v1beta/{D}/chunks")
    assert listed.status_code == 200


async def test_permission_patch_and_delete_rejections_change_nothing(seeded: Seeded) -> None:
    before = seeded.state()
    patch = await seeded.http.patch(
        f"/v1beta/{seeded.permission}?updateMask=role",
        content=b'{"role": "\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert_google_error(patch, 400)
    delete = await seeded.http.delete(f"/v1beta/{seeded.permission}?fields={DEEP_FIELDS}")
    assert_google_error(delete, 400)
    assert seeded.state() == before


@pytest.mark.filterwarnings("ignore")
def test_the_client_refuses_non_finite_metadata() -> None:
    from ragkit.types import Condition, CustomMetadata

    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="must be a finite number"):
            CustomMetadata(key="n", numeric_value=value)
        with pytest.raises(ValueError, match="must be a finite number"):
            Condition(operation="EQUAL", numeric_value=value)


async def test_status_codes_are_httpx_friendly(seeded: Seeded) -> None:
    # The fixture itself proves seeding works through the public API.
    answer = await seeded.http.get(f"/v1beta/{C}")
    assert isinstance(answer, httpx.Response) and answer.json()["displayName"] == "Seed"
