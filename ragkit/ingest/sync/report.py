"""What an ingestion run did (or, with ``dry_run``, would do): :class:`IngestReport`.

The report is plain data. ``report.to_json()`` is the one-line JSON object ``ragkit ingest
--json`` prints last; ``report.summary()`` is the readable version.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ragkit._exceptions import RagkitError

__all__ = ["FileIssue", "IngestError", "IngestReport", "PlannedFile", "ProgressUpdate"]


@dataclass(frozen=True, slots=True)
class FileIssue:
    """Something about one file (or, for corpus-wide notes, the corpus name).

    Attributes:
        path: The file as given on disk, or the corpus name for corpus-wide notes.
        reason: What happened, e.g. ``"encrypted PDF (password required)"``.
    """

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """One line of a dry-run plan: what would happen to one file's document.

    Attributes:
        path: The file on disk.
        document: The document's full name (``corpora/c/documents/d``).
        action: ``"add"``, ``"update"``, ``"move"``, ``"unchanged"`` or ``"fail"``.
        chunks: Chunks the file would have in the corpus.
        chunks_to_create: Chunks that would be uploaded (missing or changed ones).
        chunks_to_delete: Existing chunks that would be removed.
        batches: ``batchCreate`` requests the upload would take.
        problems: Limits the file breaks; a file with problems is not sent.
    """

    path: str
    document: str
    action: str
    chunks: int = 0
    chunks_to_create: int = 0
    chunks_to_delete: int = 0
    batches: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """Passed to the ``progress`` callback of :func:`~ragkit.ingest.ingest` after each step.

    ``chunks_total`` grows while files are being chunked; it is exact once every file has been
    read (``files_read == files_to_read``). :attr:`chunks_expected` estimates it before then.
    """

    files_done: int
    files_total: int
    chunks_done: int
    chunks_total: int
    #: Files read and chunked so far, of the ``files_to_read`` that are new or changed.
    files_read: int = 0
    files_to_read: int = 0

    @property
    def chunks_expected(self) -> int:
        """``chunks_total``, extrapolated to the files not read yet (as many chunks per file
        as so far): what a progress bar should count to."""
        if 0 < self.files_read < self.files_to_read:
            estimate = round(self.chunks_total * self.files_to_read / self.files_read)
            return max(self.chunks_total, estimate)
        return self.chunks_total


@dataclass
class IngestReport:
    """The outcome of an ingestion run.

    Counts are of documents and chunks in the corpus: a moved file counts once in
    ``documents_moved`` (not as an addition plus a deletion); a document whose previous
    ingestion was interrupted counts as updated. With ``dry_run`` the counts say what would be
    done and ``plan`` lists every file.

    Attributes:
        corpus: The corpus name (``corpora/ID``).
        dry_run: True when nothing was sent.
        corpus_created: The corpus did not exist and was (or would be) created.
        documents_added, documents_updated, documents_unchanged, documents_deleted,
        documents_moved: Documents per outcome.
        chunks_created, chunks_deleted: Chunks uploaded and removed.
        failed: Files that could not be ingested, with the reason; the run went on without them.
        skipped: Files of unsupported types.
        warnings: Non-fatal notes, e.g. metadata dropped to fit the 20-entry budget.
        batches: ``batchCreate`` requests sent (or planned).
        elapsed: Wall-clock seconds of the run.
        plan: The per-file plan (dry runs only).
    """

    corpus: str
    dry_run: bool = False
    corpus_created: bool = False
    documents_added: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    documents_deleted: int = 0
    documents_moved: int = 0
    chunks_created: int = 0
    chunks_deleted: int = 0
    failed: list[FileIssue] = field(default_factory=list)
    skipped: list[FileIssue] = field(default_factory=list)
    warnings: list[FileIssue] = field(default_factory=list)
    batches: int = 0
    elapsed: float = 0.0
    plan: list[PlannedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``plan`` only for dry runs)."""
        data = asdict(self)
        data["elapsed"] = round(self.elapsed, 3)
        if not self.dry_run:
            del data["plan"]
        else:
            for entry in data["plan"]:
                entry["problems"] = list(entry["problems"])
        return data

    def to_json(self) -> str:
        """One line of JSON: every count, ``failed``/``skipped``/``warnings`` as
        ``[{"path", "reason"}]``, ``batches``, ``elapsed`` and, for dry runs, ``plan``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def summary(self) -> str:
        """A few readable lines for a terminal."""
        counts = (
            f"{self.documents_added} added, {self.documents_updated} updated, "
            f"{self.documents_moved} moved, {self.documents_deleted} deleted, "
            f"{self.documents_unchanged} unchanged"
        )
        chunks = (
            f"{self.chunks_created} created, {self.chunks_deleted} deleted "
            f"in {self.batches} batches"
        )
        if self.dry_run:
            lines = [
                f"{self.corpus} (dry run, nothing sent), documents would be: {counts}",
                f"chunks would be: {chunks}",
            ]
        else:
            lines = [f"{self.corpus}: {counts}", f"chunks: {chunks} ({self.elapsed:.1f} s)"]
        if self.corpus_created:
            verb = "would be" if self.dry_run else "was"
            lines.insert(0, f"corpus {self.corpus} {verb} created")
        for title, issues in (
            ("failed", self.failed),
            ("skipped", self.skipped),
            ("warnings", self.warnings),
        ):
            if issues:
                lines.append(f"{title} ({len(issues)}):")
                lines.extend(f"  {issue.path}: {issue.reason}" for issue in issues)
        return "\n".join(lines)


class IngestError(RagkitError):
    """The run stopped: the server could not be reached, refused the credentials, ran out of
    quota, or failed repeatedly. Everything acknowledged before the error stays in the corpus
    and a re-run picks up where this one stopped.

    Attributes:
        report: What the run had done when it stopped.
    """

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report
