"""``ragkit documents``: list, inspect and delete the documents of a corpus.

ragkit documents list corpora/handbook
ragkit documents get corpora/handbook/documents/manual --json
ragkit documents delete corpora/handbook/documents/manual --force
"""

from __future__ import annotations

import argparse

from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command, print_json, print_table
from ragkit.provenance import metadata_to_dict, provenance_from_metadata

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    documents = commands.add_parser(
        "documents", help="list, inspect and delete documents", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = documents.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the documents of a corpus")
    listing.add_argument("corpus", help="corpora/ID or ID")
    get = actions.add_parser("get", help="show one document and its metadata")
    get.add_argument("document", help="corpora/C/documents/D")
    delete = actions.add_parser("delete", help="delete a document")
    delete.add_argument("document", help="corpora/C/documents/D")
    delete.add_argument("--force", action="store_true", help="also delete its chunks")
    for parser, handler in ((listing, _list), (get, _get), (delete, _delete)):
        add_json_argument(parser)
        add_connection_arguments(parser)
        parser.set_defaults(handler=handler, command_parser=parser)


@command("documents list")
def _list(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        documents = list(client.corpora.documents.list(args.corpus))
    if args.json:
        print_json(documents)
        return 0
    print_table(
        ("NAME", "DISPLAY NAME", "SOURCE", "UPDATED"),
        (
            (d.name, d.display_name, provenance_from_metadata(None, d.custom_metadata).source,
             d.update_time)
            for d in documents
        ),
    )  # fmt: skip
    return 0


@command("documents get")
def _get(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        document = client.corpora.documents.get(args.document)
    if args.json:
        print_json(document)
        return 0
    rows: list[tuple[str, object]] = [
        ("name", document.name),
        ("display name", document.display_name),
        ("created", document.create_time),
        ("updated", document.update_time),
    ]
    rows.extend(
        (f"metadata.{key}", ", ".join(value) if isinstance(value, list) else _number(value))
        for key, value in metadata_to_dict(document.custom_metadata).items()
    )
    print_table(("FIELD", "VALUE"), rows)
    return 0


def _number(value: str | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@command("documents delete")
def _delete(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        client.corpora.documents.delete(args.document, force=args.force)
    if args.json:
        print_json({"deleted": args.document})
    else:
        print(f"deleted {args.document}")
    return 0
