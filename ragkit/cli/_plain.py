"""Help texts as plain text: the reStructuredText of docstrings, as a terminal should show it.

Command descriptions are their modules' docstrings, written for Sphinx as well as for
``--help``; a terminal would show the markup literally. :func:`plain_help` rewrites every
description and argument help of a parser tree once, when it is built.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["plain", "plain_help"]

_ROLE = re.compile(r":[a-z]+:`~?(?:[\w.]+\.)?([^`<]+?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``(.+?)``", re.S)
_LINK = re.compile(r"`([^`<]+?)(?:\s*<[^>]*>)?`_")


def plain(text: str) -> str:
    """``text`` without reST markup: ``code`` -> code, :func:`a.b.c` -> c, `link`_ -> link."""
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    return _LINK.sub(r"\1", text)


def plain_help(parser: argparse.ArgumentParser) -> None:
    """Rewrite ``parser``'s description, epilog and argument help, and its subparsers'."""
    parser.description = plain(parser.description) if parser.description else None
    parser.epilog = plain(parser.epilog) if parser.epilog else None
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = plain(choice.help) if choice.help else choice.help
            for child in set(action.choices.values()):
                plain_help(child)
