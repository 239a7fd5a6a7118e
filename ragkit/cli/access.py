"""``ragkit access``: who may read or edit a corpus, by hand or from an access file.

ragkit access list corpora/handbook
ragkit access grant corpora/handbook alice@example.com --role READER
ragkit access grant corpora/handbook everyone          # READER is the only role for everyone
ragkit access change corpora/handbook group:eng@example.com WRITER
ragkit access revoke corpora/handbook alice@example.com
ragkit access plan access.toml                         # what apply would change
ragkit access apply access.toml

Access file (TOML), one table per corpus; corpora not in the file are left alone and
existing owners are never revoked or downgraded:

    [[corpus]]
    name = "corpora/handbook"
    readers = ["alice@example.com", "group:eng@example.com", "everyone"]
    writers = ["bob@example.com"]
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command, print_json, print_table
from ragkit.rag import access
from ragkit.rag.access import Change, Entry

__all__ = ["register"]

_ROLES = ("READER", "WRITER", "OWNER")


def _role(text: str) -> str:
    if text.upper() not in _ROLES:
        raise argparse.ArgumentTypeError(f"use READER, WRITER or OWNER, not {text!r}")
    return text.upper()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "access", help="permissions: list, grant, revoke, or plan/apply an access file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    corpus_help = "corpora/ID or ID"
    grantee_help = "who: EMAIL, group:EMAIL or everyone"
    file_help = "access file (TOML): the roles each corpus should grant"
    listing = actions.add_parser("list", help="the permissions on a corpus")
    listing.add_argument("corpus", help=corpus_help)
    grant = actions.add_parser("grant", help="give a user, group: or everyone a role")
    grant.add_argument("corpus", help=corpus_help)
    grant.add_argument("grantee", help=grantee_help)
    grant.add_argument("--role", type=_role, default="READER", help="default READER")
    change = actions.add_parser("change", help="change the role a grantee holds")
    change.add_argument("corpus", help=corpus_help)
    change.add_argument("grantee", help=grantee_help)
    change.add_argument("role", type=_role, help="the new role: READER, WRITER or OWNER")
    revoke = actions.add_parser("revoke", help="remove a grantee's permission")
    revoke.add_argument("corpus", help=corpus_help)
    revoke.add_argument("grantee", help=grantee_help)
    plan = actions.add_parser("plan", help="show what an access file would change")
    plan.add_argument("file", type=Path, help=file_help)
    apply = actions.add_parser("apply", help="make the corpora match an access file")
    apply.add_argument("file", type=Path, help=file_help)
    handlers = (
        (listing, _list), (grant, _grant), (change, _change), (revoke, _revoke),
        (plan, _plan), (apply, _apply),
    )  # fmt: skip
    for sub, handler in handlers:
        add_json_argument(sub)
        add_connection_arguments(sub)
        sub.set_defaults(handler=handler, command_parser=sub)


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "corpus": entry.corpus,
        "grantee": str(entry.grantee),
        "role": entry.role,
        "permission": entry.permission_name,
    }


def _change_json(change: Change) -> dict[str, Any]:
    data = asdict(change)
    data["grantee"] = str(change.grantee)
    return data


def _print_entries(args: argparse.Namespace, entries: list[Entry]) -> None:
    if args.json:
        print_json([_entry_json(e) for e in entries])
    else:
        print_table(
            ("GRANTEE", "ROLE", "PERMISSION"),
            ((str(e.grantee), e.role, e.permission_name) for e in entries),
        )


def _print_changes(args: argparse.Namespace, changes: list[Change], *, applied: bool) -> None:
    if args.json:
        print_json([_change_json(c) for c in changes])
        return
    for change in changes:
        print(change.describe())
    count = len(changes)
    noun = "change" if count == 1 else "changes"
    if not changes:
        print("no changes: the corpora already match the file")
    else:
        print(f"{count} {noun} {'applied' if applied else 'planned'}")


@command("access list")
def _list(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        _print_entries(args, access.list_access(client, args.corpus))
    return 0


@command("access grant")
def _grant(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        _print_entries(args, [access.grant(client, args.corpus, args.grantee, args.role)])
    return 0


@command("access change")
def _change(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        _print_entries(args, [access.change_role(client, args.corpus, args.grantee, args.role)])
    return 0


@command("access revoke")
def _revoke(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        removed = access.revoke(client, args.corpus, args.grantee)
    if not removed:
        print(f"{args.grantee} had no permission on {args.corpus}")
        return 0
    _print_entries(args, removed)
    return 0


@command("access plan")
def _plan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    spec = access.load_access_file(args.file)
    with connect(args) as client:
        _print_changes(args, access.plan(client, spec), applied=False)
    return 0


@command("access apply")
def _apply(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    spec = access.load_access_file(args.file)
    with connect(args) as client:
        _print_changes(args, access.apply(client, spec), applied=True)
    return 0
