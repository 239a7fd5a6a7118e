"""The path segment type of resource IDs, so ``corpora/abc`` and ``corpora/abc:query`` differ.

gRPC transcoding puts custom verbs after a colon (``corpora/abc:query``). Starlette's
default ``{param}`` swallows the colon, so route templates here use ``{corpus:rid}``: one
path segment without ``/`` or ``:``. Importing this module registers the convertor.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

__all__ = ["RID"]


class _ResourceIdConvertor(Convertor[str]):
    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


#: Name of the convertor to use in route templates: ``"/corpora/{corpus:rid}"``.
RID = "rid"
register_url_convertor(RID, _ResourceIdConvertor())
