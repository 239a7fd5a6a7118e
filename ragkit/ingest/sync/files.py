"""Finding the files to ingest: walk the given paths, filter by globs, hash every file.

Paths may be files or directories (walked recursively, in sorted order, not following
directory symlinks). Hidden files and directories (names starting with ``.``) are ignored
under a walked directory; a hidden file named explicitly is used. Files without a loader are
reported as skipped, never failed.

The **root** is the directory every ``source`` (the path stored in the corpus, and the
input of the document ID) is relative to: by default the common parent of the given paths
(the directory itself for one directory, the file's directory for one file). Keep the same
root between runs, or every document is re-created under new IDs. Giving a root explicitly
lets separate runs over parts of one tree agree with a run over all of it: ``docs/a`` with
root ``docs`` yields ``a/intro.md``, as ``docs`` itself does.

The **scope** of a run is what its paths cover, relative to the root (:func:`scope_of`):
``--delete`` only ever removes documents whose source lies in it, so syncing ``docs/a``
leaves the documents of ``docs/b`` alone.

Glob patterns (``include``/``exclude``) match the ``/``-separated path relative to the root:
``*`` and ``?`` stay within one directory, ``**/`` spans any number of directories (including
none), ``[abc]`` is a character class; a pattern without ``/`` matches the file name at any
depth (``*.md`` is ``**/*.md``). Files named explicitly are never filtered out by globs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ragkit._exceptions import RagkitError
from ragkit.ingest.loaders import loader_for
from ragkit.ingest.sync.ids import document_id
from ragkit.ingest.sync.plan import LocalFile
from ragkit.ingest.sync.report import FileIssue

__all__ = ["Discovery", "SourceError", "compile_glob", "discover", "scope_of"]

PathInput = str | os.PathLike[str]


class SourceError(RagkitError, ValueError):
    """A path to ingest does not exist or lies outside the root; nothing was sent."""


@dataclass
class Discovery:
    """What :func:`discover` found; ``scope`` is :func:`scope_of` the paths."""

    root: Path
    scope: list[str] = field(default_factory=list)
    files: list[LocalFile] = field(default_factory=list)
    skipped: list[FileIssue] = field(default_factory=list)
    failed: list[FileIssue] = field(default_factory=list)


def discover(
    paths: Sequence[PathInput],
    *,
    root: PathInput | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Discovery:
    """The files under ``paths``, with sources relative to ``root`` and content hashes.

    Raises:
        SourceError: no paths, a path does not exist, or a path is outside ``root``.
    """
    if not paths:
        raise SourceError("no paths to ingest")
    given = [Path(path) for path in paths]
    for path in given:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
    base = Path(os.path.abspath(root)) if root is not None else _common_root(given)
    includes = [compile_glob(p) for p in include]
    excludes = [compile_glob(p) for p in exclude]
    found = Discovery(root=base, scope=scope_of(given, base))
    seen: set[str] = set()
    ids: dict[str, str] = {}
    for path, explicit in _walk(given):
        absolute = os.path.abspath(path)
        source = _relative(absolute, base)
        if absolute in seen or (
            not explicit
            and ((includes and not _matches(includes, source)) or _matches(excludes, source))
        ):
            continue
        seen.add(absolute)
        if loader_for(path) is None:
            found.skipped.append(
                FileIssue(str(path), f"unsupported file type {path.suffix or '(no extension)'}")
            )
            continue
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            found.failed.append(FileIssue(str(path), f"cannot read file: {exc.strerror or exc}"))
            continue
        doc_id = document_id(source)
        if doc_id in ids:
            found.failed.append(
                FileIssue(str(path), f"document ID {doc_id} already used by {ids[doc_id]}")
            )
            continue
        ids[doc_id] = str(path)
        found.files.append(LocalFile(str(path), source, doc_id, digest))
    return found


def scope_of(paths: Iterable[PathInput], root: PathInput) -> list[str]:
    """What ``paths`` cover, as ``/``-separated paths relative to ``root``.

    A directory covers everything below it (``""`` stands for the root itself), a file only
    itself. The paths need not exist.

    Raises:
        SourceError: a path is not inside ``root``.
    """
    base = os.path.abspath(root)
    scope = []
    for path in paths:
        relative = os.path.relpath(os.path.abspath(path), base)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise SourceError(
                f"{path} is not inside the root {base}: the root must contain every path"
            )
        scope.append("" if relative == os.curdir else Path(relative).as_posix())
    return scope


def _common_root(paths: Iterable[Path]) -> Path:
    bases = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths]
    return Path(os.path.commonpath(bases))


def _relative(absolute: str, root: Path) -> str:
    relative = os.path.relpath(absolute, root)
    if relative == os.curdir or relative.startswith(os.pardir + os.sep) or relative == os.pardir:
        raise SourceError(f"{absolute} is not inside the root {root}")
    return Path(relative).as_posix()


def _walk(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """``(file, named explicitly)`` for every file, in a stable order."""
    for path in paths:
        if not path.is_dir():
            yield path, True
            continue
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith("."):
                    yield Path(directory) / name, False


def _matches(patterns: Sequence[re.Pattern[str]], source: str) -> bool:
    return any(pattern.match(source) for pattern in patterns)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regular expression for a glob over ``/``-separated relative paths (see module doc)."""
    if "/" not in pattern:
        pattern = "**/" + pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            body = ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\")
            out.append("[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")
