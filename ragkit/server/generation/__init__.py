"""Every model method but ``generateAnswer``: generation, embeddings, tokens, PaLM, upstream.

* :class:`~ragkit.server.generation.service.GenerationService`: the one object routes call.
* :mod:`~ragkit.server.generation.local`: ``models/ragkit-local``, the grounded extractive
  composer (quotes the request's context; never invents text).
* :mod:`~ragkit.server.generation.embeddings`: ``embedContent``, ``batchEmbedContents``,
  ``embedText``, ``batchEmbedText``.
* :mod:`~ragkit.server.generation.tokens`: ``countTokens`` and usage figures.
* :mod:`~ragkit.server.generation.legacy`: the PaLM generate/count methods.
* :mod:`~ragkit.server.generation.google` / :mod:`~ragkit.server.generation.openai`: the
  upstreams (Google pass-through; OpenAI-compatible translation).
* :class:`~ragkit.server.generation.resolver.ContentResolver`: what the files and
  cachedContents services must provide for ``fileData`` and ``cachedContent``.
* :mod:`~ragkit.server.generation.streaming`: SSE and JSON-array wire forms.
"""

from ragkit.server.generation.resolver import ContentResolver
from ragkit.server.generation.service import GenerationService

__all__ = ["ContentResolver", "GenerationService"]
