"""Every ``ragkit`` parser: each option and positional explains itself, in plain text."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from ragkit.cli import build_parser

#: reStructuredText a terminal shows literally: ``code``, :role:`target`, `link`_.
RST = re.compile(r"``|:[a-z]+:`|`_")


def _parsers(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


PARSERS = dict(_parsers(build_parser(), "ragkit"))


def test_the_walk_reaches_nested_commands() -> None:
    assert {
        "ragkit ingest",
        "ragkit corpora delete",
        "ragkit access grant",
        "ragkit status",
    } <= set(PARSERS)


@pytest.mark.parametrize("path", sorted(PARSERS))
def test_every_argument_has_help(path: str) -> None:
    missing = [
        "/".join(action.option_strings) or action.dest
        for action in PARSERS[path]._actions
        if not isinstance(action, argparse._SubParsersAction)
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert missing == [], f"{path}: no help for {missing}"


@pytest.mark.parametrize("path", sorted(PARSERS))
def test_help_has_no_rst_markup(path: str) -> None:
    text = PARSERS[path].format_help()
    assert RST.findall(text) == [], f"{path} --help shows markup:\n{text}"
