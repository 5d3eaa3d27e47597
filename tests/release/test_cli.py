"""`leadforge release ...` end to end on real git repositories (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Repo

TASK = """---
id: {id}
title: {title}
priority: P2
type: feature
agent: auto
assigned_to: {agent}
pr: {pr}
completed_at: '2026-01-02T10:00:00Z'
history: []
---

Done.
"""


def tagged(repo: Repo, *messages: str, tag: str | None = None, annotated: bool = True) -> None:
    for message in messages:
        repo.commit(message)
    if tag:
        repo.git("tag", *(["-a", "-m", tag] if annotated else []), tag)


def test_first_release_covers_the_whole_history(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: one", "fix: two", tag="v0.1.0")
    result = run_cli("release", "notes", "--tag", "v0.1.0", "--json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    context = json.loads(result.stdout)
    assert context["previous"] is None
    assert [g["type"] for g in context["groups"]] == ["feat", "fix", "chore"]
    text = run_cli("release", "notes", "--tag", "v0.1.0", repo=git_repo.path).stdout
    assert "First release." in text and "- one (" in text


def test_json_is_exactly_the_documented_context(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    tagged(git_repo, "feat(api)!: new api (#3)\n\nCloses #2", tag="v2.0.0")
    context = json.loads(run_cli("release", "notes", "--tag", "v2.0.0", "--json", repo=git_repo.path).stdout)
    assert list(context) == ["version", "previous", "date", "groups", "breaking", "contributors", "tasks", "visual"]
    assert (context["version"], context["previous"], context["date"]) == ("v2.0.0", "v1.0.0", "2026-01-01")
    commit = context["groups"][0]["commits"][0]
    assert list(commit) == ["sha", "type", "scope", "subject", "breaking", "pr", "issues", "authors"]
    assert (commit["type"], commit["scope"], commit["subject"], commit["breaking"], commit["pr"], commit["issues"]) == (
        "feat",
        "api",
        "new api",
        True,
        3,
        [2],
    )
    assert context["breaking"][0]["description"] == "new api"
    assert context["tasks"] == [] and context["visual"] == []


def test_previous_tag_ignores_floating_tags_and_prereleases(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: a", tag="v1.0.0", annotated=False)
    tagged(git_repo, "feat: b", tag="v1.1.0-rc.1")
    git_repo.git("tag", "v1")
    git_repo.git("tag", "v1.1")
    tagged(git_repo, "fix: c", tag="v1.1.0", annotated=False)
    final = json.loads(run_cli("release", "notes", "--tag", "v1.1.0", "--json", repo=git_repo.path).stdout)
    assert final["previous"] == "v1.0.0"
    assert sorted(c["subject"] for g in final["groups"] for c in g["commits"]) == ["b", "c"]
    pre = json.loads(run_cli("release", "notes", "--tag", "v1.1.0-rc.1", "--json", repo=git_repo.path).stdout)
    assert pre["previous"] == "v1.0.0"


def test_previous_tag_must_be_reachable(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: a", tag="v1.0.0")
    git_repo.git("checkout", "-q", "-b", "other", "HEAD~1")
    tagged(git_repo, "fix: elsewhere", tag="v1.5.0")
    git_repo.git("checkout", "-q", "main")
    tagged(git_repo, "feat: b", tag="v2.0.0")
    context = json.loads(run_cli("release", "notes", "--tag", "v2.0.0", "--json", repo=git_repo.path).stdout)
    assert context["previous"] == "v1.0.0"


def test_a_floating_tag_stands_for_the_release_on_its_commit(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: one", tag="v1.0.0")
    tagged(git_repo, "fix: two", tag="v1.0.1")
    for floating in ("v1", "v1.0"):
        git_repo.git("tag", "-f", floating)
    for ref in ("v1", "v1.0"):
        context = json.loads(run_cli("release", "notes", "--to", ref, "--json", repo=git_repo.path).stdout)
        assert context["previous"] == "v1.0.0", ref  # not v1.0.1, which is the same commit (empty notes)
        assert [c["subject"] for g in context["groups"] for c in g["commits"]] == ["two"]
    head = json.loads(run_cli("release", "notes", "--json", repo=git_repo.path).stdout)
    assert head["previous"] == "v1.0.1"  # HEAD is not a tag: its unreleased changes are none


def test_output_that_is_a_folder_is_one_line(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    tagged(git_repo, "feat: one", tag="v1.0.0")
    result = run_cli("release", "notes", "--tag", "v1.0.0", "--output", str(tmp_path), repo=git_repo.path)
    assert result.code == 1 and "--output" in result.stderr and "is a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_repository_without_commits_is_one_line(tmp_path: Path, run_cli) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for verb in ("notes", "next-version"):
        result = run_cli("release", verb, repo=tmp_path)
        assert result.code == 1 and "no commits yet, or not a git repository" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("--tag", "v9.9.9"), "--tag v9.9.9: no such tag"),
        (("--to", "nope"), "--to nope: no such tag, branch or commit"),
        (("--from", "nope"), "--from nope: no such tag, branch or commit"),
        (("--template", "missing.j2"), "--template missing.j2: file not found"),
        (("--to=--output=/tmp/x",), "--to --output=/tmp/x: no such tag, branch or commit"),
    ],
)
def test_bad_refs_and_files_are_one_line_errors(git_repo: Repo, run_cli, argv: tuple[str, ...], needle: str) -> None:
    result = run_cli("release", "notes", *argv, repo=git_repo.path)
    assert result.code == 1
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("template", "where", "what"),
    [
        ("{% for g in groups %}\n{{ g.title }\n{% endfor %}\n", ":2:", "syntax error"),
        ("line one\n{% if version %}\nunclosed\n", ":3:", "Unexpected end of template"),
        ("ok\n{{ nonexistent_name }}\n", ":2:", "'nonexistent_name' is undefined"),
        ("{{ version.__class__.__mro__ }}\n", ":1:", "sandbox"),
        ("# notes\n\n{{ groups | length / 0 }}\n", ":3:1:", "division by zero"),
        ("{% set d = {} %}\nx {{ d.pop('missing') }}\n", ":2:", "missing"),
    ],
)
def test_template_errors_name_the_file_line_and_column(git_repo: Repo, run_cli, template: str, where: str, what: str) -> None:
    path = git_repo.write("bad.md.j2", template)
    result = run_cli("release", "notes", "--template", str(path), repo=git_repo.path)
    assert result.code == 1, result.stdout
    assert f"{path}{where}" in result.stderr and what in result.stderr, result.stderr


def test_column_points_at_the_broken_tag(git_repo: Repo, run_cli) -> None:
    path = git_repo.write("bad.md.j2", "# notes\n  {% endfor %}\n")
    result = run_cli("release", "notes", "--template", str(path), repo=git_repo.path)
    assert f"{path}:2:6:" in result.stderr, result.stderr  # the column of 'endfor'


def test_an_error_in_an_included_template_names_that_file(git_repo: Repo, run_cli) -> None:
    git_repo.write(".github/leadforge/release-notes.md.j2", "# notes\n{% include 'parts.md.j2' %}\n")
    part = git_repo.write(".github/leadforge/parts.md.j2", "ok\n\n  {{ missing_name }}\n")
    result = run_cli("release", "notes", repo=git_repo.path)
    assert result.code == 1
    assert f"{part}:3:6: template error: 'missing_name' is undefined" in result.stderr, result.stderr


def test_repository_template_override_is_used(git_repo: Repo, run_cli) -> None:
    git_repo.write(".github/leadforge/release-notes.md.j2", "{{ version }} has {{ groups | length }} groups\n")
    tagged(git_repo, "feat: x", tag="v1.0.0")
    assert run_cli("release", "notes", "--tag", "v1.0.0", repo=git_repo.path).stdout == "v1.0.0 has 2 groups\n"


def test_links_use_the_repository_when_known(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    tagged(git_repo, "fix: y (#7)\n\nCloses #6", tag="v1.0.1")
    text = run_cli("release", "notes", "--tag", "v1.0.1", repo=git_repo.path, env={"GITHUB_REPOSITORY": "o/r"}).stdout
    assert "[#7](https://github.com/o/r/pull/7)" in text
    assert "[#6](https://github.com/o/r/issues/6)" in text
    assert "(https://github.com/o/r/compare/v1.0.0...v1.0.1)" in text


@pytest.mark.parametrize(
    ("tag", "messages", "expected"),
    [
        ("v1.2.3", ["fix: a"], "v1.2.4"),
        ("v1.2.3", ["fix: a", "feat: b"], "v1.3.0"),
        ("v1.2.3", ["feat: b", "refactor!: c"], "v2.0.0"),
        ("v1.2.3", ["docs: only docs"], None),
        ("v0.4.1", ["feat!: c"], "v0.5.0"),
        ("v0.4.1", ["fix: a"], "v0.4.2"),
    ],
)
def test_next_version(git_repo: Repo, run_cli, tag: str, messages: list[str], expected: str | None) -> None:
    tagged(git_repo, tag=tag)
    tagged(git_repo, *messages)
    result = run_cli("release", "next-version", "--json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["current"] == tag and data["next"] == expected


def test_next_version_zero_rules_come_from_config(git_repo: Repo, run_cli) -> None:
    git_repo.write(".github/leadforge.yml", "release:\n  zero_breaking_bump: major\n")
    tagged(git_repo, tag="v0.4.1")
    tagged(git_repo, "feat!: c")
    data = json.loads(run_cli("release", "next-version", "--json", repo=git_repo.path).stdout)
    assert data["next"] == "v1.0.0"


def test_next_version_without_tags_starts_at_0_1_0(git_repo: Repo, run_cli) -> None:
    assert run_cli("release", "next-version", repo=git_repo.path).stdout.strip() == "v0.1.0"


@pytest.mark.parametrize(
    ("pre", "messages", "expected"),
    [
        ("v1.0.0-rc.1", ["fix: a"], "v1.0.0"),  # the release the pre-release heads to, not v0.1.0
        ("v1.0.0-rc.1", ["docs: only docs"], "v1.0.0"),
        ("v1.2.0-beta.2", ["feat!: c"], "v2.0.0"),
        ("v0.3.0-rc.1", ["feat!: c"], "v0.3.0"),  # 0.x: breaking is a minor bump, which 0.3.0-rc.1 heads to
    ],
)
def test_next_version_after_only_a_prerelease(git_repo: Repo, run_cli, pre: str, messages: list[str], expected: str) -> None:
    tagged(git_repo, "feat: first", tag=pre)
    tagged(git_repo, "chore: unrelated", tag="v9")  # a floating tag is never the current release
    tagged(git_repo, *messages)
    data = json.loads(run_cli("release", "next-version", "--json", repo=git_repo.path).stdout)
    assert (data["current"], data["next"]) == (pre, expected)


def test_bad_config_names_the_key(git_repo: Repo, run_cli) -> None:
    git_repo.write(".github/leadforge.yml", "release:\n  commit_parsers:\n    - message: '^feat('\n      group: feat\n")
    result = run_cli("release", "next-version", repo=git_repo.path)
    assert result.code == 1 and "leadforge.yml:3: release.commit_parsers[0]" in result.stderr and "invalid regex" in result.stderr


def test_changelog_prepends_and_replaces_idempotently(git_repo: Repo, run_cli) -> None:
    git_repo.write("CHANGELOG.md", "# Changelog\n\nHand-written intro.\n\n## 0.9.0 - 2025-01-01\n\n- old history\n")
    tagged(git_repo, "feat: one", tag="v1.0.0")
    assert run_cli("release", "changelog", "--tag", "v1.0.0", repo=git_repo.path).code == 0
    first = (git_repo.path / "CHANGELOG.md").read_text()
    assert run_cli("release", "changelog", "--tag", "v1.0.0", repo=git_repo.path).code == 0
    assert (git_repo.path / "CHANGELOG.md").read_text() == first
    tagged(git_repo, "fix: two", tag="v1.0.1")
    run_cli("release", "changelog", "--tag", "v1.0.1", repo=git_repo.path)
    text = (git_repo.path / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n\nHand-written intro.\n\n")
    assert text.index("## v1.0.1") < text.index("## v1.0.0") < text.index("## 0.9.0") and text.count("## v1.0.0") == 1
    assert not (git_repo.path / "VISUAL_CHANGELOG.md").exists()


def test_changelog_commit_makes_one_follow_up_commit(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: one", tag="v1.0.0")
    before = git_repo.git("rev-parse", "HEAD")
    assert run_cli("release", "changelog", "--tag", "v1.0.0", "--commit", repo=git_repo.path).code == 0
    assert git_repo.git("log", "-1", "--format=%s") == "docs(changelog): v1.0.0"
    assert git_repo.git("rev-parse", "HEAD~1") == before
    run_cli("release", "changelog", "--tag", "v1.0.0", "--commit", repo=git_repo.path)
    assert git_repo.git("rev-parse", "HEAD~1") == before  # nothing new to commit


def _summary(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "out.txt")}


def test_publish_creates_then_edits_the_release_never_duplicates(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    from leadforge.forge.local import LocalForge

    tagged(git_repo, "feat: one", tag="v1.0.0")
    env = _summary(tmp_path)
    first = run_cli("--forge", "local", "release", "publish", "--tag", "v1.0.0", "--json", repo=git_repo.path, env=env)
    assert first.code == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "created"
    again = run_cli("--forge", "local", "release", "publish", "--tag", "v1.0.0", "--json", repo=git_repo.path, env=env)
    assert json.loads(again.stdout)["status"] == "unchanged"
    git_repo.write(".github/leadforge/release-notes.md.j2", "Edited {{ version }}\n")
    edited = run_cli("--forge", "local", "release", "publish", "--tag", "v1.0.0", "--json", repo=git_repo.path, env=env)
    assert json.loads(edited.stdout)["status"] == "updated"
    forge = LocalForge(git_repo.path, "local/repo")
    release = forge.get_release_by_tag("v1.0.0")
    assert release is not None and release.body == "Edited v1.0.0\n" and not release.prerelease
    with forge._state(write=False) as state:
        assert len(state["releases"]) == 1
    summary = (tmp_path / "summary.md").read_text()
    assert "## Release" in summary and "- one (" in summary
    assert "tag=v1.0.0" in (tmp_path / "out.txt").read_text()


def test_publish_marks_prereleases_and_dry_run_changes_nothing(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    from leadforge.forge.local import LocalForge

    tagged(git_repo, "feat: one", tag="v2.0.0-rc.1")
    refs = git_repo.git("for-each-ref", "--format=%(refname) %(objectname)")
    dry = run_cli(
        "--forge", "local", "--dry-run", "release", "publish", "--tag", "v2.0.0-rc.1", "--changelog", repo=git_repo.path
    )
    assert dry.code == 0 and "[dry-run] would create or update pre-release v2.0.0-rc.1" in dry.stderr
    assert "[dry-run] would write the v2.0.0-rc.1 entry into CHANGELOG.md" in dry.stderr
    assert git_repo.git("for-each-ref", "--format=%(refname) %(objectname)") == refs
    assert not (git_repo.path / "CHANGELOG.md").exists() and git_repo.git("status", "--porcelain") == ""
    forge = LocalForge(git_repo.path, "local/repo")
    assert forge.get_release_by_tag("v2.0.0-rc.1") is None
    run_cli("--forge", "local", "release", "publish", "--tag", "v2.0.0-rc.1", repo=git_repo.path, env=_summary(tmp_path))
    release = forge.get_release_by_tag("v2.0.0-rc.1")
    assert release is not None and release.prerelease


def test_publish_attaches_extra_assets_and_replaces_them_on_a_rerun(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    from leadforge.forge.local import LocalForge

    tagged(git_repo, "feat: one", tag="v1.0.0")
    built = tmp_path / "built"
    (built / "sbom").mkdir(parents=True)
    (built / "leadforge-1.0.0.tar.gz").write_bytes(b"sdist")
    (built / "sbom" / "sbom-image.cdx.json").write_text('{"bomFormat": "CycloneDX"}')
    audit = tmp_path / "pip-audit.json"
    audit.write_text('{"dependencies": []}')
    args = ("--forge", "local", "release", "publish", "--tag", "v1.0.0", "--json", "--asset", str(built), "--asset", str(audit))
    first = run_cli(*args, repo=git_repo.path, env=_summary(tmp_path))
    assert first.code == 0, first.stderr
    assert json.loads(first.stdout)["assets"] == ["leadforge-1.0.0.tar.gz", "sbom-image.cdx.json", "pip-audit.json"]
    audit.write_text('{"dependencies": [1]}')
    again = run_cli(*args, repo=git_repo.path, env=_summary(tmp_path))
    assert again.code == 0, again.stderr
    forge = LocalForge(git_repo.path, "local/repo")
    release = forge.get_release_by_tag("v1.0.0")
    assert release is not None
    assert sorted(a.name for a in release.assets) == ["leadforge-1.0.0.tar.gz", "pip-audit.json", "sbom-image.cdx.json"]


def test_a_missing_or_clashing_extra_asset_stops_before_anything_is_published(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    tagged(git_repo, "feat: one", tag="v1.0.0")
    publish = ("--forge", "local", "release", "publish", "--tag", "v1.0.0")
    missing = run_cli(*publish, "--asset", str(tmp_path / "nope.json"), repo=git_repo.path)
    assert missing.code == 1 and "--asset" in missing.stderr
    assert "nope.json: no such file or folder; nothing was published" in missing.stderr
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sbom.json").write_text("{}")
    clash = run_cli(*publish, "--asset", str(tmp_path / "a"), "--asset", str(tmp_path / "b"), repo=git_repo.path)
    assert clash.code == 1 and "the same name: sbom.json" in clash.stderr
    assert not (git_repo.path / ".leadforge").exists()


def test_publish_of_a_missing_tag_publishes_nothing(git_repo: Repo, run_cli) -> None:
    result = run_cli("--forge", "local", "release", "publish", "--tag", "v3.0.0", repo=git_repo.path)
    assert result.code == 1 and "no such tag" in result.stderr
    assert not (git_repo.path / ".leadforge").exists()


def test_completed_tasks_of_the_range_and_their_agents_are_listed(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    git_repo.write(
        "docs/TASKS/queue/completed/add-login.md", TASK.format(id="add-login", title="Add login", agent="claude-code", pr=5)
    )
    git_repo.write("docs/TASKS/queue/completed/old-task.md", TASK.format(id="old-task", title="Old", agent="codex", pr=1))
    tagged(
        git_repo,
        "feat: login (#5)",
        "fix: helper\n\nCo-authored-by: GitHub Copilot <copilot@users.noreply.github.com>",
        tag="v1.1.0",
    )
    context = json.loads(run_cli("release", "notes", "--tag", "v1.1.0", "--json", repo=git_repo.path).stdout)
    assert [t["id"] for t in context["tasks"]] == ["add-login"]
    agents = {c["name"]: c for c in context["contributors"] if c["agent"]}
    assert agents["claude-code"]["tasks"] == ["add-login"]
    assert agents["GitHub Copilot"]["commits"] == 1
    humans = [c["name"] for c in context["contributors"] if not c["agent"]]
    assert humans == ["Test Author"]
    text = run_cli("release", "notes", "--tag", "v1.1.0", repo=git_repo.path).stdout
    assert "### Tasks completed" in text and "| `add-login` | Add login | claude-code | #5 |" in text


def _png(path: Path, color: tuple[int, int, int], box: tuple[int, int, int, int] | None = None) -> None:
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (40, 30), (*color, 255))
    if box:
        ImageDraw.Draw(image).rectangle(box, fill=(200, 20, 20, 255))
    image.save(path)


def _release_screens(repo: Repo) -> None:
    """v1.0.0 and v1.1.0 screenshots as the visual area stores them: home changed, pricing new."""
    base = repo.path / "screenshots" / "releases"
    _png(base / "v1.0.0" / "home-1280x800.png", (255, 255, 255))
    _png(base / "v1.1.0" / "home-1280x800.png", (255, 255, 255), (0, 0, 9, 9))
    _png(base / "v1.1.0" / "pricing-390x844.png", (240, 240, 240))
    _png(base / "v1.0.0" / "about-1280x800.png", (250, 250, 250))
    _png(base / "v1.1.0" / "about-1280x800.png", (250, 250, 250))  # unchanged: not listed


@pytest.mark.integration
def test_visual_changes_are_shown_uploaded_and_logged(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    from leadforge.forge.local import LocalForge

    pytest.importorskip("leadforge.visual.release")
    tagged(git_repo, "feat: one", tag="v1.0.0")
    tagged(git_repo, "feat: restyle", tag="v1.1.0")
    _release_screens(git_repo)
    context = json.loads(run_cli("release", "notes", "--tag", "v1.1.0", "--json", repo=git_repo.path).stdout)
    visual = {v["page"]: v for v in context["visual"]}
    assert sorted(visual) == ["home", "pricing"]
    assert visual["home"]["before"] == "screenshots/releases/v1.0.0/home-1280x800.png"
    assert visual["home"]["mismatch_ratio"] == pytest.approx(100 / 1200)
    assert visual["pricing"]["before"] is None and visual["pricing"]["diff"] is None
    env = _summary(tmp_path) | {"GITHUB_REPOSITORY": "o/r"}
    result = run_cli(
        "--forge", "local", "release", "publish", "--tag", "v1.1.0", "--changelog", "--json", repo=git_repo.path, env=env
    )
    assert result.code == 0, result.stderr
    expected = [
        "v1.0.0-home-1280x800.png",
        "v1.1.0-diffs-home-1280x800.png",
        "v1.1.0-home-1280x800.png",
        "v1.1.0-pricing-390x844.png",
    ]
    assert sorted(json.loads(result.stdout)["assets"]) == expected
    release = LocalForge(git_repo.path, "o/r").get_release_by_tag("v1.1.0")
    assert release is not None and sorted(a.name for a in release.assets) == expected
    assert "<details>" in release.body and "8.33% of pixels changed" in release.body and "new page" in release.body
    assert "https://github.com/o/r/releases/download/v1.1.0/v1.1.0-home-1280x800.png" in release.body
    # re-publishing replaces same-named assets instead of adding more
    run_cli("--forge", "local", "release", "publish", "--tag", "v1.1.0", repo=git_repo.path, env=env)
    release = LocalForge(git_repo.path, "o/r").get_release_by_tag("v1.1.0")
    assert release is not None and len(release.assets) == 4
    visual_log = (git_repo.path / "VISUAL_CHANGELOG.md").read_text()
    assert "## v1.1.0" in visual_log and 'src="screenshots/releases/v1.1.0/home-1280x800.png"' in visual_log
    assert git_repo.git("log", "-1", "--format=%s") == "docs(changelog): v1.1.0"
    committed = git_repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert "screenshots/releases/v1.1.0/diffs/home-1280x800.png" in committed and "VISUAL_CHANGELOG.md" in committed


@pytest.mark.integration
def test_a_failed_fetch_keeps_the_release_screenshots(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    pytest.importorskip("leadforge.visual.release")
    tagged(git_repo, "feat: one", tag="v1.0.0")
    tagged(git_repo, "feat: restyle", tag="v1.1.0")
    _release_screens(git_repo)
    git_repo.git("remote", "add", "origin", str(tmp_path / "gone.git"))  # unreachable: the fetch fails
    stored = git_repo.path / "screenshots" / "releases" / "v1.1.0"
    result = run_cli("release", "changelog", "--tag", "v1.1.0", "--commit", repo=git_repo.path)
    assert result.code != 0 and "Traceback" not in result.stderr
    assert (stored / "home-1280x800.png").is_file() and (stored / "pricing-390x844.png").is_file()
    assert (stored / "diffs" / "home-1280x800.png").is_file()


def test_without_screenshots_there_is_no_visual_section(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: one", tag="v1.0.0")
    text = run_cli("release", "notes", "--tag", "v1.0.0", repo=git_repo.path).stdout
    assert "Visual changes" not in text and "<details>" not in text


def test_a_missing_screenshot_stops_before_anything_is_published(git_repo: Repo, tmp_path: Path) -> None:
    from leadforge.errors import InputError
    from leadforge.release.publish import plan_publish

    visual = [
        {
            "page": "home",
            "viewport": "desktop",
            "before": None,
            "after": "screenshots/releases/v1.0.0/home-1280x800.png",
            "diff": None,
            "mismatch_ratio": None,
        }
    ]
    with pytest.raises(InputError, match=r"home-1280x800\.png: screenshot of home .*nothing was published"):
        plan_publish(git_repo.path, {"version": "v1.0.0", "visual": visual}, "notes", prerelease=False, upload=True)
    plan = plan_publish(git_repo.path, {"version": "v1.0.0", "visual": visual}, "notes", prerelease=False, upload=False)
    assert plan.assets == ()


def test_unreadable_task_files_warn_but_do_not_block(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    git_repo.write("docs/TASKS/queue/completed/broken.md", "no front matter\n")
    tagged(git_repo, "feat: x (#4)", tag="v1.1.0")
    result = run_cli("release", "notes", "--tag", "v1.1.0", repo=git_repo.path)
    assert result.code == 0 and "warning" in result.stderr and "broken.md" in result.stderr


def test_untagged_head_is_unreleased_since_the_latest_release(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: a", tag="v1.0.0")
    tagged(git_repo, "feat: b", tag="v1.1.0-rc.1")
    tagged(git_repo, "fix: c")
    context = json.loads(run_cli("release", "notes", "--json", repo=git_repo.path).stdout)
    assert (context["version"], context["previous"]) == ("Unreleased", "v1.0.0")
    assert [c["subject"] for g in context["groups"] for c in g["commits"]] == ["b", "c"]
    labelled = json.loads(run_cli("release", "notes", "--version", "v1.1.0", "--json", repo=git_repo.path).stdout)
    assert labelled["version"] == "v1.1.0"


def test_changelog_dry_run_writes_nothing(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, "feat: a", tag="v1.0.0")
    result = run_cli("--dry-run", "release", "changelog", "--tag", "v1.0.0", repo=git_repo.path)
    assert result.code == 0 and "[dry-run] would write the v1.0.0 entry into CHANGELOG.md" in result.stderr
    assert result.stdout.strip() == "v1.0.0: would update CHANGELOG.md"  # not "updated": nothing was
    assert not (git_repo.path / "CHANGELOG.md").exists()


def test_publish_refuses_tags_that_are_not_releases(git_repo: Repo, run_cli) -> None:
    git_repo.git("tag", "v1")
    result = run_cli("--forge", "local", "release", "publish", "--tag", "v1", repo=git_repo.path)
    assert result.code == 1 and "not a release tag" in result.stderr
    assert not (git_repo.path / ".leadforge").exists()


def test_a_configured_tag_prefix_is_honoured(git_repo: Repo, run_cli) -> None:
    git_repo.write(".github/leadforge.yml", "release:\n  tag_prefix: release-\n")
    tagged(git_repo, "feat: a", tag="release-1.0.0")
    tagged(git_repo, "feat: b", tag="v9.0.0")  # not a release under this prefix
    tagged(git_repo, "fix: c", tag="release-1.0.1")
    context = json.loads(run_cli("release", "notes", "--tag", "release-1.0.1", "--json", repo=git_repo.path).stdout)
    assert context["previous"] == "release-1.0.0"
    assert sorted(c["subject"] for g in context["groups"] for c in g["commits"]) == ["b", "c"]
    nxt = json.loads(run_cli("release", "next-version", "--json", repo=git_repo.path).stdout)
    assert (nxt["current"], nxt["next"]) == ("release-1.0.1", None)


@pytest.mark.integration
def test_dry_run_publish_writes_no_screenshots(git_repo: Repo, run_cli) -> None:
    pytest.importorskip("leadforge.visual.release")
    _png(git_repo.path / "screenshots/baseline/home-1280x800.png", (255, 255, 255))
    tagged(git_repo, "feat: one", tag="v1.0.0")
    result = run_cli("--forge", "local", "--dry-run", "release", "publish", "--tag", "v1.0.0", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert not (git_repo.path / "screenshots/releases").exists() and not (git_repo.path / ".leadforge").exists()


# ---- next-version for scripts: the tag alone on stdout -----------------------------------------------------


def test_next_version_prints_only_the_tag_and_explains_on_stderr(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.2.3")
    tagged(git_repo, "fix: a", "feat: b")
    result = run_cli("release", "next-version", repo=git_repo.path)
    assert (result.code, result.stdout) == (0, "v1.3.0\n")
    assert result.stderr == "v1.3.0: minor bump from v1.2.3 (2 commits since v1.2.3, 0 breaking)\n"


def test_next_version_with_nothing_to_release_prints_nothing_and_exits_4(git_repo: Repo, run_cli, tmp_path: Path) -> None:
    tagged(git_repo, tag="v1.2.3")
    tagged(git_repo, "docs: only docs")
    output = tmp_path / "output.txt"
    output.touch()
    result = run_cli("release", "next-version", repo=git_repo.path, env={"GITHUB_OUTPUT": str(output)})
    assert (result.code, result.stdout) == (4, "")
    assert result.stderr == "no release needed: 1 commit since v1.2.3, none breaking or of type feat, fix, perf\n"
    assert "next-version=\n" in output.read_text() and "bump=none\n" in output.read_text()
    data = run_cli("release", "next-version", "--json", repo=git_repo.path)
    assert data.code == 0 and json.loads(data.stdout)["next"] is None  # --json says it in the data
    empty = run_cli("release", "next-version", "--from", "HEAD", repo=git_repo.path)
    assert (empty.code, empty.stdout) == (4, "") and "0 commits since HEAD" in empty.stderr


# ---- skip lists ------------------------------------------------------------------------------------------


def test_blame_ignore_revs_and_cliffignore_keep_commits_out_of_the_notes(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    reformat = git_repo.commit("style: reformat", {"a.py": "x = 1\n"})
    mislabelled = git_repo.commit("feat!: mislabelled", {"b.py": "y = 2\n"})
    git_repo.commit("fix: real fix", {"c.py": "z = 3\n"})
    git_repo.commit("chore: blame ignores the reformat", {".git-blame-ignore-revs": f"# formatting\n{reformat}\n"})
    git_repo.write(".cliffignore", f"{mislabelled[:10]}  # not a breaking feature\nnonsense\n")  # uncommitted: the tree counts
    result = run_cli("release", "notes", "--json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    subjects = [c["subject"] for g in json.loads(result.stdout)["groups"] for c in g["commits"]]
    assert subjects == ["real fix"]
    assert result.stderr == (
        "leadforge: warning: .cliffignore:2: 'nonsense' is not a commit id (4 to 64 hex digits); line ignored\n"
    )
    assert json.loads(run_cli("release", "next-version", "--json", repo=git_repo.path).stdout)["next"] == "v1.0.1"


def test_the_skip_lists_are_configurable(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    hidden = git_repo.commit("feat: hidden", {"a.py": "x\n"})
    git_repo.commit("fix: shown", {"b.py": "y\n"})
    git_repo.write(".cliffignore", f"{hidden}\n")
    git_repo.write(".github/release-skip", f"{hidden}\n")
    git_repo.write(".github/leadforge.yml", "release:\n  skip_commit_files: []\n")

    def shown() -> list[str]:
        groups = json.loads(run_cli("release", "notes", "--json", repo=git_repo.path).stdout)["groups"]
        return [c["subject"] for g in groups for c in g["commits"]]

    assert shown() == ["hidden", "shown"]
    git_repo.write(".github/leadforge.yml", "release:\n  skip_commit_files: [.github/release-skip]\n")
    assert shown() == ["shown"]


def test_a_commit_that_undoes_another_without_saying_revert_cancels_it(git_repo: Repo, run_cli) -> None:
    tagged(git_repo, tag="v1.0.0")
    theme = git_repo.commit("feat: dark theme", {"theme.css": "body { color: white }\n"})
    git_repo.git("revert", "--no-commit", theme)
    git_repo.git("commit", "-q", "-m", f"fix: light theme again\n\nThis reverts commit {theme}.")
    git_repo.commit("fix: kept", {"k.txt": "k\n"})
    squash_target = git_repo.commit("feat: widget", {"w.txt": "w\n"})
    git_repo.git("revert", "--no-commit", squash_target)
    squash = f'feat: importer (#9)\n\n* feat: importer\n\n* Revert "feat: widget"\n\nThis reverts commit {squash_target}.'
    git_repo.commit(squash, {"importer.py": "i\n"})
    context = json.loads(run_cli("release", "notes", "--json", repo=git_repo.path).stdout)
    assert [c["subject"] for g in context["groups"] for c in g["commits"]] == ["widget", "importer", "kept"]
