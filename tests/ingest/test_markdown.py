from __future__ import annotations

import pytest

from ragkit.ingest import load
from ragkit.ingest.loaders.frontmatter import parse_front_matter, split_front_matter
from ragkit.ingest.loaders.markdown import find_headings, plain_heading

GUIDE = """\
---
title: "Install Guide: Linux"
version: 2.5
tags: [setup, "linux, unix", cli]
authors:
  - Ann
  - 'Bob'
draft: false
summary: >
  Folded
  text
nested:
  key: ignored
---
Intro before any heading.

# Installing

Read this first.

## From packages

```bash
# not a heading
apt install tool
```

### Debian
Use apt.

Upgrading
---------

Run the upgrade.

# Appendix
~~~
## also not a heading
~~~
Done.
"""


def test_front_matter_becomes_metadata_and_title() -> None:
    doc = load("guide.md", GUIDE.encode())
    assert doc.title == "Install Guide: Linux"
    assert doc.metadata == {
        "title": "Install Guide: Linux",
        "version": 2.5,
        "tags": ["setup", "linux, unix", "cli"],
        "authors": ["Ann", "Bob"],
        "draft": "false",
        "summary": "Folded text",
    }
    assert doc.mime_type == "text/markdown"
    assert not doc.text.startswith("---")
    assert doc.text.startswith("Intro before any heading.")


def test_sections_follow_the_heading_trail_and_skip_code_fences() -> None:
    doc = load("guide.md", GUIDE.encode())
    assert [s.heading_path for s in doc.sections] == [
        (),
        ("Installing",),
        ("Installing", "From packages"),
        ("Installing", "From packages", "Debian"),
        ("Installing", "Upgrading"),
        ("Appendix",),
    ]
    assert "# not a heading" in doc.sections[2].text
    assert "## also not a heading" in doc.sections[5].text
    assert doc.sections[4].text.startswith("Upgrading\n---------")
    for section in doc.sections:
        assert doc.text[section.start : section.end] == section.text
        assert section.text == section.text.strip()


def test_title_falls_back_to_first_h1_then_stem() -> None:
    assert load("a.md", b"Some text\n\n## Minor\n\n# Major *Title*\n").title == "Major Title"
    assert load("b.markdown", b"Setext Title\n============\n\nbody").title == "Setext Title"
    assert load("my-notes.md", b"just text, #not-a-heading").title == "my-notes"


def test_unclosed_front_matter_is_plain_text() -> None:
    doc = load("x.md", b"---\ntitle: nope\n\nbody")
    assert doc.metadata == {}
    assert doc.text.startswith("---")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# Title #", [(1, "Title")]),
        ("###### Six", [(6, "Six")]),
        ("####### Seven", []),
        ("#NoSpace", []),
        ("    # indented code", []),
        ("   # three spaces", [(1, "three spaces")]),
        ("- item\n---", []),
        ("\n---\n", []),
        ("Para line\nmore\n===", [(1, "Para line more")]),
        ("````\n```\n# inside\n````\n# after", [(1, "after")]),
        ("``` `bad` info\n# real", [(1, "real")]),
    ],
)
def test_heading_detection(source: str, expected: list[tuple[int, str]]) -> None:
    assert [(h.level, h.title) for h in find_headings(source)] == expected


def test_heading_text_is_plain() -> None:
    assert plain_heading("Use **`ragkit`** with [the API](https://x.y) <br/>") == (
        "Use ragkit with the API"
    )
    assert plain_heading("snake_case_name stays") == "snake_case_name stays"


def test_front_matter_parser_edge_cases() -> None:
    block, offset = split_front_matter("---\na: 1\n...\nbody")
    assert (block, offset) == ("a: 1\n", 13)
    assert parse_front_matter(
        "# comment\nempty:\nnull_value: ~\nquoted: 'it''s' # trailing\n"
        "inline: []\nnegative: -3e2\ndate: 2024-05-01\nblock: |\n  one\n  two\n"
    ) == {
        "quoted": "it's",
        "inline": [],
        "negative": -300.0,
        "date": "2024-05-01",
        "block": "one\ntwo",
    }
