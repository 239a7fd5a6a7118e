"""``--timeout`` on the commands that talk to a server, and ingest's longer defaults."""

from __future__ import annotations

import pytest

from ragkit.cli import build_parser
from ragkit.cli._connect import connect
from ragkit.cli.ingest import INGEST_MAX_OVERLOAD_WAIT, INGEST_TIMEOUT


@pytest.mark.parametrize("command", [["query", "c", "q"], ["ask", "question"], ["corpora", "list"]])
def test_timeout_flag_reaches_the_client(command: list[str]) -> None:
    parser = build_parser()
    args = parser.parse_args([*command, "--base-url", "http://127.0.0.1:9", "--timeout", "7.5"])
    with connect(args) as client:
        assert client.timeout == 7.5
    default = parser.parse_args([*command, "--base-url", "http://127.0.0.1:9"])
    with connect(default) as client:
        assert client.timeout == 60.0


def test_ingest_waits_longer_for_a_busy_server() -> None:
    args = build_parser().parse_args(["ingest", "docs", "--base-url", "http://127.0.0.1:9"])
    assert args.timeout == INGEST_TIMEOUT
    with connect(args, max_overload_wait=INGEST_MAX_OVERLOAD_WAIT) as client:
        assert client.timeout == INGEST_TIMEOUT
        assert client.max_retries == 2  # errors and timeouts: the usual budget
        assert client.retry_policy.max_overload_wait == INGEST_MAX_OVERLOAD_WAIT
    with connect(args, max_retries=5) as client:
        assert client.max_retries == 5


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "inf"])
def test_timeout_must_be_positive_seconds(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["query", "c", "q", "--timeout", bad])
    assert "--timeout" in capsys.readouterr().err
