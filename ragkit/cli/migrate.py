"""``ragkit migrate``: copy a SQLite data folder into PostgreSQL, vectors included.

ragkit migrate ./data postgresql://ragkit@db.internal/ragkit
ragkit serve --data-dir ./data --database postgresql://ragkit@db.internal/ragkit

Corpora, documents, chunks (with their embeddings: nothing is embedded again),
permissions, settings, file records, cached contents and batches are copied with their ids,
a batch of rows per transaction; then every table's row count is checked on both sides.
Stop ``ragkit serve`` on the folder first (the copy takes the folder's exclusive lock).
Interrupted (Ctrl-C, a lost connection), the same command resumes after the last copied
batch. File blobs stay in DATA_DIR/files: serve with the same --data-dir, or copy that
folder to the path every replica shares.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ragkit.cli._output import EXIT_INTERRUPTED, command

__all__ = ["register"]

# Seconds between two progress lines.
_LOG_EVERY = 2.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = commands.add_parser(
        "migrate", help="copy a SQLite data folder into PostgreSQL (resumable)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    migrate.add_argument("data_dir", type=Path, metavar="DATA_DIR", help="the data folder")
    migrate.add_argument(
        "database", metavar="URL", help="the target: postgresql://user:password@host/dbname"
    )
    migrate.add_argument(
        "--batch-rows", type=int, default=2000, metavar="N", help="rows per transaction"
    )
    migrate.set_defaults(handler=_migrate, command_parser=migrate)


@command("migrate")
def _migrate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.server.store.copy_to_postgres import CopyProgress, copy_data_dir
    from ragkit.server.store.postgres import is_postgres_url, redacted_url

    if not is_postgres_url(args.database):
        parser.error(f"URL must start with postgresql://, got {redacted_url(args.database)!r}")
    if args.batch_rows < 1:
        parser.error("--batch-rows must be at least 1")
    last = 0.0

    def progress(state: CopyProgress) -> None:
        nonlocal last
        if time.monotonic() - last >= _LOG_EVERY or state.copied == state.total:
            last = time.monotonic()
            print(state, file=sys.stderr, flush=True)

    started = time.perf_counter()
    try:
        counts = copy_data_dir(
            args.data_dir, args.database, batch_rows=args.batch_rows, progress=progress
        )
    except KeyboardInterrupt:
        print(
            "\ninterrupted; every copied batch is committed. Run the same command again to resume.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    for table, count in counts.items():
        print(f"{table}\t{count}")
    print(
        f"copied {args.data_dir} to {redacted_url(args.database)} in"
        f" {time.perf_counter() - started:.1f} s; row counts match",
        file=sys.stderr,
    )
    return 0
