# ruff: noqa: UP031, E501  (a table of hostile JSON templates: literal lines read best)
"""Hostile-input campaign against a real ``ragkit serve``: 5xx count and rejected-but-changed.

Starts ``ragkit serve`` (hash embedder, an auth file with two principals, Alice and Bob),
seeds Alice's corpus, document, chunk and a permission, then sends well over 1,500
malformed or hostile requests of many kinds: non-finite and huge numbers, unpaired
surrogates in every stored string, deep JSON, deep ``fields`` masks, HEAD, oversized
values, wrong types, bad names, bad masks, bad filters, bad page tokens, bad query
parameters, unknown fields and paths, broken JSON, bad and mixed credentials, and
cross-user access (Bob on Alice's resources). Around every request that is not a read,
the server's SQLite files are snapshotted (read-only), so a rejected request that changed
stored state is caught. Prints, per kind and in total: requests, 5xx, non-Google error
bodies, rejected-but-changed; and the tracebacks found in the server's log.

    .venv/bin/python bench/hostile_campaign.py
    .venv/bin/python bench/hostile_campaign.py --repeat 2 --keep /tmp/hostile
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The test suite's helper that starts and stops a real `ragkit serve` process.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ragkit.server.store.snapshot import snapshot
from tests.server.http.serving import ServerProcess, free_port

AUTH = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]
bearer_tokens = ["alice-token"]

[[principal]]
email = "bob@example.com"
api_keys = ["bob-key"]
"""
ALICE = {"x-goog-api-key": "alice-key"}
BOB = {"x-goog-api-key": "bob-key"}
C = "corpora/alice"
D = f"{C}/documents/doc"
K = f"{D}/chunks/chunk"
JSON = {"content-type": "application/json"}


@dataclass
class Case:
    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(ALICE))
    params: dict[str, str] | None = None


def _raw(kind: str, method: str, path: str, body: str, **extra: object) -> Case:
    return Case(kind, method, path, body.encode("utf-8", "surrogatepass"), **extra)  # type: ignore[arg-type]


NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e400",
    "1E+309",
    "1" + "0" * 40,
    "-" + "9" * 30,
    "9" * 5000,
    "-0",
    "1e-400",
]
SURROGATES = [
    '"\\ud800"',
    '"x\\udfff"',
    '"\\udc00\\ud800"',
    '"ok\\ud83d"',
    '"\\uDBFF"',
    '"\\ud83d\\ude00\\ud83d"',
    '"\\u0000\\ud800"',
    '"a\\\\\\ud800"',
]
DEPTHS = [101, 500, 1_000, 5_000, 50_000]


def write_targets(hole: str) -> list[tuple[str, str, str]]:
    """(method, path, body with ``hole`` in a value) across every write method."""
    meta = '"customMetadata": [{"key": "k", %s}]'
    return [
        ("POST", "/v1beta/corpora", '{"displayName": %s}' % hole),
        ("PATCH", f"/v1beta/{C}?updateMask=displayName", '{"displayName": %s}' % hole),
        ("POST", f"/v1beta/{C}/documents", "{%s}" % (meta % f'"numericValue": {hole}')),
        ("POST", f"/v1beta/{C}/documents", '{"displayName": %s}' % hole),
        (
            "PATCH",
            f"/v1beta/{D}?updateMask=customMetadata",
            "{%s}" % (meta % f'"numericValue": {hole}'),
        ),
        (
            "POST",
            f"/v1beta/{D}/chunks",
            '{"data": {"stringValue": "t"}, %s}' % (meta % f'"stringValue": {hole}'),
        ),
        ("POST", f"/v1beta/{D}/chunks", '{"data": {"stringValue": %s}}' % hole),
        ("PATCH", f"/v1beta/{K}?updateMask=data", '{"data": {"stringValue": %s}}' % hole),
        (
            "POST",
            f"/v1beta/{D}/chunks:batchCreate",
            '{"requests": [{"chunk": {"data": {"stringValue": "a"}}}, {"chunk": {"data": '
            '{"stringValue": "b"}, %s}}]}' % (meta % f'"numericValue": {hole}'),
        ),
        (
            "POST",
            f"/v1beta/{D}/chunks:batchUpdate",
            '{"requests": [{"chunk": {"name": "%s", %s}, "updateMask": "customMetadata"}]}'
            % (K, meta % f'"stringListValue": {{"values": [{hole}]}}'),
        ),
        ("POST", f"/v1beta/{D}/chunks:batchDelete", '{"requests": [{"name": %s}]}' % hole),
        (
            "POST",
            f"/v1beta/{C}/permissions",
            '{"granteeType": "USER", "role": "READER", "emailAddress": %s}' % hole,
        ),
        ("POST", f"/v1beta/{C}:query", '{"query": %s}' % hole),
        ("POST", f"/v1beta/{D}:query", '{"query": "q", "resultsCount": %s}' % hole),
        (
            "POST",
            f"/v1beta/{C}:query",
            '{"query": "q", "metadataFilters": [{"key": "chunk.custom_metadata.k", '
            '"conditions": [{"operation": "LESS", "numericValue": %s}]}]}' % hole,
        ),
        (
            "POST",
            "/v1beta/models/aqa:generateAnswer",
            '{"contents": [{"parts": [{"text": %s}]}], "answerStyle": "ABSTRACTIVE"}' % hole,
        ),
    ]


def cases() -> Iterator[Case]:
    for number in NUMBERS:
        for method, path, body in write_targets(number):
            yield _raw("number", method, path, body, headers={**ALICE, **JSON})
    for text in SURROGATES:
        for method, path, body in write_targets(text):
            yield _raw("surrogate", method, path, body, headers={**ALICE, **JSON})
    for depth in DEPTHS:
        for opening, closing in (("[", "]"), ('{"a":', "}")):
            deep = opening * depth + "1" + closing * depth
            for method, path, body in write_targets(deep)[::3]:
                yield _raw("deep-json", method, path, body, headers={**ALICE, **JSON})
    for depth in (33, 200, 2_000, 5_000):
        mask = "a(" * depth + "b" + ")" * depth
        for method, path in [
            ("GET", f"/v1beta/{C}"),
            ("GET", f"/v1beta/{D}/chunks"),
            ("DELETE", f"/v1beta/{K}"),
            ("DELETE", f"/v1beta/{C}?force=true"),
            ("POST", f"/v1beta/{C}/documents"),
            ("PATCH", f"/v1beta/{D}?updateMask=displayName"),
        ]:
            yield Case("deep-fields", method, path, b"{}", params={"fields": mask})
    for junk in ["(", "a)", "a(b", ",,", "a//b", "a(b))", "\u00e9", "a b", "*(*(*(*"]:
        yield Case("bad-fields", "GET", f"/v1beta/{C}", params={"fields": junk})
    for path in [f"/v1beta/{C}", f"/v1beta/{D}", f"/v1beta/{K}", "/v1beta/corpora", "/nope", "/"]:
        for who in (ALICE, BOB, {}):
            yield Case("head", "HEAD", path, headers=dict(who))
    yield from oversized()
    yield from wrong_types()
    yield from bad_names()
    yield from bad_masks()
    yield from bad_filters()
    yield from bad_pages()
    yield from bad_params()
    yield from broken_json()
    yield from credentials()
    yield from cross_user()
    yield from random_values(600)


def random_values(count: int, seed: int = 12) -> Iterator[Case]:
    """Seeded random junk in every write target's hole: same cases on every run."""
    rng = random.Random(seed)

    def junk(depth: int = 0) -> str:
        pick = rng.randrange(10)
        if pick == 0:
            return rng.choice(NUMBERS)
        if pick == 1:
            return rng.choice(SURROGATES)
        if pick == 2:
            return str(rng.randint(-(2**80), 2**80))
        if pick == 3:
            return repr(rng.uniform(-1e300, 1e300))
        if pick == 4:
            return json.dumps(
                "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(30)))
            )
        if pick == 5:
            return json.dumps("w" * rng.choice([0, 1, 64, 10_000, 200_000]))
        if pick == 6 and depth < 3:
            return "[" + ", ".join(junk(depth + 1) for _ in range(rng.randrange(4))) + "]"
        if pick == 7 and depth < 3:
            items = (
                f'"{rng.choice(["key", "a", "", "stringValue"])}": {junk(depth + 1)}'
                for _ in range(rng.randrange(3))
            )
            return "{" + ", ".join(items) + "}"
        return rng.choice(["true", "false", "null", '""', "0", "[]", "{}"])

    targets = [target for target in write_targets("%s")]
    for _ in range(count):
        method, path, body = rng.choice(targets)
        yield _raw("random", method, path, body.replace("%s", junk(), 1), headers={**ALICE, **JSON})


def oversized() -> Iterator[Case]:
    big = "x" * 2_000_000
    words = " ".join(["word"] * 300_000)
    yield Case(
        "oversized",
        "POST",
        f"/v1beta/{D}/chunks",
        json.dumps({"data": {"stringValue": big}}).encode(),
        headers={**ALICE, **JSON},
    )
    yield Case(
        "oversized",
        "POST",
        f"/v1beta/{D}/chunks",
        json.dumps({"data": {"stringValue": words}}).encode(),
        headers={**ALICE, **JSON},
    )
    for size in (129, 1_000):
        body = {"requests": [{"chunk": {"data": {"stringValue": f"t{i}"}}} for i in range(size)]}
        yield Case(
            "oversized",
            "POST",
            f"/v1beta/{D}/chunks:batchCreate",
            json.dumps(body).encode(),
            headers={**ALICE, **JSON},
        )
    many = [{"key": f"k{i}", "stringValue": "v"} for i in range(21)]
    yield Case(
        "oversized",
        "POST",
        f"/v1beta/{C}/documents",
        json.dumps({"customMetadata": many}).encode(),
        headers={**ALICE, **JSON},
    )
    values = {"key": "k", "stringListValue": {"values": [str(i) for i in range(5_000)]}}
    yield Case(
        "oversized",
        "POST",
        f"/v1beta/{C}/documents",
        json.dumps({"customMetadata": [values]}).encode(),
        headers={**ALICE, **JSON},
    )
    yield Case(
        "oversized",
        "POST",
        "/v1beta/corpora",
        json.dumps({"displayName": "d" * 100_000}).encode(),
        headers={**ALICE, **JSON},
    )
    yield Case(
        "oversized",
        "POST",
        f"/v1beta/{C}:query",
        json.dumps({"query": "q", "resultsCount": 10**6}).encode(),
        headers={**ALICE, **JSON},
    )
    yield Case("oversized", "GET", f"/v1beta/{C}/documents", params={"pageSize": str(10**12)})
    yield Case("oversized", "GET", f"/v1beta/{C}/documents", params={"pageToken": "A" * 60_000})
    yield Case("oversized", "GET", "/v1beta/corpora/" + "a" * 5_000)


def wrong_types() -> Iterator[Case]:
    bodies = {
        "/v1beta/corpora": [
            '{"displayName": 5}',
            '{"displayName": []}',
            '{"name": {}}',
            "[]",
            '"x"',
            "1",
            "null",
        ],
        f"/v1beta/{C}/documents": [
            '{"customMetadata": "x"}',
            '{"customMetadata": [1]}',
            '{"customMetadata": [{"key": 1, "stringValue": "v"}]}',
            '{"customMetadata": [{"key": "k", "numericValue": "abc"}]}',
            '{"customMetadata": [{"key": "k", "numericValue": true}]}',
            '{"customMetadata": [{"key": "k", "stringValue": "a", "numericValue": 1}]}',
            '{"customMetadata": [{"key": "k"}]}',
            '{"customMetadata": [{"key": "k", "stringListValue": {"values": "v"}}]}',
            '{"customMetadata": [{"key": "k", "stringListValue": {"values": [1, null]}}]}',
        ],
        f"/v1beta/{D}/chunks": [
            '{"data": "text"}',
            '{"data": {"stringValue": 5}}',
            '{"data": {"stringValue": ""}}',
            '{"data": {}}',
            '{"state": "STATE_FAILED", "data": {"stringValue": "t"}}',
            '{"state": 99, "data": {"stringValue": "t"}}',
            '{"createTime": "yesterday", "data": {"stringValue": "t"}}',
        ],
        f"/v1beta/{D}/chunks:batchCreate": [
            '{"requests": {}}',
            '{"requests": [null]}',
            '{"requests": [{"chunk": null}]}',
            '{"requests": [{"parent": "corpora/x/documents/y", "chunk": {"data": {"stringValue": "t"}}}]}',
            '{"requests": []}',
        ],
        f"/v1beta/{D}/chunks:batchUpdate": [
            '{"requests": [{"chunk": {"name": "%s"}, "updateMask": 5}]}' % K,
            '{"requests": [{"chunk": {"data": {"stringValue": "t"}}, "updateMask": "data"}]}',
            '{"requests": [{"chunk": {"name": "%s", "data": {"stringValue": "t"}}}]}' % K,
        ],
        f"/v1beta/{C}/permissions": [
            '{"role": "ADMIN", "granteeType": "USER", "emailAddress": "x@example.com"}',
            '{"role": "READER", "granteeType": "EVERYONE", "emailAddress": "x@example.com"}',
            '{"role": "READER", "granteeType": "USER"}',
            '{"role": "OWNER", "granteeType": "USER", "emailAddress": "x@example.com"}',
            '{"role": "READER", "granteeType": "USER", "emailAddress": "not-an-email"}',
            '{"role": 7, "granteeType": "USER", "emailAddress": "x@example.com"}',
        ],
        f"/v1beta/{C}:query": [
            '{"query": 5}',
            '{"query": ""}',
            "{}",
            '{"query": "q", "resultsCount": -1}',
            '{"query": "q", "resultsCount": 1.5}',
            '{"query": "q", "resultsCount": "ten"}',
        ],
    }
    for path, texts in bodies.items():
        for text in texts:
            yield _raw("wrong-type", "POST", path, text, headers={**ALICE, **JSON})
    for text in ['{"displayName": 5}', '{"name": "corpora/other"}', '{"createTime": 1}']:
        yield _raw(
            "wrong-type",
            "PATCH",
            f"/v1beta/{C}?updateMask=displayName",
            text,
            headers={**ALICE, **JSON},
        )


def bad_names() -> Iterator[Case]:
    names = [
        "corpora/UPPER",
        "corpora/-dash",
        "corpora/a_b",
        "corpora/" + "a" * 41,
        "corpora/caf\u00e9",
        "corpora/a%2Fb",
        "corpora/..",
        "corpora/%00",
        "corpora/alice/documents/doc/chunks/chunk/extra",
        "corpora//documents",
        "documents/doc",
        "corpora/alice/documents/-",
    ]
    for name in names:
        yield Case("bad-name", "GET", f"/v1beta/{name}")
        yield Case("bad-name", "DELETE", f"/v1beta/{name}")
        yield _raw(
            "bad-name",
            "POST",
            "/v1beta/corpora",
            json.dumps({"name": name}),
            headers={**ALICE, **JSON},
        )
        yield _raw(
            "bad-name",
            "POST",
            f"/v1beta/{C}/documents",
            json.dumps({"name": name}),
            headers={**ALICE, **JSON},
        )
        yield _raw(
            "bad-name",
            "POST",
            f"/v1beta/{D}/chunks",
            json.dumps({"name": name, "data": {"stringValue": "t"}}),
            headers={**ALICE, **JSON},
        )
        yield _raw(
            "bad-name",
            "POST",
            f"/v1beta/{D}/chunks:batchDelete",
            json.dumps({"requests": [{"name": name}]}),
            headers={**ALICE, **JSON},
        )
    yield _raw(
        "bad-name", "POST", "/v1beta/corpora", json.dumps({"name": C}), headers={**ALICE, **JSON}
    )
    yield _raw(
        "bad-name",
        "POST",
        f"/v1beta/{C}/documents",
        json.dumps({"name": D}),
        headers={**ALICE, **JSON},
    )


def bad_masks() -> Iterator[Case]:
    masks = [
        "",
        " ",
        "name",
        "foo",
        "displayName,foo",
        "display_name,,",
        "customMetadata.key",
        "*",
        "data.stringValue",
        "createTime",
        "\u00e9",
    ]
    for mask in masks:
        for path, body in [
            (f"/v1beta/{C}", '{"displayName": "x"}'),
            (f"/v1beta/{D}", '{"displayName": "x"}'),
            (f"/v1beta/{K}", '{"data": {"stringValue": "x"}}'),
        ]:
            yield _raw(
                "bad-mask",
                "PATCH",
                path,
                body,
                headers={**ALICE, **JSON},
                params={"updateMask": mask},
            )


def bad_filters() -> Iterator[Case]:
    filters = [
        [{"key": "k", "conditions": [{"operation": "EQUAL", "stringValue": "v"}]}],
        [{"key": "chunk.custom_metadata.k", "conditions": []}],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "BOGUS", "stringValue": "v"}],
            }
        ],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "LESS", "stringValue": "v"}],
            }
        ],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "INCLUDES", "numericValue": 1}],
            }
        ],
        [{"key": "chunk.custom_metadata.k", "conditions": [{"stringValue": "v"}]}],
        [{"key": "chunk.custom_metadata.k", "conditions": [{"operation": "EQUAL"}]}],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "EQUAL", "stringValue": "v", "numericValue": 1}],
            }
        ],
        [{"key": "", "conditions": [{"operation": "EQUAL", "stringValue": "v"}]}],
        [{"conditions": [{"operation": "EQUAL", "stringValue": "v"}]}],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "EQUAL", "stringValue": "v"}] * 1000,
            }
        ],
        [
            {
                "key": f"chunk.custom_metadata.k{i}",
                "conditions": [{"operation": "EQUAL", "stringValue": "v"}],
            }
            for i in range(500)
        ],
        [
            {
                "key": "document.custom_metadata.k",
                "conditions": [{"operation": "EQUAL", "stringValue": "v"}],
            }
        ],
        [
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "EQUAL", "stringValue": "v"}],
            },
            {
                "key": "chunk.custom_metadata.k",
                "conditions": [{"operation": "EQUAL", "stringValue": "w"}],
            },
        ],
        "x",
        [None],
    ]
    for entry in filters:
        for path in (f"/v1beta/{C}:query", f"/v1beta/{D}:query"):
            body = json.dumps({"query": "q", "metadataFilters": entry})
            yield _raw("bad-filter", "POST", path, body, headers={**ALICE, **JSON})


def bad_pages() -> Iterator[Case]:
    tokens = [
        "x",
        "A" * 64,
        base64.urlsafe_b64encode(b"not a token").decode(),
        base64.urlsafe_b64encode(json.dumps({"offset": -1}).encode()).decode(),
        "%%%",
        "\u00e9",
        "eyJ9",
        "==",
    ]
    for token in tokens:
        for path in [
            "/v1beta/corpora",
            f"/v1beta/{C}/documents",
            f"/v1beta/{D}/chunks",
            f"/v1beta/{C}/permissions",
        ]:
            yield Case("bad-page", "GET", path, params={"pageToken": token})


def bad_params() -> Iterator[Case]:
    for size in ["-1", "abc", "1e9", "1.5", "", "99999999999999999999999", " 5", "0x10"]:
        for path in ["/v1beta/corpora", f"/v1beta/{D}/chunks"]:
            yield Case("bad-param", "GET", path, params={"pageSize": size})
    for force in ["maybe", "2", "", "TRUE ", "yes"]:
        yield Case("bad-param", "DELETE", f"/v1beta/{C}", params={"force": force})
        yield Case("bad-param", "DELETE", f"/v1beta/{D}", params={"force": force})
    for alt in ["xml", "proto", "sse", ""]:
        yield Case("bad-param", "GET", f"/v1beta/{C}", params={"alt": alt})
    for name in ["unknown", "$foo", "prettyPrint"]:
        yield Case("bad-param", "GET", f"/v1beta/{C}", params={name: "1"})


def broken_json() -> Iterator[Case]:
    texts = [
        "{",
        "}",
        '{"a":}',
        '{"a" 1}',
        "{'a': 1}",
        '{"a": 1,}',
        "\xff\xfe",
        '{"a": 1} trailing',
        "[1, 2",
        "nul",
        '{"a": "\\x"}',
        '{"a": "\\u12"}',
        '{"a": 01}',
    ]
    for text in texts:
        for method, path, _ in write_targets("1")[:12]:
            yield _raw("broken-json", method, path, text, headers={**ALICE, **JSON})
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]:
        yield Case(
            "broken-json",
            "POST",
            "/v1beta/corpora",
            b'{"displayName": "x"}',
            headers={**ALICE, "content-type": kind},
        )
    for method in ["PUT", "OPTIONS", "TRACE", "PATCH"]:
        yield Case("wrong-method", method, "/v1beta/corpora", b"{}", headers={**ALICE, **JSON})
        yield Case(
            "wrong-method",
            method,
            f"/v1beta/{D}/chunks:batchCreate",
            b"{}",
            headers={**ALICE, **JSON},
        )
    for path in [
        "/v1beta/",
        "/v1/corpora",
        "/v1beta/corpora/",
        f"/v1beta/{C}:nope",
        f"/v1beta/{C}::query",
        "/v1beta/corpora:query",
    ]:
        yield Case("unknown-path", "GET", path)
        yield Case("unknown-path", "POST", path, b"{}", headers={**ALICE, **JSON})
    for name in ["unknown", "requests", "chunk", "camel_Case"]:
        yield _raw(
            "unknown-field",
            "POST",
            "/v1beta/corpora",
            json.dumps({name: 1}),
            headers={**ALICE, **JSON},
        )
        yield _raw(
            "unknown-field",
            "POST",
            f"/v1beta/{D}/chunks",
            json.dumps({"data": {"stringValue": "t", name: 1}}),
            headers={**ALICE, **JSON},
        )


def credentials() -> Iterator[Case]:
    variants: list[tuple[dict[str, str], dict[str, str] | None]] = [
        ({}, None),
        ({"x-goog-api-key": "bogus"}, None),
        ({"x-goog-api-key": ""}, None),
        ({"x-goog-api-key": "alice-key"}, {"key": "bogus"}),
        ({"x-goog-api-key": "bogus"}, {"key": "alice-key"}),
        ({"x-goog-api-key": "alice-key"}, {"key": "bob-key"}),
        ({"authorization": "Bearer alice-token"}, {"access_token": "bogus"}),
        ({"authorization": "Bearer alice-token", "x-goog-api-key": "bob-key"}, None),
        ({"authorization": "Basic YWxpY2U6eA=="}, None),
        ({"authorization": "Bearer"}, None),
        ({"authorization": "Bearer bogus"}, {"key": "alice-key"}),
        ({"x-goog-api-key": "alice-key\u00e9".encode()}, None),  # type: ignore[dict-item]
    ]
    for headers, params in variants:
        yield Case("credentials", "GET", f"/v1beta/{C}", headers=dict(headers), params=params)
        yield Case("credentials", "DELETE", f"/v1beta/{K}", headers=dict(headers), params=params)
        yield _raw(
            "credentials",
            "POST",
            "/v1beta/corpora",
            '{"displayName": "x"}',
            headers={**headers, **JSON},
            params=params,
        )
        yield _raw(
            "credentials",
            "PATCH",
            f"/v1beta/{C}?updateMask=displayName",
            '{"displayName": "x"}',
            headers={**headers, **JSON},
            params=params,
        )


def cross_user() -> Iterator[Case]:
    targets = [
        ("GET", f"/v1beta/{C}", None),
        ("GET", f"/v1beta/{D}", None),
        ("GET", f"/v1beta/{K}", None),
        ("GET", f"/v1beta/{C}/documents", None),
        ("GET", f"/v1beta/{D}/chunks", None),
        ("GET", f"/v1beta/{C}/permissions", None),
        ("PATCH", f"/v1beta/{C}?updateMask=displayName", '{"displayName": "bob was here"}'),
        ("PATCH", f"/v1beta/{D}?updateMask=displayName", '{"displayName": "bob"}'),
        ("PATCH", f"/v1beta/{K}?updateMask=data", '{"data": {"stringValue": "bob"}}'),
        ("DELETE", f"/v1beta/{C}?force=true", None),
        ("DELETE", f"/v1beta/{D}?force=true", None),
        ("DELETE", f"/v1beta/{K}", None),
        ("POST", f"/v1beta/{C}/documents", '{"displayName": "bob"}'),
        ("POST", f"/v1beta/{D}/chunks", '{"data": {"stringValue": "bob"}}'),
        (
            "POST",
            f"/v1beta/{D}/chunks:batchCreate",
            '{"requests": [{"chunk": {"data": {"stringValue": "b"}}}]}',
        ),
        (
            "POST",
            f"/v1beta/{D}/chunks:batchUpdate",
            '{"requests": [{"chunk": {"name": "%s", "data": {"stringValue": "b"}}, "updateMask": "data"}]}'
            % K,
        ),
        ("POST", f"/v1beta/{D}/chunks:batchDelete", '{"requests": [{"name": "%s"}]}' % K),
        (
            "POST",
            f"/v1beta/{C}/permissions",
            '{"granteeType": "USER", "emailAddress": "bob@example.com", "role": "OWNER"}',
        ),
        ("POST", f"/v1beta/{C}:query", '{"query": "seed"}'),
        ("POST", f"/v1beta/{D}:query", '{"query": "seed"}'),
        (
            "POST",
            "/v1beta/models/aqa:generateAnswer",
            '{"contents": [{"parts": [{"text": "q"}]}], "answerStyle": "ABSTRACTIVE", "semanticRetriever": {"source": "%s", "query": {"parts": [{"text": "q"}]}}}'
            % C,
        ),
    ]
    for method, path, body in targets:
        for who in (BOB, {"authorization": "Bearer alice-token", "x-goog-api-key": "bob-key"}):
            content = None if body is None else body.encode()
            yield Case("cross-user", method, path, content, headers={**who, **JSON})


def seed(http: httpx.Client) -> None:
    """Alice's corpus, document and chunk (re-created if a campaign request removed them)."""
    http.post("/v1beta/corpora", json={"name": C, "displayName": "Alice"}, headers=ALICE)
    http.post(
        f"/v1beta/{C}/documents",
        json={"name": D, "customMetadata": [{"key": "k", "numericValue": 1}]},
        headers=ALICE,
    )
    http.post(
        f"/v1beta/{D}/chunks", json={"name": K, "data": {"stringValue": "seed text"}}, headers=ALICE
    )
    listed = http.get(f"/v1beta/{C}/permissions", headers=ALICE).json().get("permissions", [])
    if not any(p.get("emailAddress") == "carol@example.com" for p in listed):
        http.post(
            f"/v1beta/{C}/permissions",
            json={"granteeType": "USER", "emailAddress": "carol@example.com", "role": "READER"},
            headers=ALICE,
        )


def is_google_error(answer: httpx.Response) -> bool:
    if answer.request.method == "HEAD":
        return True  # no body by definition; the status is checked like any other
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (
        isinstance(error, dict)
        and error.get("code") == answer.status_code
        and isinstance(error.get("message"), str)
        and isinstance(error.get("status"), str)
    )


def run(work: Path, repeat: int, python: str) -> int:
    data_dir = work / "data"
    auth = work / "auth.toml"
    auth.write_text(AUTH, encoding="utf-8")
    log_path = work / "serve.log"
    args = ["--data-dir", str(data_dir), "--embedder", "hash", "--auth-file", str(auth)]
    server = ServerProcess(args, free_port(), log_path, python=python)
    totals: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    examples: list[str] = []
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=120.0) as http:
            seed(http)
            started = time.monotonic()
            for _ in range(repeat):
                for case in cases():
                    counts = by_kind.setdefault(case.kind, Counter())
                    mutating = case.method not in ("GET", "HEAD")
                    before = snapshot(data_dir) if mutating else None
                    try:
                        answer = http.request(
                            case.method,
                            case.path,
                            content=case.body,
                            headers=case.headers,
                            params=case.params,
                        )
                    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as error:
                        counts["transport error"] += 1
                        examples.append(f"{case.kind} {case.method} {case.path[:80]}: {error!r}")
                        continue
                    counts["requests"] += 1
                    if answer.status_code >= 500:
                        counts["5xx"] += 1
                        examples.append(
                            f"{case.kind} {case.method} {case.path[:80]} -> {answer.status_code} {answer.text[:200]}"
                        )
                    if answer.status_code >= 400 and not is_google_error(answer):
                        counts["non-Google body"] += 1
                        examples.append(
                            f"{case.kind} {case.method} {case.path[:80]} -> {answer.status_code} {answer.text[:200]!r}"
                        )
                    if answer.status_code >= 400:
                        counts["rejected"] += 1
                        if before is not None and snapshot(data_dir) != before:
                            counts["rejected but changed"] += 1
                            examples.append(
                                f"CHANGED {case.kind} {case.method} {case.path[:80]} -> {answer.status_code}"
                            )
                    elif mutating:
                        counts["accepted writes"] += 1
                        seed(http)
            elapsed = time.monotonic() - started
    finally:
        server.stop()
    for counts in by_kind.values():
        totals.update(counts)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    tracebacks = log.count("Traceback (most recent call last)")
    print(
        f"{'kind':<14} {'requests':>8} {'rejected':>8} {'5xx':>5} {'non-Google':>10} {'changed':>8}"
    )
    for kind, counts in sorted(by_kind.items()):
        print(
            f"{kind:<14} {counts['requests']:>8} {counts['rejected']:>8} {counts['5xx']:>5} "
            f"{counts['non-Google body']:>10} {counts['rejected but changed']:>8}"
        )
    print(
        f"{'TOTAL':<14} {totals['requests']:>8} {totals['rejected']:>8} {totals['5xx']:>5} "
        f"{totals['non-Google body']:>10} {totals['rejected but changed']:>8}"
    )
    print(f"accepted writes (state re-seeded after each): {totals['accepted writes']}")
    print(f"transport errors: {totals['transport error']}")
    print(f"5xx: {totals['5xx']}   rejected-but-changed: {totals['rejected but changed']}")
    print(f"tracebacks in the server log: {tracebacks}   elapsed: {elapsed:.1f} s")
    for line in examples[:40]:
        print("  " + line)
    failed = totals["5xx"] + totals["rejected but changed"] + totals["non-Google body"]
    return 1 if failed or tracebacks else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="send the whole case list this many times"
    )
    parser.add_argument(
        "--server-python",
        default=sys.executable,
        help="interpreter that runs ragkit serve (another checkout's venv measures a baseline)",
    )
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args.keep, args.repeat, args.server_python)
    with tempfile.TemporaryDirectory() as work:
        return run(Path(work), args.repeat, args.server_python)


if __name__ == "__main__":
    sys.exit(main())
