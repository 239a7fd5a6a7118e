"""Persistent storage for ``ragkit serve``: one SQLite file in the data directory, or a
PostgreSQL database (``--database``, :mod:`ragkit.server.store.postgres`).

:class:`Database` owns the connections and transactions; the sibling modules hold the SQL
for each table, one SQL for both backends (:mod:`ragkit.server.store.dialect`), and return
the frozen records of :mod:`ragkit.server.store.records`. The store checks nothing about
the API's rules: that is the service's job.
"""

from ragkit.server.store.connection import DATABASE_FILENAME, Database

__all__ = ["DATABASE_FILENAME", "Database"]
