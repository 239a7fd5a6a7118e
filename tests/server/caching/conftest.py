from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..media.support import FakeClock, Served, serve


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def served(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Served]:
    async with serve(tmp_path / "data", clock=clock) as running:
        yield running
