"""``ragkit stores``: File Search stores (Google's current RAG API) from the command line.

ragkit stores create --display-name "Handbook"            # prints fileSearchStores/handbook-...
ragkit stores upload fileSearchStores/handbook-x docs/ manual.pdf --metadata year=2024
ragkit stores docs fileSearchStores/handbook-x            # documents: state, type, size
ragkit stores ask fileSearchStores/handbook-x "How do I reset it?" --where 'year >= 2020'
ragkit stores list
ragkit stores delete fileSearchStores/handbook-x --force  # a store, or one of its documents

``upload`` sends each file with the resumable protocol, then waits until the server has
indexed them all (``--no-wait`` returns at once); it prints one document name per line,
progress and failures on stderr, and exits 1 if any file failed. ``ask`` calls
generateContent with the fileSearch tool and prints the answer with numbered citations
(``--stream``: the text as it is generated, then the sources).
Without --base-url the embedded server on --data-dir answers, as for every command.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit import limits
from ragkit._exceptions import APIError, OperationTimeoutError, RagkitError
from ragkit._validation import check_custom_metadata
from ragkit.cli._args import integer, non_negative, positive, seconds
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import (
    CommandError,
    add_json_argument,
    command,
    print_json,
    print_table,
)
from ragkit.cli.serve import add_answerer_arguments
from ragkit.resources._common import custom_metadata
from ragkit.resources.file_search_stores._requests import chunking_config, document_of

if TYPE_CHECKING:
    from ragkit._client import Client
    from ragkit.types import FileSearchStoreDocument, UploadToFileSearchStoreOperation

__all__ = ["parse_metadata", "register"]

DEFAULT_MODEL = "gemini-2.5-flash"
#: Seconds ``upload`` waits for indexing before reporting the files still pending.
DEFAULT_WAIT_TIMEOUT = 600.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stores = commands.add_parser(
        "stores", help="File Search stores: create, upload files, list documents, ask, delete",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = stores.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a store; prints its name")
    create.add_argument("--display-name", help="human-readable name (up to 512 characters)")
    listing = actions.add_parser("list", help="your stores, with document counts and size")
    get = actions.add_parser("get", help="show one store")
    get.add_argument("store", help="fileSearchStores/ID or ID")
    delete = actions.add_parser("delete", help="delete a store or one of its documents")
    delete.add_argument("name", help="fileSearchStores/ID, or fileSearchStores/ID/documents/ID")
    delete.add_argument("--force", action="store_true", help="also delete what it contains")
    docs = actions.add_parser("docs", help="the documents of a store")
    docs.add_argument("store", help="fileSearchStores/ID or ID")
    upload = actions.add_parser("upload", help="upload files (or folders) into a store")
    _upload_arguments(upload)
    ask = actions.add_parser("ask", help="answer a question from stores, with citations")
    _ask_arguments(ask)

    handlers = (
        (create, _create), (listing, _list), (get, _get), (delete, _delete), (docs, _docs),
        (upload, _upload), (ask, _ask),
    )  # fmt: skip
    for parser, handler in handlers:
        add_json_argument(parser)
        add_connection_arguments(parser)
        parser.set_defaults(handler=handler, command_parser=parser)
    add_answerer_arguments(ask)


def _upload_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="fileSearchStores/ID or ID")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files or folders")
    parser.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="custom metadata for every file (repeatable): a number is stored as a number, "
        "a key given twice becomes a string list; filter on it with 'ask --where'",
    )
    parser.add_argument("--mime-type", help="MIME type of every file (default: from the name)")
    parser.add_argument(
        "--max-tokens-per-chunk",
        type=positive,
        metavar="N",
        help="white-space chunking: tokens per chunk",
    )
    parser.add_argument(
        "--max-overlap-tokens",
        type=non_negative,
        metavar="N",
        help="white-space chunking: tokens shared by neighbouring chunks",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="return once uploaded, without waiting for indexing"
    )
    parser.add_argument(
        "--wait-timeout",
        type=seconds,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for indexing (default %(default)s)",
    )


def _ask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="fileSearchStores/ID or ID; several joined by commas")
    parser.add_argument("question", help="the question")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="model to generate with (default %(default)s; on ragkit serve it resolves to "
        "the configured upstream, else to the local answer composer)",
    )
    parser.add_argument(
        "--top-k",
        type=integer(
            1, limits.MAX_FILE_SEARCH_TOP_K, f"must be between 1 and {limits.MAX_FILE_SEARCH_TOP_K}"
        ),
        metavar="N",
        help=f"chunks to retrieve (default {limits.DEFAULT_FILE_SEARCH_TOP_K})",
    )
    parser.add_argument(
        "--where",
        metavar="FILTER",
        help="metadata filter in Google's syntax, e.g. 'year >= 2020 AND author = \"Ada\"'",
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="print the answer as it is generated (streamGenerateContent), then its sources",
    )


@command("stores create")
def _create(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args, writes=True) as client:
        store = client.file_search_stores.create(display_name=args.display_name)
    if args.json:
        print_json(store)
    else:
        print(store.name)
    return 0


@command("stores list")
def _list(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        stores = list(client.file_search_stores.list())
    if args.json:
        print_json(stores)
        return 0
    print_table(
        ("NAME", "DISPLAY NAME", "ACTIVE", "PENDING", "FAILED", "SIZE"),
        (
            (s.name, s.display_name, s.active_documents_count or 0,
             s.pending_documents_count or 0, s.failed_documents_count or 0,
             human_size(s.size_bytes or 0))
            for s in stores
        ),
    )  # fmt: skip
    return 0


@command("stores get")
def _get(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        store = client.file_search_stores.get(args.store)
    if args.json:
        print_json(store)
        return 0
    print_table(
        ("FIELD", "VALUE"),
        (
            ("name", store.name),
            ("display name", store.display_name),
            ("active documents", store.active_documents_count or 0),
            ("pending documents", store.pending_documents_count or 0),
            ("failed documents", store.failed_documents_count or 0),
            ("size", human_size(store.size_bytes or 0)),
            ("embedding model", store.embedding_model),
            ("created", store.create_time),
            ("updated", store.update_time),
        ),
    )
    return 0


@command("stores delete")
def _delete(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    is_document = "/documents/" in args.name
    with connect(args) as client:
        if is_document:
            client.file_search_stores.documents.delete(args.name, force=args.force)
        else:
            client.file_search_stores.delete(args.name, force=args.force)
    if args.json:
        print_json({"deleted": args.name})
    else:
        print(f"deleted {args.name}")
    return 0


@command("stores docs")
def _docs(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        documents = list(client.file_search_stores.documents.list(args.store))
    if args.json:
        print_json(documents)
        return 0
    print_table(
        ("NAME", "DISPLAY NAME", "STATE", "MIME TYPE", "SIZE"),
        (
            (d.name, d.display_name, _state(d), d.mime_type, human_size(d.size_bytes or 0))
            for d in documents
        ),
    )
    return 0


def _state(document: FileSearchStoreDocument) -> str:
    state = document.state
    return state.name.removeprefix("STATE_") if state is not None else ""


@dataclass
class _Outcome:
    """What became of one file of ``stores upload``."""

    path: Path
    operation: UploadToFileSearchStoreOperation | None = None
    document: str | None = None
    state: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "document": self.document,
            "state": self.state,
            "operation": self.operation.name if self.operation else None,
            "error": self.error,
        }


@command("stores upload")
def _upload(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    paths = list(_expand(args.files))
    if not paths:
        raise CommandError(f"no files to upload in {', '.join(map(str, args.files))}")
    # Checked once here, not once per file: a bad flag fails before anything is sent.
    metadata = custom_metadata(parse_metadata(args.metadata) or None)
    check_custom_metadata(metadata)
    options: dict[str, Any] = {
        "mime_type": args.mime_type,
        "custom_metadata": metadata,
        "chunking_config": chunking_config(_chunking(args)),
    }
    outcomes = [_Outcome(path) for path in paths]
    with connect(args) as client:
        store = client.file_search_stores.get(args.store).name or args.store
        for number, outcome in enumerate(outcomes, 1):
            _send(client, store, outcome, f"[{number}/{len(outcomes)}]", options)
        if not args.no_wait:
            deadline = time.monotonic() + args.wait_timeout  # for all the files together
            for number, outcome in enumerate(outcomes, 1):
                _wait(client, outcome, f"[{number}/{len(outcomes)}]", deadline)
    return _report(store, outcomes, json_output=args.json, waited=not args.no_wait)


def _expand(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given; the files under folders, sorted, hidden ones skipped."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*")):
            hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
            if found.is_file() and not hidden:
                yield found


def _chunking(args: argparse.Namespace) -> dict[str, int] | None:
    config = {
        key: value
        for key, value in (
            ("max_tokens_per_chunk", args.max_tokens_per_chunk),
            ("max_overlap_tokens", args.max_overlap_tokens),
        )
        if value is not None
    }
    return config or None


def parse_metadata(items: Sequence[str]) -> dict[str, str | float | list[str]]:
    """``["year=2024", "tag=a", "tag=b"]`` -> ``{"year": 2024.0, "tag": ["a", "b"]}``.

    Raises:
        CommandError: an item without ``=`` or with an empty key.
    """
    values: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--metadata {item!r}: expected KEY=VALUE, e.g. year=2024")
        values.setdefault(key.strip(), []).append(value)
    result: dict[str, str | float | list[str]] = {}
    for key, listed in values.items():
        if len(listed) > 1:
            result[key] = listed
        else:
            result[key] = _number(listed[0])
    return result


def _number(text: str) -> str | float:
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) and text.strip() == text else text


def _send(client: Client, store: str, outcome: _Outcome, tag: str, options: dict[str, Any]) -> None:
    path = outcome.path
    live = sys.stderr.isatty()

    # On a terminal the percentage updates in place; "\x1b[K" clears what it leaves.
    start = "\r\x1b[K" if live else ""

    def progress(sent: int, total: int) -> None:
        if live and total:
            print(f"{start}{tag} {path.name}: {100 * sent // total}%", end="", file=sys.stderr)

    try:
        size = path.stat().st_size
        outcome.operation = client.file_search_stores.upload_to_file_search_store(
            store, path, display_name=path.name, on_progress=progress, **options
        )
    except (RagkitError, OSError, ValueError) as error:  # reported per file, the rest go on
        outcome.error = _reason(error)
        print(f"{start}{tag} {path.name}: failed: {outcome.error}", file=sys.stderr, flush=True)
        return
    print(f"{start}{tag} {path.name}: uploaded {human_size(size)}", file=sys.stderr, flush=True)


def _wait(client: Client, outcome: _Outcome, tag: str, deadline: float) -> None:
    if outcome.operation is None:
        return
    operations = client.file_search_stores.operations
    try:
        # One fresh look first: past the deadline, a file already indexed still counts.
        current = operations.get(str(outcome.operation.name))
        timeout = max(0.0, deadline - time.monotonic())
        done = operations.wait(current, timeout=timeout)
        outcome.document = document_of(done)
        document = client.file_search_stores.documents.get(outcome.document)
        outcome.state = _state(document)
    except OperationTimeoutError:
        outcome.error = (
            f"still indexing when --wait-timeout ran out (operation {outcome.operation.name}); "
            "'ragkit stores docs' shows it once done"
        )
    except RagkitError as error:
        outcome.error = _reason(error)
    if outcome.error:
        print(f"{tag} {outcome.path.name}: failed: {outcome.error}", file=sys.stderr, flush=True)
        return
    print(
        f"{tag} {outcome.path.name}: indexed as {outcome.document} ({outcome.state})",
        file=sys.stderr,
        flush=True,
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, APIError):
        return f"{error.message} ({error.status})"
    return str(error) or type(error).__name__


def _report(store: str, outcomes: list[_Outcome], *, json_output: bool, waited: bool) -> int:
    failed = [o for o in outcomes if o.error]
    if json_output:
        print_json([o.as_json() for o in outcomes])
    else:
        for outcome in outcomes:
            if not outcome.error:
                print(outcome.document or (outcome.operation.name if outcome.operation else ""))
    done = len(outcomes) - len(failed)
    if waited:
        print(f"{done} of {len(outcomes)} files indexed into {store}", file=sys.stderr)
    else:
        print(
            f"{done} of {len(outcomes)} files uploaded to {store}; the server is indexing them",
            file=sys.stderr,
        )
    if failed:
        print(f"{len(failed)} failed:", file=sys.stderr)
        for outcome in failed:
            print(f"  {outcome.path}: {outcome.error}", file=sys.stderr)
        return 1
    return 0


@command("stores ask")
def _ask(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.rag.file_search import file_search_answer, file_search_tool

    stores = [name.strip() for name in args.store.split(",") if name.strip()]
    if not stores:
        parser.error("give at least one store")
    if args.stream and args.json:
        parser.error("--stream prints text as it comes: use it without --json")
    tool = file_search_tool(stores, top_k=args.top_k, metadata_filter=args.where)
    with connect(args) as client:
        if args.stream:
            chunks = []
            for chunk in client.models.stream_generate_content(
                args.model, contents=args.question, tools=[tool]
            ):
                chunks.append(chunk)
                print(file_search_answer([chunk]).text, end="", flush=True)
            sources = file_search_answer(chunks).format_sources()
            print(f"\n\n{sources}" if sources else "")
            return 0
        response = client.models.generate_content(args.model, contents=args.question, tools=[tool])
    answer = file_search_answer(response)
    if args.json:
        print_json(
            {
                "text": answer.text,
                "citedText": answer.cited_text,
                "sources": [
                    {"number": s.number, "title": s.title, "store": s.store, "text": s.text}
                    for s in answer.sources
                ],
                "groundingMetadata": answer.grounding_metadata,
            }
        )
    else:
        print(answer.format())
    return 0


def human_size(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
