"""Follow-up questions resolved against the conversation, without a language model.

A follow-up leans on earlier turns: "What is **its** default maxsize?" after "What does
functools.lru_cache do?", "How do I clear **it**?", "**And** for sets?", "What about the
timeout?". Searched alone, such a question finds whatever else has a default maxsize or
can be cleared. :func:`resolve_followup` carries the *subject of the conversation* into
it: the words naming what the last self-contained question asked about.

Example::

    resolve_followup("How do I clear it?", ["What does functools.lru_cache do?"])
    # 'How do I clear it? (functools.lru_cache)'
    resolve_followup("How do I read a CSV file?", ["What does functools.lru_cache do?"])
    # 'How do I read a CSV file?'  (self-contained: unchanged)

The subject is appended, not substituted, so the user's own words stay as they were and
the retriever and the answerer see both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragkit.server.models.evidence import answer_form_terms
from ragkit.server.models.lexical import STOPWORDS, stem

__all__ = ["is_followup", "resolve_followup", "subject_phrase"]

#: Pronouns that stand for something named earlier ("it", "its", "they"...).
_PRONOUN = re.compile(r"\b(?:it|its|it's|they|them|their|theirs|itself|themselves)\b", re.I)
#: "that" / "this" / "these" / "those" / "one" used as a pronoun: at the end of the question,
#: or before a verb ("Is that thread-safe?", "Does this work?", "How do I create one?").
_DEMONSTRATIVE = re.compile(
    r"\b(?:that|this|these|those|one)\b(?=\s*(?:[?.!]|$|(?:is|are|was|were|does|do|did|"
    r"work|works|mean|means|need|needs|support|supports|handle|handles|have|has|take|takes|"
    r"return|returns|require|requires|cost|costs)\b))"
    r"|^\W*(?:is|are|was|were|does|do|did|can|could|will|would|should)\s+"
    r"(?:that|this|these|those)\b",
    re.I,
)
#: Elided subjects: "And for sets?", "What about the timeout?", "How about Windows?".
_ELLIPSIS = re.compile(r"^\W*(?:and|also|what about|how about|same for|then)\b", re.I)
_TOKEN = re.compile(r"[\w.:/+#-]*\w")
#: Words a question uses to ask, not to name what it asks about.
_ASKING = frozenset(
    {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "does", "do",
     "did", "is", "are", "was", "were", "can", "could", "should", "would", "will", "may",
     "might", "must", "shall", "i", "me", "my", "we", "you", "your", "use", "using", "get",
     "make", "work", "works", "mean", "means", "way", "best", "there", "difference"}
)  # fmt: skip
#: A question with fewer subject words than this and no pronoun still counts as a
#: follow-up when it opens like one ("And ...?") or names almost nothing ("Why?").
_MIN_OWN_WORDS = 1


def subject_phrase(question: str) -> str:
    """The words of ``question`` that name what it asks about, in their order.

    ``"functools.lru_cache"`` for "What does functools.lru_cache do?", ``"create named
    tuple"`` for "How do I create a named tuple?".
    """
    form = answer_form_terms(question)
    kept = []
    for token in _TOKEN.findall(question):
        low = token.lower()
        if low in STOPWORDS or low in _ASKING or _PRONOUN.fullmatch(low):
            continue
        if stem(low) in form:
            continue
        kept.append(token)
    return " ".join(kept)


def is_followup(question: str) -> bool:
    """Whether ``question`` leans on earlier turns (a pronoun, an elided subject, or almost
    no words of its own)."""
    if _PRONOUN.search(question) or _DEMONSTRATIVE.search(question):
        return True
    if _ELLIPSIS.search(question):
        return True
    return len(subject_phrase(question).split()) < _MIN_OWN_WORDS


def resolve_followup(question: str, earlier: Sequence[str]) -> str:
    """``question`` with the conversation's subject appended when it is a follow-up.

    ``earlier`` holds the user's earlier questions, oldest first. The subject is that of
    the most recent one that was self-contained (so "How do I clear it?" after "What is its
    default maxsize?" still refers to lru_cache); a question that is not a follow-up, or a
    conversation without a subject, leaves ``question`` unchanged.
    """
    if not earlier or not is_followup(question):
        return question
    for previous in reversed(earlier):
        if is_followup(previous):
            continue
        subject = subject_phrase(previous)
        if subject and subject.lower() not in question.lower():
            return f"{question.rstrip()} ({subject})"
        return question
    return question
