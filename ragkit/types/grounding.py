"""Citation, search grounding, URL context and log-probability details of a candidate."""

from __future__ import annotations

from ragkit.types._base import WireEnum, WireModel
from ragkit.types.metadata import CustomMetadata

__all__ = [
    "CitationMetadata",
    "CitationSource",
    "GroundingChunk",
    "GroundingMetadata",
    "GroundingSupport",
    "LogprobsResult",
    "LogprobsResultCandidate",
    "RetrievalMetadata",
    "RetrievedContext",
    "SearchEntryPoint",
    "Segment",
    "TopCandidates",
    "UrlContextMetadata",
    "UrlMetadata",
    "UrlRetrievalStatus",
    "Web",
]


class UrlRetrievalStatus(WireEnum):
    """Status of a URL retrieval."""

    URL_RETRIEVAL_STATUS_UNSPECIFIED = 0
    URL_RETRIEVAL_STATUS_SUCCESS = 1
    URL_RETRIEVAL_STATUS_ERROR = 2
    URL_RETRIEVAL_STATUS_PAYWALL = 3
    URL_RETRIEVAL_STATUS_UNSAFE = 4


class CitationSource(WireModel):
    """A citation to a source for a portion of a specific response."""

    start_index: int | None = None
    end_index: int | None = None
    uri: str | None = None
    license: str | None = None


class CitationMetadata(WireModel):
    """A collection of source attributions for a piece of content."""

    citation_sources: list[CitationSource] | None = None


class Web(WireModel):
    """Chunk from the web."""

    uri: str | None = None
    title: str | None = None


class RetrievedContext(WireModel):
    """A chunk retrieved by the ``fileSearch`` tool: its text, its document's title and
    the store it came from (``fileSearchStores/...``).
    """

    uri: str | None = None
    title: str | None = None
    text: str | None = None
    custom_metadata: list[CustomMetadata] | None = None
    file_search_store: str | None = None


class GroundingChunk(WireModel):
    """A source of grounding for a candidate: a web page or a retrieved chunk."""

    web: Web | None = None
    retrieved_context: RetrievedContext | None = None


class Segment(WireModel):
    """Segment of the content."""

    part_index: int | None = None
    start_index: int | None = None
    end_index: int | None = None
    text: str | None = None


class GroundingSupport(WireModel):
    """The grounding sources that support one segment of a candidate."""

    segment: Segment | None = None
    grounding_chunk_indices: list[int] | None = None
    confidence_scores: list[float] | None = None


class RetrievalMetadata(WireModel):
    """Metadata related to retrieval in the grounding flow."""

    google_search_dynamic_retrieval_score: float | None = None


class SearchEntryPoint(WireModel):
    """Google search entry point.

    ``sdk_blob`` holds base64 text (proto ``bytes``), on the wire and in Python.
    """

    rendered_content: str | None = None
    sdk_blob: str | None = None


class GroundingMetadata(WireModel):
    """Metadata returned to client when grounding is enabled."""

    search_entry_point: SearchEntryPoint | None = None
    grounding_chunks: list[GroundingChunk] | None = None
    grounding_supports: list[GroundingSupport] | None = None
    retrieval_metadata: RetrievalMetadata | None = None
    web_search_queries: list[str] | None = None


class LogprobsResultCandidate(WireModel):
    """Candidate for the logprobs token and score."""

    token: str | None = None
    log_probability: float | None = None
    token_id: int | None = None


class TopCandidates(WireModel):
    """Candidates with top log probabilities at each decoding step."""

    candidates: list[LogprobsResultCandidate] | None = None


class LogprobsResult(WireModel):
    """Log-probabilities of the chosen and the top candidate tokens at each decoding step."""

    top_candidates: list[TopCandidates] | None = None
    chosen_candidates: list[LogprobsResultCandidate] | None = None


class UrlMetadata(WireModel):
    """Context of the a single url retrieval."""

    retrieved_url: str | None = None
    url_retrieval_status: UrlRetrievalStatus | None = None


class UrlContextMetadata(WireModel):
    """Metadata related to url context retrieval tool."""

    url_metadata: list[UrlMetadata] | None = None
