"""``ragkit ingest``: keep a corpus in sync with files (txt, md, html, pdf).

ragkit ingest docs/ --corpus corpora/docs                  # add new, update changed files
ragkit ingest docs/ --corpus corpora/docs --delete         # ...and drop documents of gone files
ragkit ingest docs/ --corpus corpora/docs --dry-run        # print the plan, send nothing
ragkit ingest docs/a --root docs --corpus corpora/docs     # IDs as if docs/ were ingested
ragkit ingest --pipeline pipelines/pdf-manuals.toml --corpus corpora/manuals --json

Without --base-url (or RAGKIT_BASE_URL) ragkit's server runs inside the command on --data-dir
(default: $RAGKIT_DATA_DIR, else ./.ragkit if the current folder has one, else the per-user
folder, e.g. ~/.local/share/ragkit) with the minilm embedder and no quota on documents or
chunks per corpus.

Re-runs upload only what changed; a run killed at any point is finished by the next one.
Moved files (same content, new path) are re-created at the new path, then the old document
is deleted. --delete only considers documents under the PATHs given.

A document's ID comes from its path relative to the root: the ingested folder (the common
parent of several PATHs), or --root DIR. With --root, runs over sub-folders of one tree give
the IDs one run over the whole tree gives, and syncing one sub-folder with --delete leaves its
siblings' documents alone. Globs in a pipeline match paths relative to the root.

Progress (chunks uploaded, rate, time left) is a bar on a terminal and a plain line every
10 s in logs and CI ($RAGKIT_PROGRESS_INTERVAL seconds); -q turns it off. Ctrl-C stops after
the requests in flight (a second Ctrl-C stops at once); run the same command again to resume.

Exit status: 0 when the run completed, even if some files failed (they are listed, and in
--json under "failed"), unless --strict; 1 when the run stopped (server unreachable,
credentials refused, quota exhausted...), a path or pipeline is invalid, a file named as a
PATH has an unsupported type, or with --strict a file failed; 2 for usage errors (a PATH
outside --root included); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.cli._args import non_negative, positive
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._interrupt import Interrupted, stop_on_interrupt
from ragkit.cli._output import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    CommandError,
    command,
    print_table,
    report_error,
)

if TYPE_CHECKING:
    from ragkit.cli._progress import Progress
    from ragkit.ingest.sync import IngestReport, PlannedFile

__all__ = [
    "INGEST_MAX_OVERLOAD_WAIT",
    "INGEST_TIMEOUT",
    "register",
]

#: Seconds one request of ``ragkit ingest`` may take: a batch of 100 chunks may wait behind
#: the server's whole embedding queue (``--embed-queue-depth`` batches) on a busy machine.
INGEST_TIMEOUT = 600.0
#: Seconds one request may spend waiting on a busy server's 429s with Retry-After (which do
#: not count as retries): a bulk upload waits its turn rather than fail.
INGEST_MAX_OVERLOAD_WAIT = 1800.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = commands.add_parser(
        "ingest", help="sync files into a corpus (incremental, resumable)", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    ingest.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (replace --pipeline's)"
    )
    ingest.add_argument("--corpus", metavar="corpora/ID", help="target corpus, created if missing")
    ingest.add_argument(
        "--pipeline", metavar="FILE", help="pipeline TOML: sources, globs, chunking, metadata"
    )
    ingest.add_argument(
        "--delete",
        action="store_true",
        help="also delete ingested documents under the paths whose file is gone (mirror them)",
    )
    ingest.add_argument(
        "--root",
        metavar="DIR",
        help="make document sources (and IDs) relative to DIR, which must contain every PATH",
    )
    ingest.add_argument(
        "--dry-run", action="store_true", help="print the plan and limit problems, send nothing"
    )
    ingest.add_argument(
        "--json", action="store_true", help="print the report as one JSON object (last line)"
    )
    ingest.add_argument(
        "--chunk-tokens", type=positive, metavar="N", help="chunk size (200, or the pipeline's)"
    )
    ingest.add_argument(
        "--no-context",
        action="store_true",
        help="send chunks without their context line (document title > section)",
    )
    ingest.add_argument(
        "--overlap-tokens",
        type=non_negative,
        metavar="N",
        help="overlap between chunks (50, or the pipeline's)",
    )
    ingest.add_argument(
        "--concurrency", type=positive, default=4, metavar="N", help="requests in flight (4)"
    )
    add_connection_arguments(ingest, default_timeout=INGEST_TIMEOUT)
    ingest.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 when any file failed (the others are still ingested)",
    )
    ingest.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="in the folders given, ingest only files whose path (relative to the root) "
        "matches GLOB: '*.md', 'guides/**/*.html' (repeatable; added to the pipeline's)",
    )
    ingest.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="in the folders given, skip files whose path matches GLOB (repeatable; added "
        "to the pipeline's)",
    )
    ingest.set_defaults(handler=_ingest, command_parser=ingest)


@command("ingest")
def _ingest(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.ingest.chunking import ChunkingConfig
    from ragkit.ingest.sync import IngestError, ingest, load_pipeline

    pipeline = load_pipeline(args.pipeline) if args.pipeline else None
    corpus = args.corpus or (pipeline.corpus if pipeline else None)
    paths = list(args.paths) or list(pipeline.paths if pipeline else ())
    if not corpus:
        raise CommandError("--corpus is required (or a pipeline with corpus = ...)")
    if not paths:
        raise CommandError("give at least one PATH (or a pipeline with [source] paths)")
    if args.root is not None:
        _check_root(args.root, paths, parser)
    base = pipeline.chunking if pipeline else ChunkingConfig()
    chunking = ChunkingConfig(
        chunk_tokens=args.chunk_tokens or base.chunk_tokens,
        overlap_tokens=base.overlap_tokens if args.overlap_tokens is None else args.overlap_tokens,
        max_tokens=base.max_tokens,
        context=base.context and not args.no_context,
    )
    _check_types(paths)
    # pypdf logs every oddity of a damaged PDF; the report already says what failed and why.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    progress = None if (args.json or args.quiet) else _progress()
    try:
        with (
            stop_on_interrupt("ragkit ingest", "stopping after the current batch"),
            connect(args, max_overload_wait=INGEST_MAX_OVERLOAD_WAIT, writes=True) as client,
        ):
            report = ingest(
                paths,
                corpus=corpus,
                client=client,
                delete=args.delete,
                root=args.root,
                dry_run=args.dry_run,
                chunking=chunking,
                concurrency=args.concurrency,
                progress=progress.update if progress else None,
                include=[*(pipeline.include if pipeline else ()), *args.include],
                exclude=[*(pipeline.exclude if pipeline else ()), *args.exclude],
                metadata=pipeline.metadata if pipeline else None,
            )
    except Interrupted:
        if progress:
            progress.close()
        print(f"ragkit ingest: stopped{_done(progress)}; run the same command again to resume",
              file=sys.stderr, flush=True)  # fmt: skip
        return EXIT_INTERRUPTED
    except IngestError as error:
        if progress:
            progress.close()
        if args.json:
            print(json.dumps({**error.report.to_dict(), "error": str(error)}))
        return report_error("ingest", error, args)
    if progress:
        progress.close()
    return _finish(report, args)


def _progress() -> Progress:
    from ragkit.cli._progress import Progress

    return Progress.for_stream(sys.stderr)


def _done(progress: Progress | None) -> str:
    latest = progress.latest if progress else None
    if latest is None:
        return ""
    return f" with {latest.chunks_done} of ~{latest.chunks_expected} chunks uploaded"


def _finish(report: IngestReport, args: argparse.Namespace) -> int:
    if args.json:
        print(report.to_json())
    else:
        if report.dry_run:
            _print_plan(report.plan)
        print(report.summary())
    if args.strict and report.failed:
        print(
            f"ragkit ingest: error: {len(report.failed)} file(s) failed (--strict)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return 0


def _check_types(paths: list[str]) -> None:
    """A file named on the command line that ragkit cannot read is a mistake, not a skip."""
    from ragkit.ingest.loaders import loader_for, supported_extensions

    for path in map(Path, paths):
        if path.is_file() and loader_for(path) is None:
            kinds = ", ".join(sorted(supported_extensions()))
            raise CommandError(
                f"{path}: unsupported file type {path.suffix or '(no extension)'} "
                f"(ragkit reads {kinds})"
            )


def _check_root(root: str, paths: list[str], parser: argparse.ArgumentParser) -> None:
    """A wrong --root would silently give every document a new ID: refuse it up front."""
    from ragkit.ingest.sync import SourceError
    from ragkit.ingest.sync.files import scope_of

    if not os.path.isdir(root):
        parser.error(f"--root {root}: no such directory")
    for path in paths:
        try:
            scope_of([path], root)
        except SourceError:
            parser.error(f"--root {root} does not contain {path}; give a DIR that holds every PATH")


def _print_plan(plan: list[PlannedFile]) -> None:
    rows = [
        [
            entry.action,
            entry.path,
            entry.document.rsplit("/", 1)[-1],
            str(entry.chunks),
            str(entry.chunks_to_create),
            str(entry.chunks_to_delete),
            str(entry.batches),
            "; ".join(entry.problems),
        ]
        for entry in plan
    ]
    headers = ["ACTION", "PATH", "DOCUMENT", "CHUNKS", "CREATE", "DELETE", "BATCHES", "PROBLEMS"]
    print_table(headers, rows)
