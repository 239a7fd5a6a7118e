"""``ragkit chat``: an interactive, multi-turn question-and-answer session.

ragkit chat --docs examples/docs
ragkit chat --corpus corpora/docs --base-url http://127.0.0.1:8080

Type a question per line; earlier turns are sent along, so follow-up questions work.
Commands: /reset forgets the conversation, /exit (or end of input) quits. With --json,
each answer is printed as one JSON object per line.
"""

from __future__ import annotations

import argparse
import sys

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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "chat", help="interactive multi-turn questions about your documents",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_answer_arguments(parser)
    parser.set_defaults(handler=_chat, command_parser=parser)


def _prompt(interactive: bool) -> str | None:
    if interactive:
        print(_PROMPT, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    return None if line == "" else line.strip()


@command("chat")
def _chat(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    interactive = sys.stdin.isatty()
    with connect(args) as client:
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
