"""``ragkit status``: where your data is, what is in it, and which versions are running.

ragkit status                                   # the embedded default's data folder
ragkit status --base-url http://127.0.0.1:8080  # a running ragkit serve
ragkit status --json

Prints the data folder (and why it was chosen) or the server's address, the embedder, the
ragkit version here and the server's, and each corpus with its documents and chunks. A data
folder that does not exist yet is reported as such, and not created.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ragkit._version import __version__
from ragkit.cli._connect import add_connection_arguments, connect, is_embedded
from ragkit.cli._output import add_json_argument, command, print_json, print_table
from ragkit.rag.local import find_data_dir

if TYPE_CHECKING:
    from ragkit._client import Client

__all__ = ["register"]

#: Why the data folder is the one it is, by :attr:`ragkit.rag.local.DataDir.origin`.
_ORIGINS = {
    "argument": "--data-dir",
    "environment": "$RAGKIT_DATA_DIR",
    "legacy": "./.ragkit in the current folder",
    "user": "the per-user default",
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser(
        "status",
        help="data folder or server, corpora with their counts, embedder, versions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_json_argument(status)
    add_connection_arguments(status)
    status.set_defaults(handler=_status, command_parser=status)


@command("status")
def _status(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    facts: dict[str, Any] = {"ragkitVersion": __version__}
    if is_embedded(args):
        folder = find_data_dir(args.data_dir)
        facts["dataDir"] = str(folder.path)
        facts["dataDirOrigin"] = folder.origin
        if not folder.exists:
            facts.update(exists=False, corpora=[])
            return _show(facts, args)
        facts["exists"] = True
    with connect(args) as client:
        if not is_embedded(args):
            facts["server"] = str(client.base_url).rstrip("/")
        facts.update(_server_facts(client))
    return _show(facts, args)


def _server_facts(client: Client) -> dict[str, Any]:
    """What the server says about itself and its corpora (ragkit's own endpoints when it
    is a ragkit server; counts of documents alone otherwise)."""
    from ragkit._base_client import APIRequest
    from ragkit._exceptions import APIError

    def raw(path: str) -> Any:
        return client._request(APIRequest(method="GET", path=path, parse=lambda body: body))

    facts: dict[str, Any] = {}
    try:
        info = raw("ragkit/api/info")
    except APIError:
        info = None  # not a ragkit server (Google's, say): no version, no chunk counts
    if info is not None:
        facts["serverVersion"] = info.get("version")
        facts["embedder"] = info.get("embedder")
        facts["dimensions"] = info.get("dimensions")
    corpora = []
    for corpus in client.corpora.list():
        name = corpus.name or ""
        row: dict[str, Any] = {"name": name, "displayName": corpus.display_name}
        if info is not None:
            stats = raw(f"ragkit/api/{name}/stats")
            row.update(documentCount=stats["documentCount"], chunkCount=stats["chunkCount"])
        else:
            row["documentCount"] = sum(1 for _ in client.corpora.documents.list(name))
            row["chunkCount"] = None
        corpora.append(row)
    facts["corpora"] = corpora
    return facts


def _show(facts: dict[str, Any], args: argparse.Namespace) -> int:
    if args.json:
        print_json(facts)
        return 0
    lines: list[tuple[str, str]] = []
    if "dataDir" in facts:
        why = _ORIGINS[facts["dataDirOrigin"]]
        missing = "" if facts["exists"] else "; not created yet: nothing was ingested there"
        lines.append(("data folder", f"{facts['dataDir']} ({why}{missing})"))
    else:
        lines.append(("server", facts["server"]))
    if facts.get("embedder"):
        lines.append(("embedder", f"{facts['embedder']} ({facts['dimensions']} dimensions)"))
    lines.append(("ragkit", __version__))
    if "dataDir" not in facts or facts["exists"]:
        lines.append(("server version", facts.get("serverVersion") or "unknown (not ragkit)"))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label.ljust(width)}  {value}")
    print()
    print_table(
        ("CORPUS", "DISPLAY NAME", "DOCUMENTS", "CHUNKS"),
        (
            (c["name"], c["displayName"], c["documentCount"], c["chunkCount"] or "?")
            for c in facts["corpora"]
        ),
    )
    return 0
