"""The README's set-up puts ``ragkit`` on PATH before any section runs bare ``ragkit``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
# POSIX ``.``, not bash's ``source``: the command must also run under ``sh`` (dash).
ACTIVATE = ". .venv/bin/activate"


def _setup_command() -> str:
    section = README.read_text(encoding="utf-8").split("## Set up", 1)[1]
    return re.findall(r"```bash\n(.*?)\n```", section, re.S)[0]


def test_the_first_setup_command_activates_the_venv_before_using_it() -> None:
    command = _setup_command()
    steps = [step.strip() for step in command.split("&&")]
    assert ACTIVATE in steps
    install = next(i for i, step in enumerate(steps) if "pip install" in step)
    assert steps.index(ACTIVATE) > install
    # Nothing after activation reaches into .venv/bin: the PATH does it.
    assert not any(".venv/bin" in step for step in steps[steps.index(ACTIVATE) + 1 :])


def test_bare_ragkit_appears_only_after_the_setup_that_puts_it_on_path() -> None:
    text = README.read_text(encoding="utf-8")
    first_bare = re.search(r"^\$ ragkit ", text, re.M)
    assert first_bare is not None
    assert text.index(ACTIVATE) < first_bare.start()


def test_activating_the_venv_finds_the_ragkit_command() -> None:
    venv = Path(sys.prefix)
    activate = venv / "bin" / "activate"
    done = subprocess.run(
        ["sh", "-c", f'. "{activate}" && command -v ragkit'],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == venv / "bin" / "ragkit"
