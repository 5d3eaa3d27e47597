"""semgrep adapter: pure ``argv`` and ``parse``; ``run`` executes it offline under a timeout."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path, PurePath

from leadforge.findings import Finding
from leadforge.scan import sarif

BUILTIN_RULES = Path(__file__).resolve().parent / "rules"

# Offline: without --disable-version-check semgrep waits minutes on its version check.
OFFLINE_FLAGS = ("--metrics=off", "--disable-version-check")


def argv(executable: str, configs: Sequence[str], targets: Sequence[str] = (), *, jobs: int = 2, timeout: int = 60) -> list[str]:
    """``semgrep scan --sarif`` over ``targets`` (the current folder when empty)."""
    args = [executable, "scan", "--sarif", *OFFLINE_FLAGS, "--quiet", f"--jobs={jobs}", f"--timeout={max(timeout // 4, 5)}"]
    for config in configs:
        args += ["--config", config]
    args.append("--")
    args += list(targets) or ["."]
    return args


def rule_prefixes(configs: Sequence[str], cwd: str | Path) -> list[str]:
    """The dotted folder semgrep puts in front of a local rule's id (``rules/x.yml`` -> ``rules.``)."""
    out = []
    for config in configs:
        if config.startswith(("p/", "r/", "s/", "auto")) or "://" in config:
            continue
        path = Path(config)
        absolute = path if path.is_absolute() else Path(cwd) / path
        folder = absolute if absolute.is_dir() else absolute.parent
        candidates = [folder]
        with contextlib.suppress(ValueError):
            candidates.append(folder.relative_to(Path(cwd).resolve()))
        for candidate in candidates:
            parts = [p for p in PurePath(candidate).parts if p not in ("/", ".", "")]
            if parts:
                out.append(".".join(parts) + ".")
    return out


@lru_cache(maxsize=1)
def builtin_hints() -> dict[str, str]:
    """``metadata.help`` of our own rules: SARIF has no room for it, so the fix hint comes from here."""
    import yaml

    hints = {}
    for path in sorted(BUILTIN_RULES.glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            help_text = (rule.get("metadata") or {}).get("help")
            if help_text:
                hints[rule["id"]] = str(help_text)
    return hints


def parse(
    text: str, *, configs: Sequence[str] = (), cwd: str | Path = ".", read_line: Callable[[str, int], str] | None = None
) -> list[Finding]:
    findings = sarif.parse(
        text,
        source="semgrep SARIF output",
        tool="semgrep",
        roots=[str(Path(cwd).resolve())],
        rule_prefixes=rule_prefixes(configs, cwd),
        read_line=read_line,
    )
    hints = builtin_hints()
    return [replace(f, help=hints[f.rule]) if not f.help and f.rule in hints else f for f in findings]


def describe(text: str, *, configs: Sequence[str] = (), cwd: str | Path = ".") -> tuple[list[sarif.RuleInfo], str]:
    """semgrep's rules (titled by their message templates) and its version, from its SARIF output."""
    return sarif.describe(text, tool="semgrep", rule_prefixes=rule_prefixes(configs, cwd))
