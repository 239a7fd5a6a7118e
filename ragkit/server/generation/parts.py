"""A generateContent request flattened into text segments, for counting and answering.

Every place a request can carry text becomes a :class:`Segment`: the cached content it
names (``cachedContent``), the system instruction, tool declarations and each part of each
content. Parts are read as text where they have one: ``text``; ``inlineData`` with a
``text/*``, JSON or PDF mime type (decoded, PDF text extracted with pypdf); ``fileData``
through the :class:`~ragkit.server.generation.resolver.ContentResolver`; function calls
and responses, code and code results as their JSON/source text. Other media (images,
audio, video) have no text; they count as :data:`MEDIA_TOKENS` tokens each, the figure
Google gives for an image.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.server.errors import invalid_argument
from ragkit.server.generation.resolver import ContentResolver, no_resolver_error
from ragkit.server.principal import Principal
from ragkit.types import CachedContent, Content, GenerateContentRequest, Part, Tool
from ragkit.types._base import to_wire

__all__ = ["MEDIA_TOKENS", "Segment", "flatten", "inline_text", "part_text", "resolve_cached"]

#: Tokens counted for one non-text media part (Google's figure for an image).
MEDIA_TOKENS = 258
_TEXT_MIME_TYPES = frozenset(
    {"application/json", "application/xml", "application/x-yaml", "application/javascript"}
)


@dataclass(frozen=True)
class Segment:
    """One piece of a request: where it came from, its role, its text (``None`` for media).

    ``where`` is the camelCase field path (``contents[2].parts[0]``); ``turn`` the index
    of the request content it belongs to (``None`` outside ``contents``); ``cached`` marks
    segments that come from the request's cached content.
    """

    where: str
    role: str
    text: str | None
    cached: bool = False
    turn: int | None = None


def _is_text_mime(mime: str) -> bool:
    base = mime.split(";")[0].strip().lower()
    return base.startswith("text/") or base in _TEXT_MIME_TYPES


def _pdf_text(data: bytes, where: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, OSError) as exc:
        raise invalid_argument(f"Invalid value at '{where}': not a readable PDF ({exc}).") from None


def inline_text(mime_type: str | None, data: str | None, where: str) -> str | None:
    """The text of an ``inlineData`` blob, or ``None`` for media without text.

    Raises:
        ApiError: INVALID_ARGUMENT when ``data`` is not base64, text is not UTF-8, or a
            PDF cannot be read.
    """
    if not mime_type:
        raise invalid_argument(f"Invalid value at '{where}.mimeType': a mime type is required.")
    try:
        raw = base64.b64decode(data or "", validate=False, altchars=b"-_")
    except (binascii.Error, ValueError):
        raise invalid_argument(
            f"Invalid value at '{where}.data' (TYPE_BYTES), Base64 decoding failed."
        ) from None
    if _is_text_mime(mime_type):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_argument(f"Invalid value at '{where}.data': text is not UTF-8.") from None
    if mime_type.split(";")[0].strip().lower() == "application/pdf":
        return _pdf_text(raw, where)
    return None


def part_text(
    part: Part, where: str, who: Principal, resolver: ContentResolver | None
) -> str | None:
    """The text a part carries (see the module docstring); ``None`` for non-text media.

    Raises:
        ApiError: INVALID_ARGUMENT for an empty part or bad inline data; FAILED_PRECONDITION
            for ``fileData`` without a resolver; whatever the resolver raises.
    """
    if part.text is not None:
        return part.text
    if part.inline_data is not None:
        return inline_text(part.inline_data.mime_type, part.inline_data.data, f"{where}.inlineData")
    if part.file_data is not None:
        uri = part.file_data.file_uri
        if not uri:
            raise invalid_argument(f"Invalid value at '{where}.fileData.fileUri': required.")
        if resolver is None:
            raise no_resolver_error(f"'{where}.fileData' ({uri})")
        return resolver.file_text(who, uri)[1]
    for value in (part.function_call, part.function_response, part.code_execution_result):
        if value is not None:
            return json.dumps(to_wire(value), ensure_ascii=False, sort_keys=True)
    if part.executable_code is not None:
        return part.executable_code.code or ""
    raise invalid_argument(
        f"Invalid value at '{where}': a part must hold text, inlineData, fileData, "
        "functionCall, functionResponse, executableCode or codeExecutionResult."
    )


def _content_segments(
    content: Content, where: str, role: str, who: Principal, resolver: ContentResolver | None
) -> list[Segment]:
    parts = content.parts or []
    if not parts:
        raise invalid_argument(f"Invalid value at '{where}.parts': must not be empty.")
    return [
        Segment(f"{where}.parts[{i}]", role, part_text(part, f"{where}.parts[{i}]", who, resolver))
        for i, part in enumerate(parts)
    ]


def _tool_segments(tools: Sequence[Tool], where: str) -> list[Segment]:
    segments = []
    for i, tool in enumerate(tools):
        for j, declaration in enumerate(tool.function_declarations or []):
            text = json.dumps(to_wire(declaration), ensure_ascii=False, sort_keys=True)
            segments.append(Segment(f"{where}[{i}].functionDeclarations[{j}]", "tools", text))
    return segments


def _check_role(role: str | None, where: str) -> str:
    if role in (None, "", "user", "model", "function"):
        return role or "user"
    raise invalid_argument(
        f"Invalid value at '{where}.role': please use a valid role: user, model (got {role!r})."
    )


def _cached_segments(
    cached: CachedContent, who: Principal, resolver: ContentResolver | None
) -> list[Segment]:
    segments: list[Segment] = []
    if cached.system_instruction is not None:
        segments += _content_segments(
            cached.system_instruction, "cachedContent.systemInstruction", "system", who, resolver
        )
    segments += _tool_segments(cached.tools or [], "cachedContent.tools")
    for i, content in enumerate(cached.contents or []):
        where = f"cachedContent.contents[{i}]"
        segments += _content_segments(content, where, content.role or "user", who, resolver)
    return [Segment(s.where, s.role, s.text, cached=True) for s in segments]


def flatten(
    request: GenerateContentRequest,
    who: Principal,
    resolver: ContentResolver | None,
    *,
    cached: CachedContent | None = None,
    require_contents: bool = True,
) -> list[Segment]:
    """Every segment of ``request``: cached content first, then system instruction, tools
    and contents, in order.

    Raises:
        ApiError: INVALID_ARGUMENT for missing contents, empty parts or bad roles; see
            :func:`part_text` for the rest.
    """
    contents = request.contents or []
    if require_contents and not contents:
        raise invalid_argument("Invalid value at 'contents': at least one content is required.")
    segments = _cached_segments(cached, who, resolver) if cached is not None else []
    if request.system_instruction is not None:
        segments += _content_segments(
            request.system_instruction, "systemInstruction", "system", who, resolver
        )
    segments += _tool_segments(request.tools or [], "tools")
    for i, content in enumerate(contents):
        where = f"contents[{i}]"
        role = _check_role(content.role, where)
        turn = _content_segments(content, where, role, who, resolver)
        segments += [Segment(s.where, s.role, s.text, turn=i) for s in turn]
    return segments


def resolve_cached(
    request: GenerateContentRequest, model: str, who: Principal, resolver: ContentResolver | None
) -> CachedContent | None:
    """The cached content ``request`` names, checked against ``model`` and the request.

    Raises:
        ApiError: FAILED_PRECONDITION without a resolver; INVALID_ARGUMENT when the cache
            was made for another model or the request also sets systemInstruction, tools
            or toolConfig (which the cache fixes); whatever the resolver raises.
    """
    name = request.cached_content
    if not name:
        return None
    if resolver is None:
        raise no_resolver_error(f"cachedContent {name!r}")
    if request.system_instruction is not None or request.tools or request.tool_config:
        raise invalid_argument(
            "CachedContent can not be used with GenerateContent request setting "
            "system_instruction, tools or tool_config. Move those values into the "
            "CachedContent."
        )
    cached = resolver.cached_content(who, name)
    if cached.model is not None and cached.model != model:
        raise invalid_argument(
            f"Model {model} does not match the model of {name} ({cached.model}); a cached "
            "content can only be used with the model it was created for."
        )
    return cached
