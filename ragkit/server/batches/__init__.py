"""Batch jobs (``batches``) for ``ragkit serve``: long-running operations run by a worker.

:class:`BatchService` backs ``routes/batches.py``; it runs each request through a
:class:`BatchModels` the server wires to its generation and embedding code.
"""

from ragkit.server.batches.models import BatchModels
from ragkit.server.batches.runner import output_file_id
from ragkit.server.batches.service import BATCHES_DATABASE, BatchService

__all__ = ["BATCHES_DATABASE", "BatchModels", "BatchService", "output_file_id"]
