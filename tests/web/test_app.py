"""The web app in a real Chromium against a real ``ragkit serve``: the whole flow of two users.

Alice signs in, creates a corpus, drops files (one is refused, with its reason), browses
documents and chunks, asks questions with history, opens a cited passage, and shares the
corpus; Bob then sees it, is refused when he tries to delete it, and loses it when Alice
revokes his access. Every screen is saved as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..server.http.serving import ServerProcess
from ..server.media.support import build_pdf
from .conftest import UiProcess

pytestmark = pytest.mark.slow

# How the app cites the PDF below: both pages landed in one chunk (an en dash, as in print).
PDF_PAGES = "seeds.pdf, pp. 1\N{EN DASH}2"

GUIDE = """# Garden handbook

## Watering

Water tomatoes deeply twice a week in the early morning, so the leaves dry before night.

## Pruning

Pinch out the side shoots of cordon tomatoes when they are about three centimetres long.
"""

NOTES = """Compost bins

A compost heap needs a balance of green waste and brown waste. Turn it every two weeks
to keep it aerobic, and expect usable compost after about six months.
"""


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _page(browser: Any, server: ServerProcess | UiProcess) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    offsite: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(server.url) else offsite.append(request.url),
    )
    page.offsite = offsite
    # Script errors and CSP violations would otherwise pass unnoticed.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.errors = errors
    return page


# Form controls and buttons without an accessible name (label, aria-label(ledby) or text).
_UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea, button")]
    .filter((el) => !el.hidden && el.type !== "hidden" && el.offsetParent !== null)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
        && !el.getAttribute("aria-labelledby") && !el.textContent.trim())
    .map((el) => el.outerHTML)"""


_CHATS = "Object.keys(localStorage).filter((key) => key.startsWith('ragkit.chat.'))"


def _shot(page: Any, artifacts: Path, name: str) -> None:
    """Save the screen, after checking that everything on it can be named by a screen reader."""
    assert page.evaluate(_UNLABELLED) == [], name
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def _sign_in(page: Any, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _drop(page: Any, selector: str, name: str, text: str) -> None:
    """Drop one file on ``selector`` the way a desktop drag does (a DataTransfer on 'drop')."""
    page.evaluate(
        """([selector, name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/markdown" }));
            const zone = document.querySelector(selector);
            for (const type of ["dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true }));
            }
        }""",
        [selector, name, text],
    )


def test_the_whole_flow(
    browser: Any, server: ServerProcess, artifacts: Path, tmp_path: Path
) -> None:
    assert f"web app at {server.url}/" in server.log
    alice = _page(browser, server)
    _alice_signs_in_and_creates_a_corpus(alice, artifacts)
    _alice_adds_files_and_browses_them(alice, artifacts, tmp_path)
    _alice_asks_and_opens_a_citation(alice, artifacts)
    _alice_shares_the_corpus(alice, artifacts)
    bob = _page(browser, server)
    _bob_sees_the_corpus_and_is_refused_its_deletion(bob, server, artifacts)
    _alice_revokes_bob_who_loses_it(alice, bob)
    _alice_deletes_the_corpus(alice, server)
    assert alice.offsite == [] and bob.offsite == []  # the app only talks to its server
    # Refused requests log "Failed to load resource" (401 at sign-in, 403 on delete): expected.
    assert [e for e in alice.errors + bob.errors if "Failed to load resource" not in e] == []


def _alice_signs_in_and_creates_a_corpus(alice: Any, artifacts: Path) -> None:
    expect = _expect()
    alice.goto("/")
    expect(alice.get_by_role("heading", name="Sign in")).to_be_visible()
    _sign_in(alice, "wrong-key")
    expect(alice.locator("#signin-error")).to_contain_text("API key not valid")
    _shot(alice, artifacts, "01-sign-in-refused")
    _sign_in(alice, "alice-key")
    expect(alice.get_by_text("Signed in as alice@example.com")).to_be_visible()
    # The app opens the new corpus on its Documents tab.
    alice.get_by_label("New corpus").fill("Garden")
    alice.get_by_role("button", name="Create").click()
    expect(alice.get_by_role("heading", name="Garden", level=1)).to_be_visible()
    expect(alice.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")


def _alice_adds_files_and_browses_them(alice: Any, artifacts: Path, tmp_path: Path) -> None:
    """A file dropped anywhere on the page, one on the drop zone, two chosen (one
    unsupported): each gets its own row and outcome. Then a document's chunks."""
    expect = _expect()
    manual = tmp_path / "seeds.pdf"
    manual.write_bytes(
        build_pdf(["Seed packets", "Sow carrot seeds thinly in April, one centimetre deep."])
    )
    broken = tmp_path / "budget.docx"
    broken.write_bytes(b"PK\x03\x04 not a supported document")
    _drop(alice, "#corpus-title", "garden.md", GUIDE)
    summary = alice.locator("#upload-summary")
    expect(summary).to_have_text("1 file added.")
    _drop(alice, "#dropzone", "compost.txt", NOTES)
    expect(alice.locator("#uploads li", has_text="compost.txt")).to_contain_text("Added")
    with alice.expect_file_chooser() as chooser:
        alice.get_by_role("button", name="Choose files…").press("Enter")
    chooser.value.set_files([str(manual), str(broken)])
    expect(summary).to_have_text("1 file added, 1 failed.")
    uploads = alice.locator("#uploads li")
    expect(uploads.filter(has_text="budget.docx")).to_contain_text(
        "Failed: Cannot ingest budget.docx: unsupported file type .docx."
    )
    expect(uploads.filter(has_text="seeds.pdf")).to_contain_text("Added · 1 chunk")
    expect(uploads.filter(has_text="garden.md")).to_contain_text("Added")
    expect(alice.locator("#corpus-facts")).to_contain_text("3 documents")
    expect(alice.locator(".corpus-link[aria-current=page]")).to_contain_text("3 documents")

    alice.get_by_role("button", name="seeds", exact=True).click()
    expect(alice.get_by_role("heading", name="Chunks of seeds")).to_be_focused()
    expect(alice.locator(".chunk-where").first).to_have_text(PDF_PAGES)
    _shot(alice, artifacts, "02-documents")


def _alice_asks_and_opens_a_citation(alice: Any, artifacts: Path) -> None:
    """Ask with Enter; the answer cites numbered sources; a citation opens the passage (file
    and section, quoted text highlighted); a follow-up keeps the history across a reload."""
    expect = _expect()
    alice.get_by_role("tab", name="Ask").click()
    question = alice.get_by_label("Ask Garden")
    question.fill("How often should I water tomatoes?")
    question.press("Enter")
    answer = alice.locator(".msg.bot").last
    expect(answer.locator(".answer-text")).to_contain_text("twice a week")
    cite = answer.locator("button.cite").first
    expect(cite).to_have_text("[1]")
    expect(answer.locator(".sources")).to_contain_text("1garden.md, Garden handbook")
    _shot(alice, artifacts, "03-answer")

    cite.click()
    dialog = alice.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#passage-title")).to_have_text("[1] garden.md")
    expect(dialog.locator("#passage-where")).to_contain_text("Garden handbook")
    expect(dialog.locator("mark").first).to_contain_text("twice a week")
    _shot(alice, artifacts, "04-passage")
    alice.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cite).to_be_focused()

    question.fill("When do I sow carrots?")
    question.press("Enter")
    expect(alice.locator(".msg.bot").last.locator(".answer-text")).to_contain_text("April")
    expect(alice.locator(".msg.bot").last.locator(".sources")).to_contain_text(PDF_PAGES)
    alice.reload()
    expect(alice.locator(".msg.user")).to_have_count(2)
    _shot(alice, artifacts, "05-chat-history")


def _alice_shares_the_corpus(alice: Any, artifacts: Path) -> None:
    """With Bob (USER), his group (GROUP, as writers) and EVERYONE, which she revokes again."""
    expect = _expect()
    alice.get_by_role("tab", name="Sharing").click()
    alice.get_by_label("Email address").fill("bob@example.com")
    alice.get_by_role("button", name="Share").click()
    grants = alice.locator("#permissions tbody")
    expect(grants).to_contain_text("bob@example.com")
    alice.get_by_label("Who").select_option("GROUP")
    alice.get_by_label("Email address").fill("support@example.com")
    alice.get_by_label("Role").select_option("WRITER")
    alice.get_by_role("button", name="Share").click()
    expect(grants.locator("tr", has_text="support@example.com")).to_contain_text("writer")
    alice.get_by_label("Who").select_option("EVERYONE")
    expect(alice.get_by_label("Email address")).to_be_disabled()
    alice.get_by_role("button", name="Share").click()
    expect(grants.locator("tr", has_text="Everyone")).to_have_count(1)
    alice.get_by_role("button", name="Revoke access of Everyone").click()
    alice.get_by_role("button", name="Revoke", exact=True).click()
    expect(grants.locator("tr", has_text="Everyone")).to_have_count(0)
    expect(grants.locator("tr")).to_have_count(3)  # alice (owner), bob, the group
    _shot(alice, artifacts, "06-sharing")


def _bob_sees_the_corpus_and_is_refused_its_deletion(
    bob: Any, server: ServerProcess, artifacts: Path
) -> None:
    """Bob sees it (a writer through his group) and asks; deleting it is refused."""
    expect = _expect()
    bob.goto("/")
    _sign_in(bob, "bob-key")
    garden = bob.get_by_role("link", name=re.compile("Garden"))
    expect(garden).to_contain_text("writer")
    garden.click()
    bob.get_by_label("Ask Garden").fill("How deep do carrot seeds go?")
    bob.get_by_label("Ask Garden").press("Enter")
    expect(bob.locator(".msg.bot .answer-text")).to_contain_text("centimetre")
    bob.get_by_role("button", name="Delete corpus").click()
    bob.get_by_role("dialog").get_by_role("button", name="Delete corpus").click()
    alert = bob.get_by_role("alert").filter(has_text="Permission denied")
    expect(alert).to_contain_text("this needs the OWNER role and bob@example.com has WRITER")
    _shot(bob, artifacts, "07-refused-delete")
    corpus = _corpus_named(server, "alice-key", "Garden")
    assert corpus is not None, "the refused delete must leave the corpus in place"


def _alice_revokes_bob_who_loses_it(alice: Any, bob: Any) -> None:
    """After a reload the corpus is gone from Bob's list; signing out forgets his key and
    the chats kept in the browser (they quote documents)."""
    expect = _expect()
    grants = alice.locator("#permissions tbody")
    for who in ("bob@example.com", "support@example.com"):
        alice.get_by_role("button", name=f"Revoke access of {who}").click()
        alice.get_by_role("button", name="Revoke", exact=True).click()
        expect(grants.locator("tr", has_text=who)).to_have_count(0)
    bob.reload()
    expect(bob.get_by_role("heading", name="Corpus not found")).to_be_visible()
    expect(bob.locator("#corpus-list")).to_contain_text("No corpora yet")
    assert bob.evaluate(_CHATS) != []
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.get_by_label("API key")).to_be_focused()
    assert bob.evaluate(_CHATS) == []
    assert bob.evaluate("sessionStorage.length") == 0


def _alice_deletes_the_corpus(alice: Any, server: ServerProcess) -> None:
    expect = _expect()
    alice.get_by_role("button", name="Delete corpus").click()
    alice.get_by_role("dialog").get_by_role("button", name="Delete corpus").click()
    expect(alice.get_by_role("heading", name="Ask your documents")).to_be_visible()
    assert _corpus_named(server, "alice-key", "Garden") is None
    assert alice.evaluate(_CHATS) == []  # its chat history went with it


def test_ragkit_ui_is_single_user_and_keyboard_friendly(
    browser: Any, ui: UiProcess, artifacts: Path
) -> None:
    expect = _expect()
    assert "ui-data" in ui.banner and "embedder hash" in ui.banner
    page = _page(browser, ui)
    page.goto("/")
    # No auth file: no sign-in, no account menu.
    expect(page.get_by_role("heading", name="Ask your documents")).to_be_visible()
    expect(page.locator("#account")).to_be_hidden()
    # Keyboard only: the skip link comes first; Enter in the form creates the corpus.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("New corpus").focus()
    page.keyboard.type("Notes")
    page.keyboard.press("Enter")
    documents_tab = page.get_by_role("tab", name="Documents")
    expect(documents_tab).to_have_attribute("aria-selected", "true")
    # Tabs follow the ARIA pattern: arrows and Home move focus and selection together.
    documents_tab.focus()
    page.keyboard.press("ArrowRight")
    sharing_tab = page.get_by_role("tab", name="Sharing")
    expect(sharing_tab).to_be_focused()
    expect(sharing_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#permissions tbody")).to_contain_text("local@ragkit.local")
    page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="Ask")).to_be_focused()
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()
    _shot(page, artifacts, "08-ragkit-ui")
    assert page.offsite == [] and page.errors == []
    assert "stopping" in ui.stop()
    assert ui.proc.returncode == 0


def _corpus_named(server: ServerProcess, key: str, display_name: str) -> dict[str, Any] | None:
    response = httpx.get(f"{server.url}/v1beta/corpora", headers={"x-goog-api-key": key})
    response.raise_for_status()
    found = [c for c in response.json().get("corpora", []) if c["displayName"] == display_name]
    return found[0] if found else None
