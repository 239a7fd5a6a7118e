"""Progress of ``ragkit ingest``: chunks uploaded, with rate and time left.

On a terminal it is a tqdm bar on stderr, redrawn in place and erased at the end. Anywhere
else (a log file, CI) it is a plain line every :data:`LOG_INTERVAL` seconds
(``RAGKIT_PROGRESS_INTERVAL`` changes it), so a long run shows it is alive without control
codes::

    ingest: 1200/5000 chunks (24%), 95.3 chunks/s, 00:12 elapsed, 00:39 left, files 10/40

The total counts chunks still to upload; until every file has been read it is an estimate
(:attr:`~ragkit.ingest.sync.ProgressUpdate.chunks_expected`), marked so. tqdm is imported
here, and this module only by the ``ingest`` command, so ``import ragkit`` stays light.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ragkit.ingest.sync import ProgressUpdate

__all__ = ["LOG_INTERVAL", "INTERVAL_ENV_VAR", "Progress"]

#: Seconds between two progress lines when stderr is not a terminal.
LOG_INTERVAL = 10.0
INTERVAL_ENV_VAR = "RAGKIT_PROGRESS_INTERVAL"

_LINE_FORMAT = (
    "{desc}: {n_fmt}/{total_fmt} chunks ({percentage:.0f}%), {rate_fmt}, {elapsed} elapsed, "
    "{remaining} left{postfix}"
)


class Progress:
    """Feed it :class:`~ragkit.ingest.sync.ProgressUpdate` objects; :meth:`close` at the end.

    Use :meth:`for_stream`, which picks the bar or the log lines for ``stream``.
    """

    def __init__(self, stream: TextIO, *, interactive: bool, interval: float) -> None:
        self._stream = stream
        self._interactive = interactive
        self._interval = interval
        self._started = time.monotonic()
        self._last_line: float | None = None
        self._latest: ProgressUpdate | None = None
        self._bar: Any = None

    @classmethod
    def for_stream(cls, stream: TextIO) -> Progress:
        """A bar when ``stream`` is a terminal, else periodic plain lines."""
        try:
            interval = float(os.environ.get(INTERVAL_ENV_VAR) or LOG_INTERVAL)
        except ValueError:
            interval = LOG_INTERVAL
        return cls(stream, interactive=stream.isatty(), interval=max(interval, 0.0))

    @property
    def latest(self) -> ProgressUpdate | None:
        """The last update received."""
        return self._latest

    def update(self, progress: ProgressUpdate) -> None:
        """Show ``progress`` (the bar throttles itself; lines come every interval)."""
        self._latest = progress
        if self._interactive:
            self._draw(progress)
            return
        now = time.monotonic()
        if self._last_line is None or now - self._last_line >= self._interval:
            self._last_line = now
            self._stream.write(self.line(progress) + "\n")
            self._stream.flush()

    def line(self, progress: ProgressUpdate) -> str:
        """One plain progress line for ``progress``."""
        from tqdm import tqdm

        total = progress.chunks_expected
        return str(
            tqdm.format_meter(
                progress.chunks_done,
                total,  # 0: unknown yet
                time.monotonic() - self._started,
                prefix="ingest",
                unit=" chunks",
                bar_format=_LINE_FORMAT if total else "{desc}: {n_fmt} chunks, {rate_fmt}{postfix}",
                postfix=self._postfix(progress),
            )
        )

    def _draw(self, progress: ProgressUpdate) -> None:
        from tqdm import tqdm

        total = progress.chunks_expected or None
        if self._bar is None:
            self._bar = tqdm(
                total=total,
                desc="ingest",
                unit="chunk",
                file=self._stream,
                dynamic_ncols=True,
                leave=False,
                mininterval=0.2,
                postfix=self._postfix(progress),
            )
        self._bar.total = total
        self._bar.set_postfix_str(self._postfix(progress), refresh=False)
        self._bar.update(progress.chunks_done - self._bar.n)
        if total is not None and progress.chunks_done >= total:
            self._bar.refresh()  # the last step is shown even within the redraw interval

    @staticmethod
    def _postfix(progress: ProgressUpdate) -> str:
        estimate = " (total estimated)" if progress.chunks_expected != progress.chunks_total else ""
        return f"files {progress.files_done}/{progress.files_total}{estimate}"

    def close(self) -> None:
        """Erase the bar (the summary follows it)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
