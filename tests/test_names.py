import pytest

from ragkit import names
from ragkit._exceptions import ResourceNameError
from ragkit.limits import MAX_ID_LENGTH


@pytest.mark.parametrize("value", ["a", "abc-123", "a" * MAX_ID_LENGTH, "0-x"])
def test_valid_ids(value: str) -> None:
    assert names.validate_id(value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "non-empty"),
        ("-abc", "cannot begin or end"),
        ("abc-", "cannot begin or end"),
        ("ABC", "lowercase"),
        ("a_b", "lowercase"),
        ("a" * (MAX_ID_LENGTH + 1), "limit is 40"),
    ],
)
def test_invalid_ids_say_what_is_wrong(value: str, fragment: str) -> None:
    with pytest.raises(ResourceNameError, match=fragment):
        names.validate_id(value, kind="corpus")


def test_resource_name_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        names.corpus_name("Bad Name")


def test_corpus_name_accepts_bare_id_or_full_name() -> None:
    assert names.corpus_name("c1") == "corpora/c1"
    assert names.corpus_name("corpora/c1") == "corpora/c1"


def test_nested_names_must_be_full() -> None:
    assert names.document_name("corpora/c/documents/d") == "corpora/c/documents/d"
    assert names.chunk_name("corpora/c/documents/d/chunks/k") == "corpora/c/documents/d/chunks/k"
    with pytest.raises(ResourceNameError, match="not a full document name"):
        names.document_name("d")
    with pytest.raises(ResourceNameError, match="does not match"):
        names.chunk_name("corpora/c/chunks/k")


def test_permission_names_for_corpora_and_tuned_models() -> None:
    assert names.permission_name("corpora/c/permissions/p1") == "corpora/c/permissions/p1"
    assert names.permission_name("tunedModels/t/permissions/p") == "tunedModels/t/permissions/p"


def test_model_names() -> None:
    assert names.model_name("aqa") == "models/aqa"
    assert names.model_name("models/gemini-1.5-flash") == "models/gemini-1.5-flash"
    with pytest.raises(ResourceNameError):
        names.model_name("models/a/b")


def test_generated_ids_are_valid_and_slugged() -> None:
    generated = names.generate_id("My Awesome Corpus!")
    assert generated.startswith("my-awesome-corpus-")
    assert names.is_valid_id(generated)
    long = names.generate_id("x" * 100)
    assert len(long) <= MAX_ID_LENGTH and names.is_valid_id(long)
    bare = names.generate_id()
    assert len(bare) == 12 and names.is_valid_id(bare)
    assert names.generate_id("---") != names.generate_id("---")


def test_split_and_parent() -> None:
    assert names.split_name("corpora/a/documents/b", "corpora", "documents") == ["a", "b"]
    assert names.parent_of("corpora/a/documents/b") == "corpora/a"
