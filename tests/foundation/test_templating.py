"""The compiled-template cache: same output as compiling afresh, recompiled when a template changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge.cache import CACHE_ENV
from leadforge.release import render as rendering
from leadforge.templating import sandboxed_environment

CONTEXT = {
    "version": "v1.1.0",
    "previous": "v1.0.0",
    "date": "2026-01-05",
    "breaking": [],
    "contributors": [],
    "tasks": [],
    "visual": [],
    "groups": [
        {
            "type": "feat",
            "title": "Features",
            "commits": [
                {
                    "sha": "a" * 40,
                    "type": "feat",
                    "scope": "ui",
                    "subject": "dark mode",
                    "breaking": False,
                    "pr": 3,
                    "issues": [],
                    "authors": ["Ada"],
                }
            ],
        }
    ],
}


def test_cached_templates_render_exactly_like_fresh_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")
    fresh = rendering.render(CONTEXT)
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    first = rendering.render(CONTEXT)
    compiled = cache / "templates"  # the compiled templates' own folder in LeadForge's one cache place
    entries = sorted(p.name for p in compiled.iterdir())
    assert first == fresh and len(entries) == 2  # release-notes.md.j2 and the _sections.md.j2 it imports
    assert rendering.render(CONTEXT) == fresh and sorted(p.name for p in compiled.iterdir()) == entries


def test_an_edited_template_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    override = tmp_path / "repo" / ".github/leadforge/release-notes.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text("one {{ version }}\n")
    assert rendering.render(CONTEXT, repo=tmp_path / "repo") == "one v1.1.0\n"
    override.write_text("two {{ version }}\n")
    assert rendering.render(CONTEXT, repo=tmp_path / "repo") == "two v1.1.0\n"


def test_environments_that_compile_differently_do_not_share_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    (tmp_path / "t").mkdir()
    (tmp_path / "t/page.j2").write_text("{{ text }}\n")
    outputs = []
    for autoescape in (True, False):
        env = sandboxed_environment(tmp_path / "t", None, Path("none"), autoescape=autoescape, cache=True)
        outputs.append(env.get_template("page.j2").render(text="<b>"))
    assert outputs == ["&lt;b&gt;", "<b>"]
    assert len({p.name.split("-")[0] for p in (cache / "templates").iterdir()}) == 2


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    assert "dark mode" in rendering.render(CONTEXT)
