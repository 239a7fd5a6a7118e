"""The API's documented limits, named once and used by the client and the server alike.

Source: ../shared/reference/api.md §5.3 (retriever.proto, the Semantic Retrieval guide).
"""

from typing import Final

#: Longest resource ID (the part after ``corpora/``, ``documents/``...).
MAX_ID_LENGTH: Final = 40
#: Length of the random suffix of generated IDs.
GENERATED_ID_SUFFIX_LENGTH: Final = 12
MAX_DISPLAY_NAME_LENGTH: Final = 512
MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH: Final = 128

MAX_CORPORA_PER_PROJECT: Final = 5
MAX_DOCUMENTS_PER_CORPUS: Final = 10_000
MAX_CHUNKS_PER_CORPUS: Final = 1_000_000

MAX_TOKENS_PER_CHUNK: Final = 2_043
MAX_CUSTOM_METADATA: Final = 20
MAX_STRING_LIST_VALUES: Final = 10
MAX_CHUNKS_PER_BATCH: Final = 100

DEFAULT_RESULTS_COUNT: Final = 10
MAX_RESULTS_COUNT: Final = 100

DEFAULT_PAGE_SIZE: Final = 10
MAX_CORPORA_PAGE_SIZE: Final = 20
MAX_DOCUMENTS_PAGE_SIZE: Final = 20
MAX_CHUNKS_PAGE_SIZE: Final = 100
MAX_PERMISSIONS_PAGE_SIZE: Final = 1_000
DEFAULT_MODELS_PAGE_SIZE: Final = 50
MAX_MODELS_PAGE_SIZE: Final = 1_000
MAX_FILES_PAGE_SIZE: Final = 100
MAX_TUNED_MODELS_PAGE_SIZE: Final = 1_000
MAX_CACHED_CONTENTS_PAGE_SIZE: Final = 1_000

MAX_EMBED_BATCH: Final = 100
MAX_STOP_SEQUENCES: Final = 5
FILE_TTL_SECONDS: Final = 48 * 3600

#: ``candidateCount`` (generateContent, generateText, generateMessage) is 1..8.
MAX_CANDIDATE_COUNT: Final = 8
#: ``batchEmbedText`` takes at most this many texts or requests.
MAX_EMBED_TEXT_BATCH: Final = 100
#: Largest file the Files API accepts (2 GB per file, as Google).
MAX_FILE_BYTES: Final = 2 * 1024**3
#: Bytes of files one user (Google: one project) may store at a time: 20 GB, as Google.
MAX_FILE_STORAGE_BYTES: Final = 20 * 1024**3
#: Unfinished resumable upload sessions one user may hold open (ragkit's choice).
MAX_OPEN_UPLOAD_SESSIONS: Final = 100
#: Default lifetime of a cached content when neither ``ttl`` nor ``expireTime`` is given.
DEFAULT_CACHE_TTL_SECONDS: Final = 3600
#: Requests per batch job (inline or file input) this server accepts.
MAX_BATCH_REQUESTS: Final = 10_000
#: ``batches.list`` page size: default 10, at most this many.
MAX_BATCHES_PAGE_SIZE: Final = 100
#: A batch job still pending or running this long after creation expires.
BATCH_TTL_SECONDS: Final = 48 * 3600
#: Deepest nesting of JSON objects and arrays a request body may have (protobuf's parser
#: stops at 100 too); deeper bodies are rejected before anything walks them.
MAX_JSON_DEPTH: Final = 100
#: Deepest ``(`` nesting of the ``fields`` system parameter.
MAX_FIELDS_DEPTH: Final = 32

# --- Sizes of request fields and bodies -------------------------------------------------
# Google documents token limits for chunks, queries (its embedding models) and models/aqa,
# and none for metadata keys and values; ragkit's own choices are marked as such. Every
# check counts characters before it tokenises anything, so an oversized text is refused
# in microseconds (see LONGEST_TOKEN_BYTES).

#: Bytes of the longest ``cl100k_base`` token (a run of 128 spaces). Every token covers at
#: most this many characters, so a text longer than ``N x LONGEST_TOKEN_BYTES`` characters
#: has more than N tokens and is refused without tokenising it.
LONGEST_TOKEN_BYTES: Final = 128
#: Longest query of ``corpora:query``, ``documents:query`` and ``semanticRetriever.query``,
#: in tokens: the input limit of Google's embedding models (text-embedding-004).
MAX_QUERY_TOKENS: Final = 2_048
#: Longest ``generateAnswer`` conversation (the text of all ``contents``, the question
#: included), in tokens: the input token limit Google publishes for ``models/aqa``.
MAX_ANSWER_INPUT_TOKENS: Final = 7_168
#: Most ``inlinePassages.passages`` one ``generateAnswer`` takes (ragkit's choice).
MAX_INLINE_PASSAGES: Final = 1_000
#: Most characters of passage text, all inline passages together (ragkit's choice: about
#: 25,000 tokens, three times what ``models/aqa`` reads; Google drops the overflow).
MAX_INLINE_PASSAGES_CHARS: Final = 100_000
#: Longest inline passage ``id``, in characters (ragkit's choice).
MAX_PASSAGE_ID_LENGTH: Final = 256
#: Longest custom metadata key, in characters (ragkit's choice; Google documents none).
MAX_METADATA_KEY_LENGTH: Final = 128
#: Longest custom metadata ``stringValue`` and metadata filter ``stringValue``, in
#: characters (ragkit's choice; Google documents none).
MAX_METADATA_VALUE_LENGTH: Final = 1_024
#: Longest value of a custom metadata ``stringListValue``, in characters (ragkit's choice).
MAX_METADATA_LIST_VALUE_LENGTH: Final = 256
#: Longest permission ``emailAddress`` (RFC 5321's limit for an address path).
MAX_EMAIL_LENGTH: Final = 254

#: Bytes of JSON one character can take when sent as UTF-8 (what httpx, and so ragkit's
#: client, sends): at most 4.
_UTF8_BYTES_PER_CHAR: Final = 4
#: JSON syntax around one metadata entry (``{"key":"","stringListValue":{"values":[]}}``,
#: quotes and commas of ten values), rounded up.
_METADATA_ENTRY_SYNTAX_BYTES: Final = 100
#: The largest chunk a batchCreate can legitimately carry, as JSON: 2,043 tokens of text
#: (each token at most LONGEST_TOKEN_BYTES bytes), 20 metadata entries each with a key of
#: 128 characters and the larger of a 1,024-character string or ten list values of 256,
#: and 1 KiB for name, state and syntax.
LARGEST_CHUNK_JSON_BYTES: Final = (
    MAX_TOKENS_PER_CHUNK * LONGEST_TOKEN_BYTES
    + MAX_CUSTOM_METADATA
    * (
        (
            MAX_METADATA_KEY_LENGTH
            + max(
                MAX_METADATA_VALUE_LENGTH, MAX_STRING_LIST_VALUES * MAX_METADATA_LIST_VALUE_LENGTH
            )
        )
        * _UTF8_BYTES_PER_CHAR
        + _METADATA_ENTRY_SYNTAX_BYTES
    )
    + 1024
)
#: Default limit of a request body, enforced while it is read (``ragkit serve
#: --max-request-bytes``): 64 MiB, above the largest legitimate request, a batchCreate
#: of 100 largest chunks (100 x LARGEST_CHUNK_JSON_BYTES = 47.9 MB). Media uploads
#: (``/upload/v1beta/files``) stream to disk under the file size limit instead.
DEFAULT_MAX_REQUEST_BYTES: Final = 64 * 1024 * 1024

# --- How ``ragkit serve`` listens (see ragkit.server.runner) ------------------------------

#: Seconds a client has to send a request's headers (``ragkit serve --header-timeout``).
DEFAULT_HEADER_TIMEOUT: Final = 10.0
#: Seconds a request body may stall between reads (``ragkit serve --body-timeout``).
DEFAULT_BODY_TIMEOUT: Final = 30.0
#: Open connections at most (``ragkit serve --max-connections``); keep it under the
#: process's open-file limit (``ulimit -n``).
DEFAULT_MAX_CONNECTIONS: Final = 1000

# --- File Search stores (Google's File Search documentation, 2025-11) -------------------

#: File Search stores per project (Google: 10; ragkit: per principal, ``Quotas``).
MAX_FILE_SEARCH_STORES_PER_PROJECT: Final = 10
#: Largest file a store imports (Google: 100 MB per document).
MAX_FILE_SEARCH_FILE_BYTES: Final = 100 * 1024 * 1024
#: Page sizes of ``fileSearchStores.list`` and ``fileSearchStores.documents.list``.
MAX_FILE_SEARCH_STORES_PAGE_SIZE: Final = 20
MAX_FILE_SEARCH_DOCUMENTS_PAGE_SIZE: Final = 20
#: ``chunkingConfig.whiteSpaceConfig.maxTokensPerChunk`` at most (Google: 512 words).
MAX_WHITE_SPACE_TOKENS_PER_CHUNK: Final = 512
#: Chunks the ``fileSearch`` tool retrieves when ``topK`` is unset.
DEFAULT_FILE_SEARCH_TOP_K: Final = 5
#: ``topK`` of the ``fileSearch`` tool at most (as ``resultsCount`` of corpora:query).
MAX_FILE_SEARCH_TOP_K: Final = 100
#: Seconds a finished import/upload operation stays readable (ragkit's choice: 2 days,
#: the lifetime of a Files API file and of an upload session; at least FILE_TTL_SECONDS,
#: so an upload never finalized reads as expired before it is forgotten).
FILE_SEARCH_OPERATION_TTL_SECONDS: Final = 48 * 3600
