"""Finding files: roots, globs, hidden files, unsupported types, duplicates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ragkit.ingest.sync import SourceError, document_id
from ragkit.ingest.sync.files import compile_glob, discover, scope_of

from .helpers import write


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*.md", ["a.md", "x/y/a.md"], ["a.mdx", "a.txt"]),
        ("docs/*.md", ["docs/a.md"], ["docs/x/a.md", "a.md"]),
        ("**/drafts/**", ["drafts/a.md", "x/drafts/y/z.md"], ["drafted/a.md"]),
        ("guide?.md", ["guide1.md"], ["guide10.md"]),
        ("[!_]*.html", ["index.html"], ["_nav.html"]),
        ("**/*.[mt]d", ["a/b.md", "c.td"], ["c.pd"]),
    ],
)
def test_globs(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = compile_glob(pattern)
    assert all(regex.match(path) for path in matches)
    assert not any(regex.match(path) for path in misses)


def test_discover_walks_sorted_skips_hidden_and_reports_unsupported(tmp_path: Path) -> None:
    write(
        tmp_path / "docs",
        {"b.md": "b", "a/z.txt": "z", ".git/x.md": "x", ".hidden.md": "h", "pic.png": "p"},
    )
    found = discover([tmp_path / "docs"])
    assert found.root == tmp_path / "docs"
    assert [f.source for f in found.files] == ["b.md", "a/z.txt"]  # files, then subfolders
    (skipped,) = found.skipped
    assert skipped.reason == "unsupported file type .png"
    b = next(f for f in found.files if f.source == "b.md")
    assert b.document_id == document_id("b.md")
    assert b.content_hash == hashlib.sha256(b"b").hexdigest()


def test_root_is_the_common_parent_and_can_be_given(tmp_path: Path) -> None:
    write(tmp_path, {"one/a.md": "a", "two/b.md": "b"})
    found = discover([tmp_path / "one", tmp_path / "two/b.md"])
    assert found.root == tmp_path
    assert sorted(f.source for f in found.files) == ["one/a.md", "two/b.md"]
    single = discover([tmp_path / "two/b.md"])
    assert [f.source for f in single.files] == ["b.md"]
    rooted = discover([tmp_path / "two/b.md"], root=tmp_path)
    assert [f.source for f in rooted.files] == ["two/b.md"]
    with pytest.raises(SourceError, match="not inside the root"):
        discover([tmp_path / "one"], root=tmp_path / "two")


def test_scope_is_what_the_paths_cover_relative_to_the_root(tmp_path: Path) -> None:
    write(tmp_path, {"docs/a/x.md": "x", "docs/b/y.md": "y", "docs/top.md": "t"})
    docs = tmp_path / "docs"
    found = discover([docs / "a", docs / "top.md"], root=docs)
    assert (found.scope, [f.source for f in found.files]) == (["a", "top.md"], ["a/x.md", "top.md"])
    assert discover([docs]).scope == [""]  # the root itself covers everything
    assert scope_of([docs / "b" / "new"], docs) == ["b/new"]  # paths need not exist
    with pytest.raises(SourceError, match="the root must contain every path"):
        scope_of([tmp_path / "docs-old"], docs)  # a shared prefix is not containment
    write(tmp_path, {"empty/.keep": ""})
    with pytest.raises(SourceError, match="not inside the root"):
        discover([tmp_path / "empty"], root=docs)  # refused even with no file to ingest


def test_include_and_exclude_filter_walked_files_not_named_ones(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "a", "b.txt": "b", "drafts/c.md": "c", "notes.txt": "n"})
    found = discover([tmp_path], include=["*.md"], exclude=["drafts/**"])
    assert [f.source for f in found.files] == ["a.md"] and found.skipped == []
    named = discover([tmp_path, tmp_path / "notes.txt"], include=["*.md"], exclude=["drafts/**"])
    assert sorted(f.source for f in named.files) == ["a.md", "notes.txt"]


def test_missing_paths_and_duplicates(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "a"})
    with pytest.raises(SourceError, match="no such file"):
        discover([tmp_path / "nope"])
    with pytest.raises(SourceError, match="no paths"):
        discover([])
    twice = discover([tmp_path, tmp_path / "a.md"])
    assert [f.source for f in twice.files] == ["a.md"]
