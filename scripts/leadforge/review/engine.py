"""Computing a review: the change's files, every source run on them, placed against the diff.

The effects (git, scanners, files) are here; every decision is in the pure modules it calls
(criteria, architecture, coverage, filter, report). The scanners need the head's files on
disk: when ``head`` is not what is checked out, a temporary ``git worktree`` holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from leadforge.errors import LeadforgeError
from leadforge.findings import Finding
from leadforge.forge.models import ChangedFile
from leadforge.gitrepo import head_checkout
from leadforge.review import architecture, criteria
from leadforge.review import coverage as cov
from leadforge.review.diff import file_diffs
from leadforge.review.filter import place
from leadforge.review.report import ReviewReport, SourceStatus, build_report
from leadforge.review.settings import ReviewSettings
from leadforge.scan import sarif
from leadforge.scan.runner import Scanner
from leadforge.scan.settings import ScanSettings


@dataclass(frozen=True, slots=True)
class Change:
    """What is reviewed: a pull request, or any git range (``pull`` None)."""

    base_sha: str
    head_sha: str
    files: tuple[ChangedFile, ...]
    pull: int | None = None
    title: str = ""
    body: str = ""
    repository: str = ""
    head_repo: str = ""


@dataclass
class Reviewer:
    repo: Path
    settings: ReviewSettings = field(default_factory=ReviewSettings)
    scan_settings: ScanSettings = field(default_factory=ScanSettings)
    scanner_factory: type[Scanner] = Scanner

    def review(
        self, change: Change, *, coverage_path: str | None = None, sarif_files: Sequence[str] = (), mode: str | None = None
    ) -> ReviewReport:
        mode = mode or self.settings.filter_mode
        notes: list[str] = []
        sources: list[SourceStatus] = []
        findings: list[Finding] = []
        diffs = file_diffs(change.files)
        live = [f.path for f in change.files if f.status != "removed"]

        # written criteria (pure)
        pull = criteria.PullInfo(change.title, change.body, change.files, is_pull=change.pull is not None)
        findings += criteria.check(pull, self.settings.criteria)
        sources.append(SourceStatus("criteria", "ok", len(change.files)))

        with self._checkout(change.head_sha) as root:
            # architecture (ast over the changed python files)
            if self.settings.architecture.rules:
                texts = {}
                for path in live:
                    if path.endswith(".py") and (root / path).is_file() and not (root / path).is_symlink():
                        texts[path] = (root / path).read_text(encoding="utf-8", errors="replace")
                arch, arch_notes = architecture.check(texts, self.settings.architecture)
                findings += arch
                notes += arch_notes
                sources.append(SourceStatus("architecture", "ok", len(texts)))
            else:
                sources.append(SourceStatus("architecture", "skipped", 0, "no rules configured"))

            # scanners on the changed files only
            if self.settings.scanners:
                report = self.scanner_factory(root, self.scan_settings).scan(live, sources=tuple(self.settings.scanners))
                findings += report.findings
                for run in report.sources:
                    sources.append(SourceStatus(run.name, run.status, run.files, run.note))
                    if run.status == "failed":
                        notes.append(f"{run.name}: {run.note}")

        # changed-lines coverage
        coverage_result = self._coverage(coverage_path, diffs, notes)
        if coverage_result is not None and coverage_result.available:
            findings += cov.coverage_findings(coverage_result, self.settings.coverage.severity)
            sources.append(
                SourceStatus(
                    "coverage", "ok" if coverage_result.percent is not None else "skipped", len(diffs), coverage_result.note[:200]
                )
            )
        else:
            sources.append(SourceStatus("coverage", "skipped", 0, "no coverage report"))

        # findings from other tools' SARIF (e.g. a CodeQL or linter step earlier in the job)
        for path in sarif_files:
            try:
                text = (self.repo / path).read_text(encoding="utf-8")  # relative to the repo, like --coverage
                extra = sarif.parse(text, source=path, roots=[str(self.repo.resolve())])
                findings += extra
                sources.append(SourceStatus(Path(path).name, "ok", 0))
            except (OSError, UnicodeDecodeError, LeadforgeError) as err:
                if isinstance(err, LeadforgeError):
                    message = str(err)
                elif isinstance(err, UnicodeDecodeError):
                    message = f"{path}: not UTF-8 text (byte {err.start}); a SARIF log is JSON"
                else:
                    message = f"{path}: {err.strerror or err}"
                notes.append(f"SARIF input: {message}")
                sources.append(SourceStatus(Path(path).name, "failed", 0, message))

        placed = place(findings, diffs, mode)
        return build_report(
            placed=placed,
            sources=sources,
            coverage=coverage_result,
            notes=notes,
            repository=change.repository,
            pull=change.pull,
            base_sha=change.base_sha,
            head_sha=change.head_sha,
            mode=mode,
            blocking=tuple(self.settings.blocking),
            approve=self.settings.approve,
            changed_files=len(change.files),
            head_repo=change.head_repo,
        )

    def _coverage(self, path: str | None, diffs: dict, notes: list[str]) -> cov.CoverageResult | None:
        report_path = self.repo / (path or self.settings.coverage.report)
        threshold = self.settings.coverage.threshold
        if not report_path.is_file():
            if path:  # asked for explicitly: say so
                notes.append(f"coverage: {path}: file not found; changed-lines coverage was not measured")
            return None
        try:
            data = cov.parse_cobertura(report_path.read_text(encoding="utf-8", errors="replace"), str(report_path.name))
        except LeadforgeError as err:
            notes.append(f"coverage: {err}")
            return cov.CoverageResult(threshold=threshold, note=str(err), available=False)
        added = {p: d.added for p, d in diffs.items() if not d.removed}
        result = cov.changed_lines_coverage(data, added, repo_root=str(self.repo.resolve()), threshold=threshold)
        if result.note:
            notes.append(f"coverage: {result.note}")
        return result

    def _checkout(self, head: str) -> AbstractContextManager[Path]:
        return head_checkout(self.repo, head)
