"""The `review:` section of `.github/leadforge.yml` (Pull request review)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadforge.strict import StrictModel

Severity = Literal["error", "warning", "note"]
Scanner = Literal["semgrep", "checkov", "secrets"]


class CriteriaSettings(StrictModel):
    """The checkable part of the team's review criteria (the rest is prose in docs/REVIEW_CRITERIA.md)."""

    max_changed_lines: int = Field(800, ge=0, description="Largest PR (added + deleted lines); 0 turns the check off.")
    max_changed_files: int = Field(40, ge=0, description="Most files one PR may change; 0 turns the check off.")
    source_paths: list[str] = Field(
        default_factory=lambda: ["scripts/**/*.py", "src/**/*.py"],
        description="Path globs of source code: a PR that changes these must also change a test.",
    )
    test_paths: list[str] = Field(
        default_factory=lambda: ["tests/**", "**/test_*.py", "**/*_test.py"],
        description="Path globs of tests.",
    )
    forbidden_paths: list[str] = Field(
        default_factory=list, description="Path globs a PR may not touch (generated files, vendored code, secrets)."
    )
    required_sections: list[str] = Field(
        default_factory=list, description='Headings the PR body must contain, e.g. ["## Summary", "## Testing"].'
    )
    conventional_title: bool = Field(True, description="The PR title must be a conventional commit: type(scope)!: subject.")
    title_types: list[str] = Field(
        default_factory=lambda: ["feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert"],
        description="Allowed conventional-commit types.",
    )
    severity: Severity = Field("error", description="Severity of a broken criterion.")


class ArchitectureRule(StrictModel):
    """A layer rule: modules matching ``modules`` may not import modules matching ``may_not_import``."""

    name: str = Field(..., description="Short name shown in the review.")
    modules: list[str] = Field(..., description="Module globs the rule applies to (leadforge.review.*).")
    may_not_import: list[str] = Field(..., description="Module globs those modules may not import.")
    except_modules: list[str] = Field(
        default_factory=list, description="Module globs the rule leaves out (the one adapter that may make the import)."
    )
    severity: Severity = Field("error", description="Severity of a violation.")
    reason: str = Field("", description="Why: shown with the finding.")


class ArchitectureSettings(StrictModel):
    """Layering rules checked on the changed Python files by reading their imports (ast)."""

    source_roots: list[str] = Field(
        default_factory=lambda: ["scripts", "src", "."], description="Folders module names are relative to."
    )
    rules: list[ArchitectureRule] = Field(default_factory=list, description="The rules; none by default.")


class CoverageSettings(StrictModel):
    """Coverage of the lines the PR adds, from a Cobertura coverage.xml (pytest-cov --cov-report=xml)."""

    report: str = Field("coverage.xml", description="Cobertura XML path, relative to the repo.")
    threshold: float = Field(80.0, ge=0, le=100, description="Least percent of added executable lines covered.")
    severity: Severity = Field("error", description="Severity when the changed lines are under the threshold.")


class AiReviewSettings(StrictModel):
    """Optional AI review: hand the PR to an agent profile with the criteria as instructions."""

    profile: str = Field("", description="Agent profile name (profiles/<name>.yml); empty: no AI review.")
    instructions: str = Field("docs/REVIEW_CRITERIA.md", description="The criteria file the agent follows.")


class ReviewSettings(StrictModel):
    """Pull request review settings."""

    filter_mode: Literal["added", "diff_context", "file", "nofilter"] = Field(
        "added",
        description="Which findings count as the PR's own: "
        "on added lines, also in hunk context, anywhere in a changed file, or all.",
    )
    max_comments: int = Field(30, ge=0, description="Most inline comments at once; the rest go to the summary.")
    blocking: list[Severity] = Field(
        default_factory=lambda: list[Severity](["error"]), description="Severities that request changes when on the diff."
    )
    approve: bool = Field(False, description="Approve when nothing blocks (off: the review only comments).")
    status: Literal["status", "check", "none"] = Field(
        "status", description="Also report the counts as a commit status, a check run, or not at all."
    )
    status_context: str = Field("leadforge/review", description="Commit status context / check run name.")
    template: str = Field("", description="Your own summary template (Jinja2, relative to the repo); empty: the built-in one.")
    scanners: list[Scanner] = Field(
        default_factory=lambda: list[Scanner](["semgrep", "checkov", "secrets"]), description="Scanners run on the changed files."
    )
    criteria: CriteriaSettings = Field(default_factory=CriteriaSettings, description="Checkable review criteria.")
    architecture: ArchitectureSettings = Field(default_factory=ArchitectureSettings, description="Architecture rules.")
    coverage: CoverageSettings = Field(default_factory=CoverageSettings, description="Changed-lines coverage.")
    ai: AiReviewSettings = Field(default_factory=AiReviewSettings, description="Optional AI review.")
