"""``leadforge scan``: choose the files, run the scanners, print and write SARIF."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadforge.errors import InputError
from leadforge.findings import count_by_severity
from leadforge.fsutil import atomic_write
from leadforge.scan import sarif
from leadforge.scan.runner import SOURCES, Scanner, ScanReport

if TYPE_CHECKING:
    from leadforge.app import App


def default_base(app: App) -> str:
    branch = app.config.default_branch
    remote = f"origin/{branch}"
    return remote if app.git.ref_exists(remote) else branch


def changed_paths(app: App, base: str, head: str) -> list[str]:
    """Files added, modified, renamed or copied between ``base`` and ``head`` (deleted files are gone)."""
    return [c.path for c in app.git.changed_files(base, head) if c.status != "D"]


def scan_command(
    app: App,
    *,
    changed_only: bool = False,
    base: str | None = None,
    head: str = "HEAD",
    sarif: str | None = None,
    tools: Sequence[str] | None = None,
    fail_on: str = "never",
) -> int:
    settings = app.config.scan
    files = None
    if not changed_only and (base is not None or head != "HEAD"):
        raise InputError(
            "leadforge scan: --base/--head choose the files of --changed-only; add --changed-only "
            "(without it every tracked file is scanned)"
        )
    if changed_only:
        base = base or default_base(app)
        files = changed_paths(app, base, head)
        app.out.info(f"scan: {len(files)} changed file(s) between {base} and {head}")
    sources = tuple(tools or SOURCES)
    if app.dry_run:
        plan = {"scope": "changed" if changed_only else "full", "files": files, "sources": list(sources), "sarif": sarif}
        app.out.would(
            f"scan {plan['scope']} ({'all tracked files' if files is None else f'{len(files)} files'}) "
            f"with {', '.join(sources)}" + (f" and write {sarif}" if sarif else "")
        )
        app.out.result(plan, "")
        return 0
    if changed_only:
        # the head's files, when --head is not checked out
        from leadforge.gitrepo import head_checkout

        with head_checkout(app.repo, app.git.rev_parse(head)) as root:
            report = Scanner(root, settings).scan(files, sources=sources)
    else:
        report = Scanner(app.repo, settings).scan(files, sources=sources)
    for note in report.notes:
        app.out.info(f"scan: note: {note}")
        app.actions.annotate("warning", note, title="leadforge scan")
    if sarif:
        log = render_sarif(report, settings.sarif_category)
        try:
            atomic_write(app.repo / sarif if not sarif.startswith("/") else sarif, json.dumps(log, indent=2) + "\n")
        except OSError as err:
            raise InputError(f"--sarif {sarif}: cannot write it ({err.strerror or err})") from None
        app.out.info(f"scan: wrote {sarif} ({len(report.findings)} result(s))")
    app.actions.summary(summary_markdown(report))
    app.out.result(report.to_dict(), human_text(report))
    if fail_on != "never" and any(f.at_least(fail_on) for f in report.findings):
        return 1
    return 0


def render_sarif(report: ScanReport, category: str) -> dict[str, Any]:
    ran = [s.name for s in report.sources if s.status == "ok"]
    return sarif.render(report.findings, category=category, tools=ran, rules=report.rules, versions=dict(report.versions))


def human_text(report: ScanReport) -> str:
    counts = count_by_severity(report.findings)
    lines = [
        f"{f.severity:<7} {f.location}  [{f.tool} {f.rule}] {f.message.splitlines()[0] if f.message else ''}"
        for f in report.findings
    ]
    lines.append("")
    for source in report.sources:
        extra = f" — {source.note}" if source.note else ""
        lines.append(
            f"{source.name:<8} {source.status:<7} {source.files} file(s), {source.findings} finding(s), "
            f"{source.seconds:.1f}s{extra}"
        )
    lines.append(
        f"{len(report.findings)} finding(s): {counts['error']} error, {counts['warning']} warning, {counts['note']} note"
    )
    return "\n".join(lines)


def summary_markdown(report: ScanReport) -> str:
    counts = count_by_severity(report.findings)
    rows = ["| scanner | status | files | findings | time |", "| --- | --- | ---: | ---: | ---: |"]
    for s in report.sources:
        status = s.status + (f" ({_md(s.note)})" if s.note else "")
        rows.append(f"| {s.name} | {status} | {s.files} | {s.findings} | {s.seconds:.1f}s |")
    head = (
        f"### LeadForge scan ({report.scope})\n\n{counts['error']} error, {counts['warning']} warning, {counts['note']} note\n\n"
    )
    return head + "\n".join(rows) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
