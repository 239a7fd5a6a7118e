"""Lift chunks whose title names what the query asks about.

Every ranking (``dense``, ``bm25``, ``hybrid``; see :mod:`ragkit.server.lexical_index`)
ends here: its best :data:`TITLE_CANDIDATES` chunks are re-scored as

    score + TITLE_WEIGHT * title_match(subject terms of the query, terms of the title's
                                       last section)

(:mod:`ragkit.server.models.titles`), capped at 1, and the best ``count`` returned. A chunk
without a title line, or a query whose words its title lacks, keeps its score.

Why: a 200-token chunk's embedding blends its heading with its body, so "What does primary
key mean?" ranked a chunk *mentioning* primary keys above the glossary entry headed
"Primary key". On the PostgreSQL evaluation set's tune split this step raised nDCG@10 from
0.869 to 0.886 and attribution precision from 0.855 to 0.870 (``bench/RESULTS.md``); the
match is a Jaccard overlap, which ranked 0.004 better there than the share of the title's
words found in the query.
"""

from __future__ import annotations

from collections.abc import Mapping

from ragkit.server.models.evidence import subject_terms
from ragkit.server.models.titles import heading_terms, title_match

__all__ = ["TITLE_CANDIDATES", "TITLE_CHARS", "TITLE_WEIGHT", "boost_titles"]

#: Score added for a title naming exactly the query's subject. 0.06-0.2 tried on the tune
#: split: nDCG@10 0.877-0.888; 0.1 gave the best attribution (0.870, against 0.855 at 0.15).
TITLE_WEIGHT = 0.1
#: How many of the ranking's best chunks are re-scored (at least the results asked for).
TITLE_CANDIDATES = 100
#: How much of each candidate's text is read to find its title line (ragkit's context line
#: is at most a quarter of a chunk's tokens; a longer first line is cut, and only its last
#: section is matched, so a cut title is simply not matched).
TITLE_CHARS = 1024


def boost_titles(
    query: str, ranked: list[tuple[int, float]], texts: Mapping[int, str], count: int
) -> list[tuple[int, float]]:
    """Re-score ``ranked`` ``(chunk id, score)`` pairs by title match; best ``count``.

    ``texts`` maps chunk ids to their texts, or their first :data:`TITLE_CHARS` characters;
    ids missing from it (deleted meanwhile) are dropped.
    """
    subject = subject_terms(query)
    rescored = []
    for chunk_id, score in ranked:
        text = texts.get(chunk_id)
        if text is None:
            continue
        match = title_match(subject, heading_terms(text)) if subject else 0.0
        rescored.append((chunk_id, min(1.0, score + TITLE_WEIGHT * match) if match else score))
    rescored.sort(key=lambda pair: (-pair[1], pair[0]))
    return rescored[:count]
