"""bench/eval/build_toolfaq.py: the four FAQ layouts it reads, on small FAQs written here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EVAL = Path(__file__).resolve().parents[2] / "bench" / "eval"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    sys.path.insert(0, str(EVAL))
    spec = importlib.util.spec_from_file_location("build_toolfaq", EVAL / "build_toolfaq.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses resolve their annotations through sys.modules.
    sys.modules["build_toolfaq"] = module
    spec.loader.exec_module(module)
    return module


def _source(build: ModuleType, key: str) -> object:
    return next(s for s in build.SOURCES if s.key == key)


def test_numbered_questions_with_wrapped_headings(build: ModuleType) -> None:
    text = (
        "\n  Frequently Asked Questions about kilnlib\n\n"
        " 1. Is kilnlib thread-safe?\n\n    Yes. Every call takes its own state.\n\n"
        '12. The manual says the lid must be "plainly marked". So\n'
        "    what do I need to do?\n\n    Paint the lid red.\n\n    That is all.\n"
    )
    found = build.entries(_source(build, "zlib"), text)

    assert [(e.number, e.question) for e in found] == [
        ("1", "Is kilnlib thread-safe?"),
        ("12", 'The manual says the lid must be "plainly marked". So what do I need to do?'),
    ]
    assert found[1].paragraphs == ("Paint the lid red.", "That is all.")


def test_q_and_a_blocks(build: ModuleType) -> None:
    text = (
        "Kiln FAQ\n========\n\nQ:  What does KF mean?\n\nA:  Nothing. Two letters.\n\n"
        "    Really nothing.\n\n\nQ:  I have an old kiln.\n    Can I convert it?\n\n"
        "A:  kf -d old | kf -z\n"
    )
    found = build.entries(_source(build, "xz"), text)

    assert [e.question for e in found] == [
        "What does KF mean?",
        "I have an old kiln. Can I convert it?",
    ]
    assert found[0].paragraphs == ("Nothing. Two letters.", "Really nothing.")
    assert found[1].paragraphs == ("kf -d old | kf -z",)


def test_section_numbered_entries_drop_rules_and_the_questions_own_example(
    build: ModuleType,
) -> None:
    rule = "-" * 40
    text = (
        f'{rule}\n1. Background\n{rule}\n\n1.1. How do you pronounce "Kiln"? \n'
        "Like the word kill, with an n.\n\n"
        f"{rule}\n\n2.1. When firing, the controller fails with \nthis message: \n\n"
        "    error: cone 6 not reached\n\n"
        "The thermocouple is worn; replace it.\n\n"
        f"{rule}\n2. Other\n{rule}\n"
    )
    found = build.entries(_source(build, "valgrind"), text)

    assert [(e.number, e.question) for e in found] == [
        ("1.1", 'How do you pronounce "Kiln"?'),
        ("2.1", "When firing, the controller fails with this message:"),
    ]
    assert found[0].paragraphs == ("Like the word kill, with an n.",)
    assert found[1].paragraphs == ("The thermocouple is worn; replace it.",)


def test_unindented_questions_over_tab_indented_answers(build: ModuleType) -> None:
    text = (
        "Why does the kiln click?\n\n\tThe relay switches the elements.\n\n"
        "\t\tkf --quiet\n\nWhy is it slow?\n\n\tIt is cold.\n"
    )
    found = build.entries(_source(build, "procps"), text)

    assert [e.question for e in found] == ["Why does the kiln click?", "Why is it slow?"]
    assert found[0].paragraphs == ("The relay switches the elements.", "kf --quiet")
