"""``ragkit reindex``: re-embed a data folder with another embedder, then switch to it.

ragkit reindex --embedder hash                      # the embedded default's data folder
ragkit reindex --data-dir ./data --embedder minilm  # a ragkit serve folder (stop it first)

Every chunk is embedded again, batch by batch, beside the vectors in use, which stay valid
until the last chunk is done; then one transaction switches to the new vectors and the new
embedder. Progress shows chunks done/total and the rate. Ctrl-C stops after committing what
is done; running the same command again resumes there. To keep a server answering queries
while it re-embeds, use ``ragkit serve --embedder NEW --reindex`` instead (two processes
must not write one folder with different embedders).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ragkit.cli._output import EXIT_INTERRUPTED, CommandError, command
from ragkit.rag.local import DATA_DIR_HELP, DEFAULT_EMBEDDER, EMBEDDER_ENV_VAR, find_data_dir

__all__ = ["register"]

# Seconds between two progress lines when stderr is not a terminal.
_LOG_EVERY = 5.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reindex = commands.add_parser(
        "reindex", help="re-embed a data folder with another embedder", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    reindex.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=DATA_DIR_HELP,
    )
    reindex.add_argument(
        "--embedder",
        metavar="SPEC",
        help=f"the new embedder: minilm, wordllama, hash or hash:DIM (default: "
        f"${EMBEDDER_ENV_VAR}, else {DEFAULT_EMBEDDER})",
    )
    reindex.set_defaults(handler=_reindex, command_parser=reindex)


class _Progress:
    """One updating line on a terminal; a line every few seconds otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, state: object) -> None:
        finished = getattr(state, "finished", False)
        if self.tty:
            print(f"\r{state}\033[K", end="\n" if finished else "", file=sys.stderr, flush=True)
        elif finished or time.monotonic() - self.last >= _LOG_EVERY:
            self.last = time.monotonic()
            print(state, file=sys.stderr, flush=True)


@command("reindex")
def _reindex(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.server.models.embedding import load_embedder
    from ragkit.server.service.reindex import (
        EMBEDDER_SETTING,
        Reindexer,
        describe_embedder,
        embedder_identity,
        stored_embedder,
    )
    from ragkit.server.store import Database
    from ragkit.server.store.folder_lock import FolderLock
    from ragkit.server.store.pending_vectors import any_without_vector, count_pending
    from ragkit.server.store.settings import get_setting

    data_dir = find_data_dir(args.data_dir).path
    spec = args.embedder or os.environ.get(EMBEDDER_ENV_VAR) or DEFAULT_EMBEDDER
    embedder = load_embedder(spec)
    target = embedder_identity(embedder)
    if stored_embedder(data_dir) is None:
        raise CommandError(f"{data_dir} holds no ragkit data to re-embed")
    lock = FolderLock(data_dir, exclusive=True)
    db = Database.open(data_dir)
    try:
        with db.read() as conn:
            stored = get_setting(conn, EMBEDDER_SETTING) or target
            complete = stored == target and not any_without_vector(conn, embedder.dimensions)
            resumed = count_pending(conn)
        if complete:
            print(f"{data_dir} is already embedded with {describe_embedder(target)}.")
            return 0
        print(
            f"re-embedding {data_dir} from {describe_embedder(stored)} to "
            f"{describe_embedder(target)}" + (" (resuming)" if resumed else ""),
            file=sys.stderr,
        )
        reindexer = Reindexer(db, embedder, progress=_Progress())
        try:
            reindexer.run()
        except KeyboardInterrupt:
            with db.read() as conn:
                done = count_pending(conn)
            print(
                f"\ninterrupted with {done:,} chunks re-embedded; the old vectors are still in "
                "use. Run the same command again to resume.",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
    finally:
        db.close()
        lock.release()
    return 0
