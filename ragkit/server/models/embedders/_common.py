"""Helpers shared by the embedders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import numpy.typing as npt


def l2_normalise(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Scale each row of ``matrix`` to unit length in place; all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def check_texts(texts: object) -> None:
    """Reject a bare string, which would otherwise be embedded character by character."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not a single string.")


class EmbedderUnavailableError(RuntimeError):
    """A model's runtime package or data file is missing or corrupted.

    Raised on first use, not at construction, because embedders load lazily.
    """


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise :class:`EmbedderUnavailableError` unless ``path`` exists with that sha256."""
    if not path.is_file():
        raise EmbedderUnavailableError(f"Model file {path} is missing.")
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise EmbedderUnavailableError(
            f"Model file {path} is corrupted: sha256 {actual}, expected {expected_sha256}."
        )
