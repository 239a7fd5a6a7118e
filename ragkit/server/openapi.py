"""An OpenAPI 3.1 description of the Semantic Retrieval operations, built from the wire types.

Why curated rather than FastAPI's generated schema: the routes read their bodies through
:func:`~ragkit.server.http.wire.body_of` (strict parsing, Google's unknown-field errors),
so FastAPI sees a ``Request`` and would describe no request body at all; and its schema
would name Python handlers, not Google's operations. Here each operation is one line of a
table (method, path, body type), and every body schema comes from the same pydantic wire
types the client and server share, so the description cannot drift from what is parsed.
The property suite (``tests/server/fuzz``) generates requests from it with schemathesis.

Path parameters are drawn from ``ids`` (e.g. a seeded corpus and one that does not
exist), so generated requests reach the handlers instead of stopping at 404.

Example::

    schema = semantic_retrieval_openapi({"corpus": ["c1", "missing"], ...})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from ragkit.types import (
    BatchCreateChunksRequest,
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    Chunk,
    Corpus,
    Document,
    Permission,
    QueryCorpusRequest,
    QueryDocumentRequest,
)

__all__ = ["OPERATIONS", "semantic_retrieval_openapi"]

_C = "/v1beta/corpora/{corpus}"
_D = _C + "/documents/{document}"
_K = _D + "/chunks/{chunk}"
_P = _C + "/permissions/{permission}"

#: (operationId, method, path, body type, query parameters) of every operation described.
OPERATIONS: tuple[tuple[str, str, str, type[BaseModel] | None, tuple[str, ...]], ...] = (
    ("corpora.create", "post", "/v1beta/corpora", Corpus, ()),
    ("corpora.list", "get", "/v1beta/corpora", None, ("pageSize", "pageToken")),
    ("corpora.get", "get", _C, None, ()),
    ("corpora.patch", "patch", _C, Corpus, ("updateMask",)),
    ("corpora.delete", "delete", _C, None, ("force",)),
    ("corpora.query", "post", _C + ":query", QueryCorpusRequest, ()),
    ("documents.create", "post", _C + "/documents", Document, ()),
    ("documents.list", "get", _C + "/documents", None, ("pageSize", "pageToken")),
    ("documents.get", "get", _D, None, ()),
    ("documents.patch", "patch", _D, Document, ("updateMask",)),
    ("documents.delete", "delete", _D, None, ("force",)),
    ("documents.query", "post", _D + ":query", QueryDocumentRequest, ()),
    ("chunks.create", "post", _D + "/chunks", Chunk, ()),
    ("chunks.list", "get", _D + "/chunks", None, ("pageSize", "pageToken")),
    ("chunks.get", "get", _K, None, ()),
    ("chunks.patch", "patch", _K, Chunk, ("updateMask",)),
    ("chunks.delete", "delete", _K, None, ()),
    ("chunks.batchCreate", "post", _D + "/chunks:batchCreate", BatchCreateChunksRequest, ()),
    ("chunks.batchUpdate", "post", _D + "/chunks:batchUpdate", BatchUpdateChunksRequest, ()),
    ("chunks.batchDelete", "post", _D + "/chunks:batchDelete", BatchDeleteChunksRequest, ()),
    ("permissions.create", "post", _C + "/permissions", Permission, ()),
    ("permissions.list", "get", _C + "/permissions", None, ("pageSize", "pageToken")),
    ("permissions.get", "get", _P, None, ()),
    ("permissions.patch", "patch", _P, Permission, ("updateMask",)),
    ("permissions.delete", "delete", _P, None, ()),
)

_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "pageSize": {"type": "integer"},
    "pageToken": {"type": "string"},
    "updateMask": {"type": "string"},
    "force": {"type": "boolean"},
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
            },
        }
    },
}


def _path_parameters(path: str, ids: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.replace(":", "/").split("/") if part.startswith("{")]
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": list(ids[name])}
            if ids.get(name)
            else {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
        }
        for name in names
    ]


def semantic_retrieval_openapi(ids: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``ids`` optionally pins path parameters to given values."""
    ids = ids or {}
    components: dict[str, Any] = {"Error": _ERROR}
    paths: dict[str, dict[str, Any]] = {}
    for operation_id, method, path, body, query in OPERATIONS:
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "parameters": _path_parameters(path, ids)
            + [{"name": q, "in": "query", "schema": _QUERY_SCHEMAS[q]} for q in query],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
                "default": {
                    "description": "Google's error body",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if body is not None:
            schema = body.model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            components.update(schema.pop("$defs", {}))
            components[body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{body.__name__}"}
                    }
                },
            }
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "ragkit Semantic Retrieval API", "version": "v1beta"},
        "paths": paths,
        "components": {"schemas": components},
    }
