from ragkit.limits import MAX_METADATA_VALUE_LENGTH
from ragkit.provenance import (
    Provenance,
    chunk_metadata,
    document_metadata,
    provenance_from_metadata,
    refine_section,
)
from ragkit.types import CustomMetadata


def _entries(data: dict) -> list[CustomMetadata]:  # type: ignore[type-arg]
    out = []
    for key, value in data.items():
        if isinstance(value, str):
            out.append(CustomMetadata(key=key, string_value=value))
        else:
            out.append(CustomMetadata(key=key, numeric_value=value))
    return out


def test_chunk_provenance_round_trips_through_custom_metadata() -> None:
    chunk = chunk_metadata(
        source="manuals/pump.pdf",
        title="Pump manual",
        position=3,
        heading_path=("Setup", "Install"),
        page_start=4,
        page_end=5,
    )
    decoded = provenance_from_metadata(_entries(chunk))
    assert decoded == Provenance("manuals/pump.pdf", "Pump manual", "Setup > Install", 4, 5, 3)
    assert decoded.cite() == "manuals/pump.pdf, p. 4-5, Setup > Install"


def test_document_metadata_fills_gaps_and_wire_dicts_decode() -> None:
    doc = _entries(document_metadata(source="a.md", title="A", content_hash="abc"))
    wire = [{"key": "position", "numericValue": 0}]
    decoded = provenance_from_metadata(wire, doc)
    assert decoded.source == "a.md" and decoded.position == 0 and decoded.pages is None
    assert decoded.cite() == "a.md"


def test_single_page_and_unknown_source() -> None:
    assert Provenance(page_start=2, page_end=2).pages == "2"
    assert Provenance().cite() == "unknown source"


CHUNK = (
    "# Guide\n\nIntro text.\n\n## Install\n\nRun pip install.\n\n"
    "### Offline\n\nUse a wheelhouse.\n\n## Usage\n\nCall main."
)


def test_refine_section_follows_the_headings_above_the_quote() -> None:
    merged = Provenance(source="guide.md", section="Guide")
    assert refine_section(merged, CHUNK, "Intro text.").section == "Guide"
    assert refine_section(merged, CHUNK, "Run pip install.").section == "Guide > Install"
    assert refine_section(merged, CHUNK, "Use a wheelhouse.").section == "Guide > Install > Offline"
    assert refine_section(merged, CHUNK, "Call main.").cite() == "guide.md, Guide > Usage"


def test_refine_section_leaves_unfound_quotes_and_plain_text_alone() -> None:
    prov = Provenance(source="a.txt", section="Top")
    assert refine_section(prov, CHUNK, "not in the chunk") is prov
    assert refine_section(prov, "plain text without headings", "plain text") is prov
    assert refine_section(Provenance(), "## Only\n\nbody", "body").section == "Only"


def test_overlong_titles_and_sections_are_cut_to_the_metadata_limit() -> None:
    heading = "h" * 600
    data = chunk_metadata(source="a.md", title="t" * 2000, position=0, heading_path=[heading] * 3)
    assert len(str(data["title"])) == MAX_METADATA_VALUE_LENGTH
    assert str(data["section"]).startswith(heading + " > ")
    assert str(data["section"]).endswith("\u2026")
    assert len(str(data["section"])) == MAX_METADATA_VALUE_LENGTH
    document = document_metadata(source="a.md", title="t" * 2000, content_hash="x")
    assert len(str(document["title"])) == MAX_METADATA_VALUE_LENGTH
