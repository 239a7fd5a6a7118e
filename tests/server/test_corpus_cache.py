"""CorpusCache: one build per corpus, changes only to built objects, drop forgets."""

from __future__ import annotations

import threading
import time

from ragkit.server.corpus_cache import CorpusCache


def test_concurrent_first_gets_build_once_per_corpus() -> None:
    builds: list[int] = []

    def build(corpus_id: int) -> list[int]:
        builds.append(corpus_id)
        time.sleep(0.05)  # long enough for every thread to arrive while the build runs
        return [corpus_id]

    cache: CorpusCache[list[int]] = CorpusCache(build)
    got: list[list[int]] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(1))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and all(item is got[0] for item in got)
    assert cache.get(2) == [2] and builds == [1, 2]


def test_update_touches_built_objects_only_and_drop_forgets() -> None:
    cache: CorpusCache[list[int]] = CorpusCache(lambda corpus_id: [])
    cache.update(1, lambda item: item.append(9))  # not built: nothing to change
    assert not cache.loaded(1) and cache.get(1) == []
    cache.update(1, lambda item: item.append(9))
    assert cache.get(1) == [9]
    cache.drop(1)
    assert not cache.loaded(1) and cache.get(1) == []
