"""What a batch job needs of the models: the seam to the generation side.

The batch worker runs each request of a job through :class:`BatchModels`, which the
server wires to the same code that serves ``generateContent`` and ``embedContent``, so a
request in a batch gets exactly the answer it would get on its own. An :class:`ApiError`
raised for one request becomes that request's ``error`` in the job's output; the job
carries on with the next one.
"""

from __future__ import annotations

from typing import Protocol

from ragkit.server.principal import Principal
from ragkit.types import (
    EmbedContentRequest,
    EmbedContentResponse,
    GenerateContentRequest,
    GenerateContentResponse,
)

__all__ = ["BatchModels"]


class BatchModels(Protocol):
    """The model methods batch jobs call (``model`` is a full name, ``models/...``)."""

    def require(self, model: str, method: str) -> None:
        """Check at job creation that ``model`` serves ``method`` (``batchGenerateContent``
        or ``asyncBatchEmbedContent``).

        Raises:
            ApiError: NOT_FOUND, worded as for the method itself.
        """
        ...

    def generate_content(
        self, who: Principal, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """What ``models/{model}:generateContent`` answers ``who`` for ``request``."""
        ...

    def embed_content(
        self, who: Principal, model: str, request: EmbedContentRequest
    ) -> EmbedContentResponse:
        """What ``models/{model}:embedContent`` answers ``who`` for ``request``."""
        ...
