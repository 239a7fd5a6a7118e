"""Client and AsyncClient are twins: same resources, same methods, same parameters."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest

import ragkit


def public_methods(obj: Any) -> dict[str, Any]:
    return {
        name: getattr(type(obj), name)
        for name in dir(type(obj))
        if not name.startswith("_") and inspect.isfunction(getattr(type(obj), name))
    }


def namespaces(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every resource namespace reachable through cached properties, depth first."""
    for name in sorted(dir(type(obj))):
        if not name.startswith("_") and isinstance(getattr(type(obj), name), cached_property):
            child = getattr(obj, name)
            yield f"{path}{name}", child
            yield from namespaces(child, f"{path}{name}.")


SYNC = dict(namespaces(ragkit.Client(api_key="k")))
ASYNC = dict(namespaces(ragkit.AsyncClient(api_key="k")))


def test_same_namespaces() -> None:
    assert set(SYNC) == set(ASYNC)
    assert {
        "corpora",
        "corpora.documents",
        "corpora.documents.chunks",
        "corpora.permissions",
        "models",
        "models.operations",
        "files",
        "cached_contents",
        "batches",
        "tuned_models",
        "tuned_models.permissions",
        "tuned_models.operations",
        "file_search_stores",
        "file_search_stores.documents",
        "file_search_stores.operations",
    } <= set(SYNC)


@pytest.mark.parametrize("path", sorted(SYNC))
def test_same_methods_and_signatures(path: str) -> None:
    sync_methods, async_methods = public_methods(SYNC[path]), public_methods(ASYNC[path])
    assert set(sync_methods) == set(async_methods), path
    assert sync_methods, path
    for name, sync_method in sync_methods.items():
        async_method = async_methods[name]
        sync_sig, async_sig = inspect.signature(sync_method), inspect.signature(async_method)
        assert list(sync_sig.parameters.values()) == list(async_sig.parameters.values()), name
        returns_iterable = name == "list"
        if returns_iterable:
            assert not inspect.iscoroutinefunction(async_method), name
            assert "AsyncPager" in str(async_sig.return_annotation), name
            assert "SyncPager" in str(sync_sig.return_annotation), name
        else:
            assert inspect.iscoroutinefunction(async_method), f"{path}.{name}"
            assert not inspect.iscoroutinefunction(sync_method), f"{path}.{name}"


def test_path_params_positional_options_keyword_only() -> None:
    for path, namespace in SYNC.items():
        for name, method in public_methods(namespace).items():
            params = list(inspect.signature(method).parameters.values())[1:]
            for param in params:
                if param.default is not inspect.Parameter.empty:
                    assert param.kind is inspect.Parameter.KEYWORD_ONLY, f"{path}.{name}({param})"
