"""In-process CPU time of ``corpora:query``, unfiltered against a 10% chunk filter.

The filter is timed twice: repeated (as a tenant or product filter is; its candidate set
is then cached until the next write) and spelled differently every query (never cached).

Uses a data directory filled by ``bench/bench_query_load.py`` (100,000 chunks by default,
``tenant`` in ``t0``..``t9``) and exact search, and reports the median CPU milliseconds
(``time.process_time``: steady when other work shares the cores) per query of each kind.
``--source DIR`` runs another source tree instead (e.g. ``git archive e35ecba`` unpacked),
so the same command gives the before and after figures. Target (issue 18): filtered <=
unfiltered.

    .venv/bin/python bench/bench_filtered_query.py --data /tmp/ragkit-load-100k
    .venv/bin/python bench/bench_filtered_query.py --data /tmp/ragkit-load-100k --source /tmp/base
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--source", type=Path, help="run ragkit from this source tree")
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()
    if args.source is not None:
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__]
        sys.path.insert(0, str(args.source))

    from ragkit.server.models.embedding import load_embedder
    from ragkit.server.principal import LOCAL_USER
    from ragkit.server.service import RetrieverService
    from ragkit.types import Condition, MetadataFilter, QueryCorpusRequest

    exact = (
        {"ann_threshold": 0}
        if "ann_threshold" in inspect.signature(RetrieverService.open).parameters
        else {}
    )
    service = RetrieverService.open(args.data, embedder=load_embedder("hash"), **exact)
    tenant = MetadataFilter(
        key="chunk.custom_metadata.tenant",
        conditions=[Condition(string_value="t3", operation="EQUAL")],
    )

    def fresh(i: int) -> list[MetadataFilter]:
        # The same 10%, spelled differently every time: no cached candidate set applies.
        values = ["t3", f"none-{i}"]
        conditions = [Condition(string_value=v, operation="EQUAL") for v in values]
        return [MetadataFilter(key="chunk.custom_metadata.tenant", conditions=conditions)]

    cases = {"unfiltered": None, "10% filter": [tenant], "10% uncached": None}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(args.queries + 1):
        for name, filters in cases.items():
            if name == "10% uncached":
                filters = fresh(i)
            request = QueryCorpusRequest(
                query=f"how do indexes work with locks {i}", metadata_filters=filters
            )
            started = time.process_time()
            service.query_corpus(LOCAL_USER, "corpora/load", request)
            if i:  # the first round loads the index
                samples[name].append(time.process_time() - started)
    service.close()
    where = args.source or "this tree"
    for name, values in samples.items():
        print(f"{where}: {name:<13} median CPU {statistics.median(values) * 1e3:6.2f} ms/query")
    ratio = statistics.median(samples["10% filter"]) / statistics.median(samples["unfiltered"])
    print(f"{where}: filtered / unfiltered = {ratio:.2f} (target <= 1)")


if __name__ == "__main__":
    main()
