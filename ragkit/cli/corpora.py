"""``ragkit corpora``: list, create, inspect and delete corpora.

ragkit corpora list
ragkit corpora create --display-name "Handbook" [--name handbook]
ragkit corpora get corpora/handbook --json
ragkit corpora delete corpora/handbook --force
"""

from __future__ import annotations

import argparse

from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command, print_json, print_table

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    corpora = commands.add_parser(
        "corpora", help="list, create, inspect and delete corpora", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = corpora.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="every corpus you can see")
    create = actions.add_parser("create", help="create a corpus")
    create.add_argument("--name", help="corpus ID (default: derived from the display name)")
    create.add_argument("--display-name", help="human-readable name (up to 512 characters)")
    get = actions.add_parser("get", help="show one corpus")
    get.add_argument("corpus", help="corpora/ID or ID")
    delete = actions.add_parser("delete", help="delete a corpus")
    delete.add_argument("corpus", help="corpora/ID or ID")
    delete.add_argument("--force", action="store_true", help="also delete its documents")
    for parser, handler in ((listing, _list), (create, _create), (get, _get), (delete, _delete)):
        add_json_argument(parser)
        add_connection_arguments(parser)
        parser.set_defaults(handler=handler, command_parser=parser)


@command("corpora list")
def _list(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        corpora = list(client.corpora.list())
    if args.json:
        print_json(corpora)
    else:
        print_table(
            ("NAME", "DISPLAY NAME", "CREATED"),
            ((c.name, c.display_name, c.create_time) for c in corpora),
        )
    return 0


@command("corpora create")
def _create(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not (args.name or args.display_name):
        parser.error("give --name and/or --display-name")
    with connect(args, writes=True) as client:
        corpus = client.corpora.create(name=args.name, display_name=args.display_name)
    if args.json:
        print_json(corpus)
    else:
        print(corpus.name)
    return 0


@command("corpora get")
def _get(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        corpus = client.corpora.get(args.corpus)
    if args.json:
        print_json(corpus)
    else:
        print_table(
            ("FIELD", "VALUE"),
            (
                ("name", corpus.name),
                ("display name", corpus.display_name),
                ("created", corpus.create_time),
                ("updated", corpus.update_time),
            ),
        )
    return 0


@command("corpora delete")
def _delete(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        client.corpora.delete(args.corpus, force=args.force)
    if args.json:
        print_json({"deleted": args.corpus})
    else:
        print(f"deleted {args.corpus}")
    return 0
