"""Declarative ingestion pipelines: one TOML file per job, run by ``ragkit ingest --pipeline``.

A pipeline file::

    name = "markdown-docs"
    description = "A folder of Markdown documentation"
    corpus = "corpora/docs"            # optional; --corpus overrides it

    [source]
    paths = ["docs"]                   # files or directories
    include = ["**/*.md"]              # globs, relative to the sources' common parent
    exclude = ["**/drafts/**"]

    [chunking]
    chunk_tokens = 200                 # optional; ChunkingConfig's defaults otherwise
    overlap_tokens = 50
    context = true                     # context line in front of each chunk

    [metadata]                         # attached to every document (at most 16 entries)
    collection = "docs"

Relative source paths are resolved against the **current directory**, exactly like paths given
on the command line, so a project keeps its pipelines in ``pipelines/`` and runs them from its
root. Paths given on the command line replace ``source.paths``. Unknown keys are errors, so a
typo never silently changes what gets ingested.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkit._exceptions import RagkitError
from ragkit.ingest.chunking import ChunkingConfig
from ragkit.ingest.errors import ChunkingConfigError
from ragkit.ingest.sync.engine import check_metadata
from ragkit.names import corpus_name
from ragkit.provenance import MetadataValue

__all__ = ["Pipeline", "PipelineError", "load_pipeline"]

_TOP = {"name", "description", "corpus", "source", "chunking", "metadata"}
_SOURCE = {"paths", "include", "exclude"}
_CHUNKING = {"chunk_tokens", "overlap_tokens", "max_tokens", "context"}


class PipelineError(RagkitError, ValueError):
    """A pipeline file is missing, not TOML, or not a valid pipeline; the message says where."""


@dataclass(frozen=True)
class Pipeline:
    """A parsed pipeline file (see the module docstring for the format)."""

    path: Path
    name: str
    description: str = ""
    corpus: str | None = None
    paths: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    metadata: dict[str, MetadataValue] = field(default_factory=dict)


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Read and validate a pipeline file.

    Raises:
        PipelineError: the file cannot be read or parsed, or a value is invalid.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PipelineError(f"{file}: cannot read pipeline: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{file}: not valid TOML: {exc}") from exc
    try:
        return _parse(file, data)
    except (ValueError, TypeError) as exc:
        raise PipelineError(f"{file}: {exc}") from exc


def _parse(file: Path, data: dict[str, Any]) -> Pipeline:
    _known(data, _TOP, "top level")
    source = _table(data, "source")
    _known(source, _SOURCE, "[source]")
    chunking = _table(data, "chunking")
    _known(chunking, _CHUNKING, "[chunking]")
    for key, value in chunking.items():
        if key == "context":
            if not isinstance(value, bool):
                raise ValueError(f"[chunking] context must be true or false, got {value!r}")
        elif not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"[chunking] {key} must be an integer, got {value!r}")
    try:
        config = ChunkingConfig(**chunking)
    except ChunkingConfigError as exc:
        raise ValueError(f"[chunking] {exc}") from exc
    corpus = data.get("corpus")
    if corpus is not None:
        corpus = corpus_name(_string(corpus, "corpus"))
    return Pipeline(
        path=file,
        name=_string(data.get("name", file.stem), "name"),
        description=_string(data.get("description", ""), "description"),
        corpus=corpus,
        paths=_strings(source, "paths"),
        include=_strings(source, "include"),
        exclude=_strings(source, "exclude"),
        chunking=config,
        metadata=check_metadata(_table(data, "metadata")),
    )


def _known(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}")


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{key}] must be a table")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"[source] {key} must be a list of strings")
    return tuple(value)
