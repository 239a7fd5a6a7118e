"""Output shared by ``ragkit`` commands: tables for people, ``--json`` for scripts, errors.

Conventions every command follows:

- human output goes to stdout as aligned tables or short text;
- ``--json`` prints one JSON document (the API's own camelCase shape for resources);
  commands that stream results (``chat``) print one JSON object per line;
- failures exit non-zero with one line on stderr, ``ragkit CMD: error: MESSAGE``, built from
  the typed error (a filter error adds its two caret lines below, pointing at the mistake;
  :mod:`ragkit.cli._explain` words API errors for a command line);
- tables fit the terminal (``COLUMNS``, else the terminal's width): the widest columns are
  cut with an ellipsis; output to a pipe or file is not cut;
- output cut short by a closed pipe (``ragkit ... | head``) ends quietly, exit status 141
  (128 + SIGPIPE) as for other Unix tools;
- Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from ragkit._exceptions import APIError, RagkitError
from ragkit.types import to_wire

__all__ = [
    "CommandError",
    "Handler",
    "add_json_argument",
    "command",
    "print_json",
    "print_table",
    "shorten",
    "to_json",
]

Handler = Callable[[argparse.Namespace, argparse.ArgumentParser], int]

#: Exit status of a command that failed (argparse uses 2 for usage errors).
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
#: Exit status when stdout was closed under us (``| head``): 128 + SIGPIPE, as a shell shows.
EXIT_BROKEN_PIPE = 141


class CommandError(Exception):
    """A failure a command reports as its one-line error (bad flag combination...)."""


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON for scripts instead of a table"
    )


def to_json(value: Any) -> Any:
    """JSON-ready data: pydantic models in their wire form, containers recursively."""
    if isinstance(value, BaseModel):
        return to_wire(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def print_json(value: Any, *, lines: bool = False) -> None:
    """Print ``value`` as JSON (indented, or compact on one line when ``lines``)."""
    text = json.dumps(to_json(value), ensure_ascii=False, indent=None if lines else 2)
    print(text, flush=lines)


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Whole seconds in UTC, as the API writes timestamps: 2026-11-25T10:14:06Z.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


#: Columns are never cut below this many characters (or their header, if shorter).
_MIN_COLUMN = 8
_GAP = 2


def table_width() -> int | None:
    """Characters a table may use: ``$COLUMNS``, else the terminal's width; ``None`` (no
    limit) when stdout is a pipe or a file, so ``grep`` sees whole cells."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def fit_widths(widths: Sequence[int], floors: Sequence[int], total: int) -> list[int]:
    """Column widths summing to at most ``total`` (gaps excluded): the widest columns shrink
    first, none below its floor."""
    fitted = list(widths)
    excess = sum(fitted) - total
    while excess > 0:
        cuttable = [i for i, (w, f) in enumerate(zip(fitted, floors, strict=True)) if w > f]
        if not cuttable:
            break
        widest = max(cuttable, key=fitted.__getitem__)
        next_widest = max((fitted[i] for i in cuttable if i != widest), default=0)
        cut = min(excess, fitted[widest] - max(next_widest, floors[widest])) or 1
        fitted[widest] -= cut
        excess -= cut
    return fitted


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print rows under headers, columns aligned (the last one is not padded), cut to fit
    :func:`table_width`."""
    cells = [[_cell(v) for v in row] for row in rows]
    if not cells:
        print("(none)")
        return
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    room = table_width()
    if room is not None:
        floors = [min(w, max(len(h), _MIN_COLUMN)) for w, h in zip(widths, headers, strict=True)]
        widths = fit_widths(widths, floors, room - _GAP * (len(widths) - 1))
        cells = [[shorten(v, w) for v, w in zip(row, widths, strict=True)] for row in cells]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(w) for v, w in zip(values[:-1], widths[:-1], strict=True)]
        return (" " * _GAP).join([*padded, values[-1]]).rstrip()

    print(line(list(headers)))
    for row in cells:
        print(line(row))


def _message(error: BaseException, args: argparse.Namespace) -> str:
    from ragkit.cli._explain import explain

    explained = explain(error, args)
    if explained is not None:
        return explained
    if isinstance(error, APIError):
        return f"{error.message} ({error.status})"
    text = str(error) or type(error).__name__
    return text


def report_error(name: str, error: BaseException, args: argparse.Namespace) -> int:
    """Print ``ragkit NAME: error: ...`` for ``error`` on stderr; returns the exit status."""
    first, *rest = _message(error, args).splitlines() or [""]
    print(f"ragkit {name}: error: {first}", file=sys.stderr)
    from ragkit.rag.filters import FilterError

    if isinstance(error, FilterError):
        for extra in rest:
            print(extra, file=sys.stderr)
    return EXIT_FAILURE


def command(name: str) -> Callable[[Handler], Handler]:
    """Decorate a handler so expected failures become ``ragkit NAME: error: ...`` and exit 1."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
            try:
                return handler(args, parser)
            except KeyboardInterrupt:
                print(file=sys.stderr)
                return EXIT_INTERRUPTED
            except BrokenPipeError:
                raise  # main() ends quietly: the reader (| head) has all it wanted
            except (CommandError, RagkitError, ValueError, OSError, RuntimeError) as error:
                return report_error(name, error, args)

        return run

    return decorate


def silence_stdout() -> None:
    """Point stdout at /dev/null after a broken pipe, so the interpreter's final flush does
    not print "Exception ignored ... BrokenPipeError"."""
    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
