from __future__ import annotations

from ragkit.ingest import EmptyFileError, load

PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Widgets &amp; Gadgets</title>
  <meta name="description" content="All about widgets">
  <meta name="keywords" content="widgets, gadgets ,">
  <style>body { color: red }</style>
  <script>document.write("<p>injected</p>")</script>
</head>
<body>
  <nav><a href="/">Home</a> | <a href="/about">About</a></nav>
  <header><p>Site banner</p></header>
  <main>
    <h1>Widgets</h1>
    <p>Widgets   are
       <b>small</b>&nbsp;parts &lt;tm&gt;.</p>
    <ul><li>one</li><li>two</li></ul>
    <h2>Sizes</h2>
    <p>Line one<br>Line two</p>
    <pre>keep   this
  layout</pre>
    <h3>Small</h3>
    <div>Tiny ones.</div>
    <form><input name="q"><button>Search</button></form>
    <h2>Colours</h2>
    <table><tr><td>red</td><td>blue</td></tr><tr><td>green</td></tr></table>
    <noscript>Enable JS</noscript>
    <aside>Related links</aside>
    <svg><text>drawn</text></svg>
  </main>
  <footer>Copyright</footer>
</body>
</html>
"""


def test_visible_text_only_with_blocks_as_paragraphs() -> None:
    doc = load("page.html", PAGE)
    assert doc.text == (
        "Widgets\n\n"
        "Widgets are small parts <tm>.\n\n"
        "- one\n- two\n\n"
        "Sizes\n\n"
        "Line one\nLine two\n\n"
        "keep   this\n  layout\n\n"
        "Small\n\n"
        "Tiny ones.\n\n"
        "Colours\n\n"
        "red blue\ngreen"
    )
    for dropped in ("injected", "Home", "banner", "Search", "Enable JS", "Related", "drawn"):
        assert dropped not in doc.text
    assert "Copyright" not in doc.text


def test_title_metadata_and_sections() -> None:
    doc = load("page.htm", PAGE)
    assert doc.title == "Widgets & Gadgets"
    assert doc.mime_type == "text/html"
    assert doc.metadata == {
        "language": "en",
        "description": "All about widgets",
        "keywords": ["widgets", "gadgets"],
    }
    assert [s.heading_path for s in doc.sections] == [
        ("Widgets",),
        ("Widgets", "Sizes"),
        ("Widgets", "Sizes", "Small"),
        ("Widgets", "Colours"),
    ]
    for section in doc.sections:
        assert doc.text[section.start : section.end] == section.text


def test_title_falls_back_to_h1_then_stem() -> None:
    assert load("x.html", b"<h2>Sub</h2><h1>Main <i>one</i></h1><p>t</p>").title == "Main one"
    assert load("faq.html", b"<p>no headings here</p>").title == "faq"


def test_declared_charset_is_used_for_legacy_bytes() -> None:
    data = '<meta charset="iso-8859-15"><p>price: 5 €</p>'.encode("iso-8859-15")
    doc = load("euro.html", data)
    assert doc.text == "price: 5 €"
    assert doc.encoding == "iso8859-15"


def test_page_of_only_furniture_is_empty() -> None:
    try:
        load("nav.html", b"<nav>menu</nav><script>x()</script>")
    except EmptyFileError as exc:
        assert exc.reason == "no text content"
    else:
        raise AssertionError("expected EmptyFileError")


def test_list_items_wrapping_paragraphs_keep_their_marker() -> None:
    html = b"<ul><li><p>Item one</p></li><li>two</li></ul><ol><li>a<ul><li>b</li></ul></li></ol>"
    assert load("list.html", html).text == "- Item one\n- two\n- a\n- b"


GLOSSARY = b"""<html><head><title>Terms</title></head><body>
<h1>Glossary</h1><p>Words we use.</p>
<dl>
  <dt>ACID</dt><dd><p>Atomicity, Consistency, Isolation, and Durability.</p></dd>
  <dt>Key</dt><dd><p>A means of identifying a row.</p>
    <dl><dt>Primary key</dt><dd>The key chosen to identify rows.</dd></dl>
    <p>Keys may span columns.</p></dd>
</dl>
<p>See also the index.</p>
<h2>Next</h2><p>More.</p>
</body></html>
"""


def test_definition_terms_start_entry_sections_below_their_heading() -> None:
    doc = load("glossary.html", GLOSSARY)
    assert doc.title == "Terms"
    got = [(s.heading_path, s.entry, s.text) for s in doc.sections]
    assert got == [
        (("Glossary",), False, "Glossary\n\nWords we use."),
        (("Glossary", "ACID"), True, "ACID\n\nAtomicity, Consistency, Isolation, and Durability."),
        (("Glossary", "Key"), True, "Key\n\nA means of identifying a row."),
        (
            ("Glossary", "Key", "Primary key"),
            True,
            "Primary key\n\nThe key chosen to identify rows.",
        ),
        # Closing a list hands the text back to the term or heading that encloses it.
        (("Glossary", "Key"), False, "Keys may span columns."),
        (("Glossary",), False, "See also the index."),
        (("Glossary", "Next"), False, "Next\n\nMore."),
    ]
    for section in doc.sections:
        assert doc.text[section.start : section.end] == section.text


def test_a_term_is_never_the_title() -> None:
    doc = load("t.html", b"<body><dl><dt>Alpha</dt><dd>first letter</dd></dl></body>")
    assert doc.title == "t"
    assert [(s.heading_path, s.entry) for s in doc.sections] == [(("Alpha",), True)]


def test_terms_without_a_definition_are_plain_lines() -> None:
    page = (
        b"<h1>Index</h1><dl><dt>COMMIT, <a href='x'>Commit</a></dt><dt>ABORT, <a>Abort</a></dt>"
        b"</dl><h1>Options</h1><dl><dt>-v</dt><dt>--verbose</dt><dd><p>Talk more.</p></dd></dl>"
    )
    doc = load("index.html", page)
    assert [(s.heading_path, s.entry, s.text) for s in doc.sections] == [
        (("Index",), False, "Index\n\nCOMMIT, Commit\n\nABORT, Abort"),
        (("Options",), False, "Options"),
        # Of two terms sharing one definition, the first heads the entry.
        (("Options", "-v"), True, "-v\n\n--verbose\n\nTalk more."),
    ]


def test_texinfo_and_sphinx_navigation_and_permalinks_are_dropped() -> None:
    page = (
        b'<div class="header"><p>Next: <a href="b.html">B</a>, Up: <a href="i.html">Top</a>'
        b"</p></div>"
        b'<div class="nav-panel"><p>Previous: <a href="a.html">A</a></p></div>'
        b'<h2>Function Application<a class="headerlink" href="#fa">\xc2\xb6</a></h2>'
        b'<dl class="def"><dt id="index-arrayfun"><strong>arrayfun</strong> (func, A)'
        b"<a href='#index-arrayfun' class='copiable-anchor'> &para;</a></dt>"
        b"<dd><p>Execute a function on each element of an array.</p></dd></dl>"
    )
    doc = load("fa.html", page)
    assert "Next:" not in doc.text and "Previous:" not in doc.text and "\u00b6" not in doc.text
    assert [s.heading_path for s in doc.sections] == [
        ("Function Application",),
        ("Function Application", "arrayfun (func, A)"),
    ]
