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
