"""The demo's report folder: ``report.json`` (everything) and ``index.html`` (for people)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadforge.fsutil import atomic_write


def render_html(report: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("leadforge", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("demo/index.html.j2").render(report=report)


def write_report(out: Path, report: dict[str, Any]) -> None:
    atomic_write(out / "report.json", json.dumps(report, indent=2, default=str))
    atomic_write(out / "index.html", render_html(report))
