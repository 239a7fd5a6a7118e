"""Permissions as code: plan and apply an access file, then inspect the result.

    python examples/access_as_code.py

Reads examples/access.toml, prints the changes that would make the corpus match it
(plan), applies them, and shows that a second plan is empty. Granting WRITER to
everyone is refused before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import ragkit
from ragkit.rag import AccessError, access
from ragkit.rag.local import local_server

ACCESS_FILE = Path(__file__).parent / "access.toml"
CORPUS = "corpora/quickstart"


def main() -> None:
    with local_server() as server, ragkit.Client(base_url=server.base_url) as client:
        if CORPUS not in {corpus.name for corpus in client.corpora.list()}:
            client.corpora.create(name=CORPUS, display_name="Quickstart")

        changes = access.plan(client, ACCESS_FILE)
        print(f"plan: {len(changes)} change(s)")
        for change in changes:
            print(" ", change.describe())
        access.apply(client, changes)
        print(f"applied; plan now has {len(access.plan(client, ACCESS_FILE))} change(s)\n")

        for entry in access.list_access(client, CORPUS):
            print(f"  {entry.role:<7} {entry.grantee}")

        try:
            access.grant(client, CORPUS, "everyone", "WRITER")
        except AccessError as error:
            print(f"\nrefused: {error}")


if __name__ == "__main__":
    main()
