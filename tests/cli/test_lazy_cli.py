"""``ragkit --help`` imports no subcommand, client or wire type; each command loads alone."""

from __future__ import annotations

import argparse
import subprocess
import sys

from ragkit.cli import COMMANDS, build_parser

HEAVY = ("httpx", "pydantic", "numpy", "ragkit.types", "ragkit.rag", "ragkit._client")

SCRIPT = """
import sys
from ragkit.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = {heavy!r}
print("HEAVY=" + ",".join(sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)
)))
print("COMMANDS=" + ",".join(sorted(m for m in sys.modules if m.startswith("ragkit.cli."))))
"""


def _imports(argv: list[str]) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    heavy, commands = result.stdout.strip().splitlines()[-2:]
    return heavy.removeprefix("HEAVY="), commands.removeprefix("COMMANDS=")


def test_help_lists_every_command_without_importing_them() -> None:
    heavy, commands = _imports(["--help"])
    assert heavy == ""
    assert commands == ""


def test_a_command_imports_only_its_own_module() -> None:
    _, commands = _imports(["serve", "--help"])
    assert "ragkit.cli.serve" in commands.split(",")
    assert not {f"ragkit.cli.{name}" for name in COMMANDS if name != "serve"} & set(
        commands.split(",")
    )


def test_summaries_match_the_commands_own_help() -> None:
    full = build_parser()
    subparsers = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    listed = {choice.dest: choice.help for choice in subparsers._choices_actions}
    assert listed == COMMANDS
    assert list(listed) == list(COMMANDS)
