"""Embedder implementations; import them from :mod:`ragkit.server.models.embedding`."""
