"""ReadWriteLock: readers share, a writer is alone, a waiting writer holds new readers back."""

from __future__ import annotations

import threading
import time

from ragkit.server.rwlock import ReadWriteLock


def test_readers_share_and_snapshot_under_the_lock() -> None:
    lock = ReadWriteLock()
    with lock.reading(lambda: 1) as first, lock.reading(lambda: 2) as second:
        assert (first, second) == (1, 2)


def test_a_writer_waits_for_readers_and_holds_new_readers_back() -> None:
    lock = ReadWriteLock()
    events: list[str] = []
    reader_in = threading.Event()
    release_reader = threading.Event()

    def reader() -> None:
        with lock.reading(lambda: None):
            reader_in.set()
            release_reader.wait(5)
            events.append("reader 1 out")

    def writer() -> None:
        with lock.writing():
            events.append("writer")

    def late_reader() -> None:
        with lock.reading(lambda: None):
            events.append("reader 2")

    threads = [threading.Thread(target=reader)]
    threads[0].start()
    assert reader_in.wait(5)
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    time.sleep(0.05)  # the writer is now waiting for reader 1
    threads.append(threading.Thread(target=late_reader))
    threads[2].start()
    time.sleep(0.05)
    assert events == []  # the late reader waits behind the writer
    release_reader.set()
    for thread in threads:
        thread.join(5)
    assert events == ["reader 1 out", "writer", "reader 2"]
