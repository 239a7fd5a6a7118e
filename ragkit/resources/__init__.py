"""API resources, one module per REST collection, each with a blocking and an async class.

They are reached through a client (``client.corpora``, ``client.models``...), never
constructed directly.
"""
