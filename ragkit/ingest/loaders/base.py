"""The loader registry: file extension -> function turning bytes into a LoadedDocument.

Built-in loaders register themselves when :mod:`ragkit.ingest.loaders` is imported; add your own
with :func:`register_loader`. :func:`load` is the entry point: it reads the file once, hands the
bytes to the loader for its extension and turns every failure into a :class:`LoadError`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ragkit.ingest.document import LoadedDocument
from ragkit.ingest.errors import (
    EmptyFileError,
    FileReadError,
    UnsupportedFileTypeError,
)

__all__ = [
    "LoaderFunc",
    "load",
    "loader_for",
    "register_loader",
    "supported_extensions",
]

#: ``(path, raw_bytes) -> LoadedDocument``; raises a :class:`LoadError` subclass on failure.
LoaderFunc = Callable[[Path, bytes], LoadedDocument]

_REGISTRY: dict[str, LoaderFunc] = {}


def register_loader(extensions: Iterable[str], func: LoaderFunc) -> None:
    """Register ``func`` for files ending in any of ``extensions`` (``".md"`` or ``"md"``).

    A later registration for the same extension replaces the earlier one.
    """
    for extension in extensions:
        _REGISTRY[_normalize_extension(extension)] = func


def loader_for(path: str | os.PathLike[str]) -> LoaderFunc | None:
    """Return the loader for ``path``'s extension (case-insensitive), or ``None``."""
    return _REGISTRY.get(Path(path).suffix.lower())


def supported_extensions() -> list[str]:
    """The registered extensions, sorted, with their leading dot (``[".htm", ".html", ...]``)."""
    return sorted(_REGISTRY)


def load(path: str | os.PathLike[str], data: bytes | None = None) -> LoadedDocument:
    """Load one file into a :class:`LoadedDocument`.

    Args:
        path: The file; its extension picks the loader.
        data: The file's bytes if already in memory; otherwise the file is read.

    Raises:
        UnsupportedFileTypeError: No loader handles the extension (checked before reading).
        FileReadError: The file could not be read.
        EmptyFileError: The file is empty, or holds no text once parsed.
        LoadError: Any other per-file failure (see :mod:`ragkit.ingest.errors`).
    """
    file_path = Path(path)
    loader = loader_for(file_path)
    if loader is None:
        suffix = file_path.suffix or "(no extension)"
        raise UnsupportedFileTypeError(file_path, f"unsupported file type {suffix}")
    if data is None:
        try:
            data = file_path.read_bytes()
        except OSError as exc:
            raise FileReadError(file_path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data:
        raise EmptyFileError(file_path, "empty file")
    document = loader(file_path, data)
    if not document.text.strip():
        raise EmptyFileError(file_path, "no text content")
    return document


def _normalize_extension(extension: str) -> str:
    extension = extension.lower()
    return extension if extension.startswith(".") else f".{extension}"
