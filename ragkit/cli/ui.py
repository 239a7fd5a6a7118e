"""``ragkit ui``: the document Q&A web app over the embedded default's data folder.

ragkit ui                                   # the folder 'ragkit ingest' and 'ragkit ask' use
ragkit ui --data-dir ./notes --embedder hash --no-browser

It starts ragkit's server in this process (single-user: no API key needed), prints the app's
address and opens it in the browser; Ctrl-C stops it. To share the app with others, run
``ragkit serve --auth-file ...`` instead: it serves the same app at ``/``.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from ragkit.cli._connect import DATA_DIR_HELP, DEFAULT_EMBEDDER

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ui = commands.add_parser(
        "ui",
        help="open the web app (upload, ask, browse, share) on the embedded data folder",
        description="Serve the document Q&A web app over the embedded server's data folder "
        "and open it in the browser. Stop it with Ctrl-C.",
    )
    ui.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=DATA_DIR_HELP,
    )
    ui.add_argument(
        "--embedder",
        metavar="SPEC",
        help=f"embedder: minilm, wordllama, hash (default: $RAGKIT_EMBEDDER, else "
        f"{DEFAULT_EMBEDDER})",
    )
    ui.add_argument(
        "--no-browser",
        action="store_true",
        help="only print the app's address; do not open a browser",
    )
    ui.set_defaults(handler=_run_ui, command_parser=ui)


def _run_ui(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import webbrowser

    from ragkit.cli._connect import embedded_server

    try:
        server = embedded_server(args.data_dir, embedder=args.embedder).start()
    except (RuntimeError, ValueError) as exc:
        parser.exit(1, f"ragkit ui: error: {exc}\n")
    url = f"{server.base_url}/"
    print(
        f"ragkit ui: {url} (data {server.config.data_dir.resolve()}, embedder "
        f"{server.config.embedder}); press Ctrl-C to stop",
        flush=True,
    )
    try:
        if not args.no_browser and not webbrowser.open(url):
            print("ragkit ui: no browser found; open the address above yourself", flush=True)
        _wait_for_stop()
    finally:
        print("ragkit ui: stopping...", flush=True)
        server.stop()
    return 0


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM (as from a service manager or ``kill``)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
