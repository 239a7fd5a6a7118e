"""Word-level helpers for the answerer: content terms, light stemming and IDF weights.

Everything here is deterministic and English-only (the AQA model is English-only too).

Example::

    content_terms("When was the Eiffel Tower completed?")   # ['eiffel', 'tower', 'complet']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = [
    "QUESTION_WORDS",
    "STOPWORDS",
    "content_terms",
    "idf_weights",
    "stem",
    "words",
    "wordset",
]


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``; keeps long word lists readable."""
    return frozenset(text.split())


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")

#: Words that open or shape a question; they never count as evidence.
QUESTION_WORDS = wordset("what which who whom whose when where why how")

#: Function words ignored when matching a question against a sentence.
STOPWORDS = QUESTION_WORDS | wordset("""
    a an the and or but nor so yet if then than that this these those there here
    is are was were be been being am do does did done doing have has had having
    i me my mine we us our ours you your yours he him his she her hers it its they them
    their theirs one ones
    of in on at to for from by with without about into onto over under after before
    between through during against among within upon as per via up down out off
    not no can could will would shall should may might must also just only very too
    any all each every some such own same other more most much many few
    tell explain describe give list name please know kind type
    """)


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (letters and digits; ``'s`` is dropped)."""
    tokens = []
    for token in _TOKEN.findall(text):
        lowered = token.lower().replace("\u2019", "'")
        tokens.append(lowered[:-2] if lowered.endswith("'s") else lowered)
    return tokens


def stem(word: str) -> str:
    """A light suffix stripper so that inflections of one word match.

    Handles plurals and ``-ing``/``-ed``/``-e`` endings: ``completed``, ``completes`` and
    ``complete`` all become ``complet``; ``cities`` becomes ``city``. Numbers are unchanged.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, minimum in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= minimum:
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed words of ``text`` minus stopwords, in order (duplicates kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def idf_weights(documents: Iterable[set[str]], terms: Iterable[str]) -> Mapping[str, float]:
    """Inverse document frequency of each of ``terms`` over ``documents`` (term sets).

    ``log(1 + (N + 1) / (df + 0.5))``: always positive, and largest for a term that no
    document contains, which is what makes a question word missing from every passage
    weigh heavily against answerability.
    """
    docs = list(documents)
    wanted = set(terms)
    frequency: Counter[str] = Counter()
    for doc in docs:
        frequency.update(doc & wanted)
    n = len(docs)
    return {t: math.log(1.0 + (n + 1) / (frequency[t] + 0.5)) for t in wanted}
