"""HTTP plumbing shared by every route: parameters, bodies, errors, dependencies."""

from ragkit.server.http import paths as paths  # registers the ``rid`` path convertor
