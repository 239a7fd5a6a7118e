from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..media.support import FakeClock, FakeModels, Served, serve


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def models() -> FakeModels:
    return FakeModels()


@pytest.fixture
async def served(
    tmp_path: Path, clock: FakeClock, models: FakeModels, database_url: str | None
) -> AsyncIterator[Served]:
    async with serve(
        tmp_path / "data", clock=clock, models=models, database_url=database_url
    ) as running:
        yield running
