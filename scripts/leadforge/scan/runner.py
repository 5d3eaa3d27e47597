"""Run the scanners on a set of files (or the whole tree) and collect one list of findings.

Each source runs as a subprocess (semgrep and checkov in their own venvs, detect-secrets as
``python -m``); they run side by side in threads. A missing tool, a timeout, a crash or output
we cannot parse becomes a note for the summary and the log: the other sources still report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from leadforge import extras, proc, tools
from leadforge.errors import GitError, LeadforgeError
from leadforge.findings import Finding, sort_findings
from leadforge.gitrepo import GitRepo
from leadforge.scan import checkov, secrets, semgrep
from leadforge.scan.paths import matches_any
from leadforge.scan.sarif import RuleInfo
from leadforge.scan.settings import ScanSettings

SOURCES = ("semgrep", "checkov", "secrets")


@dataclass(frozen=True, slots=True)
class SourceRun:
    """What one scanner did: how many files it looked at, how long, and why it failed (if it did)."""

    name: str
    status: str  # ok | skipped | failed
    files: int = 0
    findings: int = 0
    seconds: float = 0.0
    note: str = ""


@dataclass(frozen=True, slots=True)
class SourceOutput:
    """What one scanner returned: its findings, how many files it read, its rules' titles, its version."""

    findings: list[Finding]
    files: int
    rules: list[RuleInfo] = field(default_factory=list)
    version: str = ""


@dataclass(frozen=True, slots=True)
class ScanReport:
    findings: tuple[Finding, ...] = ()
    sources: tuple[SourceRun, ...] = ()
    scope: str = "full"  # full | changed
    rules: tuple[RuleInfo, ...] = ()  # each rule's own title, for SARIF
    versions: tuple[tuple[str, str], ...] = ()  # (scanner, its version), for SARIF

    @property
    def notes(self) -> list[str]:
        return [f"{s.name}: {s.note}" for s in self.sources if s.note]

    def to_dict(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "findings": [f.to_dict() for f in self.findings],
            "sources": [
                {
                    "name": s.name,
                    "status": s.status,
                    "files": s.files,
                    "findings": s.findings,
                    "seconds": round(s.seconds, 3),
                    "note": s.note,
                }
                for s in self.sources
            ],
        }


@dataclass
class Scanner:
    """The effects of a scan: runs each tool in ``repo``. ``files=None`` means the whole tree."""

    repo: Path
    settings: ScanSettings = field(default_factory=ScanSettings)
    which: Callable[[str], str | None] = tools.tool_path
    parallel: bool = True

    def scan(self, files: Sequence[str] | None = None, *, sources: Sequence[str] = SOURCES) -> ScanReport:
        scope = "full" if files is None else "changed"
        # symlinks are not followed: a pull request's link could point anywhere on the runner
        targets = (
            None
            if files is None
            else [f for f in self._keep(files) if (self.repo / f).is_file() and not (self.repo / f).is_symlink()]
        )
        jobs: list[tuple[str, Callable[[Sequence[str] | None], SourceOutput]]] = []
        enabled = {
            "semgrep": self.settings.semgrep.enabled,
            "checkov": self.settings.checkov.enabled,
            "secrets": self.settings.secrets.enabled,
        }
        runs: list[SourceRun] = []
        for name in SOURCES:
            if name not in sources:
                continue
            if not enabled[name]:
                runs.append(SourceRun(name, "skipped", note="disabled in config"))
                continue
            jobs.append((name, getattr(self, f"_{name}")))
        results: dict[str, SourceRun] = {}
        found: dict[str, list[Finding]] = {}
        described: dict[str, SourceOutput] = {}

        def one(name: str, job: Callable[[Sequence[str] | None], SourceOutput]) -> None:
            start = time.perf_counter()
            try:
                output = job(targets)
                items, count = output.findings, output.files
                items = [f for f in items if not (f.path and matches_any(f.path, self.settings.exclude))]
                found[name] = items
                described[name] = output
                status = "ok" if count else "skipped"
                note = "" if count else "no files for this scanner"
                results[name] = SourceRun(name, status, count, len(items), time.perf_counter() - start, note)
            except LeadforgeError as err:
                results[name] = SourceRun(name, "failed", 0, 0, time.perf_counter() - start, str(err))

        if self.parallel and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                for future in [pool.submit(one, name, job) for name, job in jobs]:
                    future.result()
        else:
            for name, job in jobs:
                one(name, job)
        runs += [results[name] for name, _ in jobs]
        runs.sort(key=lambda r: SOURCES.index(r.name))
        findings = sort_findings(f for items in found.values() for f in items)
        rules = tuple(info for name in SOURCES if name in described for info in described[name].rules)
        versions = tuple((name, described[name].version) for name in SOURCES if name in described and described[name].version)
        return ScanReport(tuple(findings), tuple(runs), scope, rules, versions)

    # ---- sources --------------------------------------------------------------------------
    def _keep(self, files: Sequence[str]) -> list[str]:
        return [f for f in files if not matches_any(f, self.settings.exclude)]

    def _tool(self, name: str) -> str:
        path = self.which(name)
        if not path:
            raise LeadforgeError(f"{name} not found. {tools.INSTALL_HINT.get(name, '')}".strip())
        return path

    def _read_line(self, path: str, line: int) -> str:
        try:
            with open(self.repo / path, encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, 1):
                    if number == line:
                        return text.rstrip("\n")
        except OSError:
            return ""
        return ""

    def _semgrep(self, targets: Sequence[str] | None) -> SourceOutput:
        settings = self.settings.semgrep
        if targets is not None and not targets:
            return SourceOutput([], 0)
        configs = ([str(semgrep.BUILTIN_RULES)] if settings.builtin_rules else []) + list(settings.rules)
        if not configs:
            raise LeadforgeError("no rules configured (scan.semgrep.builtin_rules is false and scan.semgrep.rules is empty)")
        executable = self._tool("semgrep")
        argv = semgrep.argv(executable, configs, targets or (), jobs=settings.jobs, timeout=settings.timeout)
        if targets is None:
            for pattern in self.settings.exclude:
                argv[argv.index("--") : argv.index("--")] = ["--exclude", pattern]
        result = proc.run(
            argv, cwd=self.repo, timeout=settings.timeout, check=False, hint="Raise scan.semgrep.timeout or scan fewer files."
        )
        if not result.stdout.strip():
            raise LeadforgeError(f"semgrep exited {result.returncode} without output: {_tail(result.stderr)}")
        findings = semgrep.parse(result.stdout, configs=configs, cwd=self.repo, read_line=self._read_line)
        rules, version = semgrep.describe(result.stdout, configs=configs, cwd=self.repo)
        files = len(targets) if targets is not None else _count_tracked(self.repo)
        return SourceOutput(findings, files, rules, version)

    def _checkov(self, targets: Sequence[str] | None) -> SourceOutput:
        settings = self.settings.checkov
        if targets is not None:
            targets = [t for t in targets if matches_any(t, settings.paths)]
            if not targets:
                return SourceOutput([], 0)
        executable = self._tool("checkov")
        argv = checkov.argv(
            executable,
            files=targets or (),
            directory="." if targets is None else None,
            frameworks=settings.frameworks,
            skip_checks=settings.skip_checks,
        )
        result = proc.run(
            argv,
            cwd=self.repo,
            env=checkov.ENV,
            timeout=settings.timeout,
            check=False,
            hint="Raise scan.checkov.timeout or narrow scan.checkov.paths.",
        )
        if result.returncode != 0 and not result.stdout.strip().startswith(("{", "[")):
            raise LeadforgeError(f"checkov exited {result.returncode}: {_tail(result.stderr or result.stdout)}")
        findings = checkov.parse(result.stdout, default_severity=settings.default_severity)
        rules, version = checkov.describe(result.stdout)
        files = len(targets) if targets is not None else _count_tracked(self.repo)
        return SourceOutput(findings, files, rules, version)

    def _secrets(self, targets: Sequence[str] | None) -> SourceOutput:
        settings = self.settings.secrets
        files = list(targets) if targets is not None else self._keep(_tracked(self.repo))
        if not files:
            return SourceOutput([], 0)
        extras.need("the detect-secrets scan", "detect_secrets")  # it runs as `python -m detect_secrets` of this install
        findings: list[Finding] = []
        rules: dict[str, RuleInfo] = {}
        version = ""
        # in chunks: a 3,000-file tree must not hit the argv size limit
        for start in range(0, len(files), 500):
            chunk = files[start : start + 500]
            result = proc.run(
                secrets.argv(chunk), cwd=self.repo, timeout=settings.timeout, check=False, hint="Raise scan.secrets.timeout."
            )
            if result.returncode != 0:
                raise LeadforgeError(f"detect-secrets exited {result.returncode}: {_tail(result.stderr)}")
            findings += secrets.parse(result.stdout, severity=settings.severity, entropy_severity=settings.entropy_severity)
            infos, version = secrets.describe(result.stdout)
            rules.update((info.id, info) for info in infos)
        return SourceOutput(findings, len(files), list(rules.values()), version)


def _tail(text: str, lines: int = 3) -> str:
    tail = " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())
    return tail[:500] or "(no message)"


def _tracked(repo: Path) -> list[str]:
    try:
        return [p for p in GitRepo(repo).ls_files() if (repo / p).is_file()]
    except GitError:  # not a git repository: every file on disk
        pass
    return [str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts]


def _count_tracked(repo: Path) -> int:
    return len(_tracked(repo))
