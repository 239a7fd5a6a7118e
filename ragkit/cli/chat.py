"""``ragkit chat``: an interactive, multi-turn question-and-answer session.

ragkit chat --docs examples/docs
ragkit chat --corpus corpora/docs --base-url http://127.0.0.1:8080

Type a question per line; earlier turns are sent along, so follow-up questions work
("What is its default?" searches for the subject asked about before; with --answerer the
model rewrites the follow-up into a standalone question). Commands: /reset forgets the
conversation, /exit (or end of input) quits. With --json, each answer is printed as one
JSON object per line.

At a terminal, lines can be edited and earlier questions recalled with the arrow keys
(readline); they are kept in ~/.ragkit_chat_history ($RAGKIT_CHAT_HISTORY names another
file; set it empty to keep none).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ragkit.cli._connect import connect
from ragkit.cli._output import command, print_json
from ragkit.cli.ask import (
    add_answer_arguments,
    answer_json,
    answer_options,
    format_answer,
    resolve_corpus,
)
from ragkit.rag.conversation import Conversation

__all__ = ["register"]

_EXIT = frozenset({"/exit", "/quit"})
_PROMPT = "you> "
HISTORY_ENV_VAR = "RAGKIT_CHAT_HISTORY"
_HISTORY_LENGTH = 1000


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "chat", help="interactive multi-turn questions about your documents",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_answer_arguments(parser)
    parser.set_defaults(handler=_chat, command_parser=parser)


def history_file() -> Path | None:
    """Where the chat's line history is kept (``None``: nowhere)."""
    configured = os.environ.get(HISTORY_ENV_VAR)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    return Path.home() / ".ragkit_chat_history"


def line_editing() -> Callable[[], None] | None:
    """Turn on readline editing and history for :func:`input`; returns the function that
    saves the history (``None`` where readline is unavailable)."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return None
    path = history_file()
    if path is not None:
        # The first run has no file yet; an unreadable one starts the history empty.
        with contextlib.suppress(OSError):
            readline.read_history_file(path)
    readline.set_history_length(_HISTORY_LENGTH)

    def save() -> None:
        if path is not None:
            try:
                readline.write_history_file(path)
            except OSError:
                print(f"(could not save the chat history to {path})", file=sys.stderr)

    return save


def _prompt(interactive: bool) -> str | None:
    if interactive:
        try:
            # input() goes through readline once it is imported: editing and history.
            return input(_PROMPT).strip()
        except EOFError:
            print(file=sys.stderr)
            return None
    line = sys.stdin.readline()
    return None if line == "" else line.strip()


@command("chat")
def _chat(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    interactive = sys.stdin.isatty()
    save_history = line_editing() if interactive else None
    try:
        return _converse(args, interactive)
    finally:
        if save_history is not None:
            save_history()


def _converse(args: argparse.Namespace, interactive: bool) -> int:
    with connect(args, writes=args.docs is not None) as client:
        corpus = resolve_corpus(client, args)
        conversation = Conversation(client, corpus, **answer_options(args))
        if interactive:
            print(f"Asking {corpus}. /reset starts over, /exit quits.", file=sys.stderr)
        while (line := _prompt(interactive)) is not None:
            if line in _EXIT:
                break
            if line == "/reset":
                conversation.reset()
                continue
            if not line:
                continue
            answer = conversation.ask(line)
            if args.json:
                print_json(answer_json(answer), lines=True)
            else:
                print(format_answer(answer), end="\n\n", flush=True)
    return 0
