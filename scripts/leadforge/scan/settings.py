"""The `scan:` section of `.github/leadforge.yml` (Security scanners)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadforge.strict import StrictModel

Severity = Literal["error", "warning", "note"]


class SemgrepSettings(StrictModel):
    """semgrep: our own offline ruleset plus any rule files or registry packs you add."""

    enabled: bool = Field(True, description="Run semgrep.")
    builtin_rules: bool = Field(True, description="Use LeadForge's own ruleset (Python, shell in YAML, GitHub Actions).")
    rules: list[str] = Field(
        default_factory=list,
        description="Extra --config values: "
        "rule files/folders relative to the repo, or registry packs (p/python) where the network allows.",
    )
    timeout: int = Field(300, ge=5, description="Seconds before semgrep is stopped (its findings are then missing, with a note).")
    jobs: int = Field(2, ge=1, description="semgrep --jobs.")


class CheckovSettings(StrictModel):
    """checkov: Terraform, Kubernetes/kustomize, Dockerfile and GitHub Actions misconfigurations."""

    enabled: bool = Field(True, description="Run checkov.")
    frameworks: list[str] = Field(
        default_factory=lambda: ["terraform", "kubernetes", "dockerfile", "github_actions"],
        description="checkov --framework values.",
    )
    paths: list[str] = Field(
        default_factory=lambda: [
            "**/*.tf",
            "**/*.tf.json",
            "**/Dockerfile",
            "**/Dockerfile.*",
            "**/*.Dockerfile",
            "**/*.yaml",
            "**/*.yml",
        ],
        description="Which changed files go to checkov in a review or --changed-only scan (path globs).",
    )
    skip_checks: list[str] = Field(default_factory=list, description="checkov check ids to skip (CKV_AWS_20, ...).")
    default_severity: Severity = Field(
        "warning", description="Severity of a failed check when checkov reports none (it does not offline)."
    )
    timeout: int = Field(300, ge=5, description="Seconds before checkov is stopped.")


class SecretsSettings(StrictModel):
    """detect-secrets: hard-coded keys and passwords. Values are never printed, only their type and place."""

    enabled: bool = Field(True, description="Run detect-secrets.")
    severity: Severity = Field("error", description="Severity of a found secret.")
    entropy_severity: Severity = Field(
        "warning",
        description="Severity of a hit of the entropy-only plugins (Hex and Base64 High Entropy String): they flag any "
        "random-looking string, commit SHAs and checksums included, so they warn unless you make them block.",
    )
    timeout: int = Field(300, ge=5, description="Seconds before detect-secrets is stopped.")


class ScanSettings(StrictModel):
    """Security scanners settings."""

    exclude: list[str] = Field(
        default_factory=lambda: [".git/**", ".leadforge/**", "**/node_modules/**", ".venv*/**", "**/__pycache__/**"],
        description="Path globs no scanner looks at.",
    )
    semgrep: SemgrepSettings = Field(default_factory=SemgrepSettings, description="semgrep.")
    checkov: CheckovSettings = Field(default_factory=CheckovSettings, description="checkov.")
    secrets: SecretsSettings = Field(default_factory=SecretsSettings, description="detect-secrets.")
    sarif_category: str = Field("leadforge", description="SARIF run category for code scanning uploads.")
