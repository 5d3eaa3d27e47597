"""Every workflow, composite action and issue form passes zizmor, the JSON schemas, actionlint (when installed)
and our rules; so do the callers `leadforge init --reusable` writes.

The file lists are computed at collection time, so a workflow someone adds is covered without
touching this file; each test is parametrized per file, so a failure names the file.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import PROJECT_ROOT
from tests.workflows import checks

WORKFLOWS = sorted(
    [*(PROJECT_ROOT / ".github" / "workflows").glob("*.yml"), *(PROJECT_ROOT / ".github" / "workflows").glob("*.yaml")]
)
ISSUE_TEMPLATES = PROJECT_ROOT / ".github" / "ISSUE_TEMPLATE"
ISSUE_FORMS = sorted(p for p in [*ISSUE_TEMPLATES.glob("*.yml"), *ISSUE_TEMPLATES.glob("*.yaml")] if p.stem != "config")
ISSUE_CONFIGS = sorted(p for p in [*ISSUE_TEMPLATES.glob("*.yml"), *ISSUE_TEMPLATES.glob("*.yaml")] if p.stem == "config")
ACTIONS = sorted([PROJECT_ROOT / "action.yml", *(PROJECT_ROOT / ".github" / "actions").glob("*/action.yml")])
CALLER_TEMPLATES = sorted((PROJECT_ROOT / "scripts" / "leadforge" / "scaffold" / "callers").glob("*.yml"))
BIN = Path(sys.prefix) / "bin"


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(PROJECT_ROOT).as_posix() if p.name == "action.yml" else p.name for p in paths]


def _tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.fail("zizmor is not installed: run ./setup.sh (it is a dev dependency)")
    return subprocess.run(
        [zizmor, "--offline", "--no-progress", "--color=never", "--format=plain", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    tool = _tool("check-jsonschema")
    if tool is None:
        pytest.fail("check-jsonschema is not installed: run ./setup.sh (it is a dev dependency)")
    return subprocess.run([tool, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120)


@functools.cache
def _schema_batch_ok(schema: str, paths: tuple[Path, ...]) -> bool:
    """One check-jsonschema run over all files (fast path); a failure sends each test to its own run."""
    tool = _tool("check-jsonschema")
    if tool is None or not paths:
        return False
    return subprocess.run([tool, "--builtin-schema", schema, *map(str, paths)], capture_output=True, timeout=300).returncode == 0


def _assert_schema(schema: str, path: Path, batch: list[Path]) -> None:
    if _schema_batch_ok(schema, tuple(batch)):
        return
    done = _check_jsonschema(schema, path)
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    assert done.returncode == 0, f"{shown} ({schema}):\n{done.stdout}{done.stderr}"


def test_there_are_workflows() -> None:
    assert WORKFLOWS, "no .github/workflows/*.yml found"
    assert any(p.name == "ci.yml" for p in WORKFLOWS)
    assert len(ACTIONS) >= 2 and len(CALLER_TEMPLATES) >= 8


@pytest.fixture(scope="module")
def rendered_callers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.workflows.callers import render_callers

    folder = render_callers(tmp_path_factory.mktemp("callers"))
    return {p.name: p for p in sorted(folder.glob("*.yml"))}


# ---- zizmor ------------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_zizmor_has_no_findings(workflow: Path) -> None:
    done = _zizmor(workflow)
    assert done.returncode == 0, f"zizmor --offline {workflow.relative_to(PROJECT_ROOT)}:\n{done.stdout}{done.stderr}"
    assert "No findings" in done.stdout + done.stderr


@pytest.mark.integration
@pytest.mark.parametrize("action", ACTIONS, ids=_ids(ACTIONS))
def test_zizmor_has_no_findings_in_actions(action: Path) -> None:
    done = _zizmor(action)
    assert done.returncode == 0, f"zizmor --offline {action.relative_to(PROJECT_ROOT)}:\n{done.stdout}{done.stderr}"
    assert "No findings" in done.stdout + done.stderr


@pytest.mark.integration
def test_zizmor_has_no_findings_in_the_callers(rendered_callers: dict[str, Path]) -> None:
    done = _zizmor(*rendered_callers.values())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


@pytest.mark.integration
def test_zizmor_catches_an_injection(tmp_path: Path) -> None:
    """The zizmor call really audits: a template injection and an unpinned action are reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
        '      - run: echo "${{ github.event.issue.title }}"\n',
        encoding="utf-8",
    )
    done = _zizmor(bad)
    assert done.returncode != 0
    assert "template-injection" in done.stdout and "unpinned-uses" in done.stdout


# ---- JSON schemas ----------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_workflow_schema(workflow: Path) -> None:
    _assert_schema("vendor.github-workflows", workflow, WORKFLOWS)


@pytest.mark.integration
@pytest.mark.parametrize("action", ACTIONS, ids=_ids(ACTIONS))
def test_action_schema(action: Path) -> None:
    _assert_schema("vendor.github-actions", action, ACTIONS)


@pytest.mark.integration
def test_caller_schema(rendered_callers: dict[str, Path]) -> None:
    for path in rendered_callers.values():
        _assert_schema("vendor.github-workflows", path, list(rendered_callers.values()))


@pytest.mark.integration
@pytest.mark.parametrize("form", ISSUE_FORMS, ids=_ids(ISSUE_FORMS))
def test_issue_form_schema(form: Path) -> None:
    _assert_schema("vendor.github-issue-forms", form, ISSUE_FORMS)


@pytest.mark.integration
@pytest.mark.parametrize("config", ISSUE_CONFIGS, ids=_ids(ISSUE_CONFIGS))
def test_issue_template_config_schema(config: Path) -> None:
    _assert_schema("vendor.github-issue-config", config, ISSUE_CONFIGS)


@pytest.mark.integration
def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    steps:\n      - run: echo hi\n", encoding="utf-8")  # no runs-on
    done = _check_jsonschema("vendor.github-workflows", bad)
    assert done.returncode != 0
    # a failing batch falls back to one run per file: the good file passes, the bad one names itself
    good = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
    _assert_schema("vendor.github-workflows", good, [bad, good])
    with pytest.raises(AssertionError, match=r"bad\.yml"):
        _assert_schema("vendor.github-workflows", bad, [bad, good])


# ---- actionlint (optional: its PyPI wrapper downloads a binary, which cannot happen offline) --------


@pytest.mark.integration
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_actionlint(workflow: Path) -> None:
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (optional: install the binary to enable this check)")
    done = subprocess.run([actionlint, "-no-color", str(workflow)], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 0, f"actionlint {workflow.name}:\n{done.stdout}{done.stderr}"


# ---- our rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", WORKFLOWS + ACTIONS, ids=_ids(WORKFLOWS + ACTIONS))
def test_house_rules(workflow: Path) -> None:
    findings = checks.check_all(workflow, name=workflow.relative_to(PROJECT_ROOT).as_posix())
    assert findings == [], "\n".join(findings)


def test_house_rules_for_the_callers(rendered_callers: dict[str, Path]) -> None:
    """Each caller is short, states its permissions, passes secrets only explicitly, pins LeadForge by SHA."""
    from leadforge.scaffold import LEADFORGE_REPOSITORY
    from tests.harness import load_workflow
    from tests.workflows.callers import PIN

    for name, path in rendered_callers.items():
        assert checks.check_all(path, name=name) == [], name
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 20, f"{name}: {len(text.splitlines())} lines"
        assert "inherit" not in text, name
        (job,) = load_workflow(path)["jobs"].values()
        assert job["permissions"], name
        reusable, _, ref = job["uses"].partition("@")
        assert reusable.startswith(f"{LEADFORGE_REPOSITORY}/.github/workflows/reusable-") and ref == PIN.sha, name
        assert (PROJECT_ROOT / reusable.removeprefix(f"{LEADFORGE_REPOSITORY}/")).is_file(), name
        assert f"@{PIN.sha} # {PIN.comment}" in text, name


GOOD = """\
on:
  pull_request_target:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE ${{ github.sha }} ${{ steps.x.outputs.y }}"
"""


def test_rules_accept_a_good_workflow() -> None:
    assert checks.check_permissions("w.yml", GOOD) == []
    assert checks.check_pins("w.yml", GOOD) == []
    assert checks.check_untrusted_in_run("w.yml", GOOD) == []
    assert checks.check_no_pr_head_checkout("w.yml", GOOD) == []


def test_rule_permissions_required() -> None:
    text = GOOD.replace("permissions: {}\n", "", 1)
    assert checks.check_permissions("w.yml", text) == [
        "w.yml:1: no top-level 'permissions:' (start from 'permissions: {}' and grant per job)"
    ]


@pytest.mark.parametrize("top", ["write-all", "{contents: write}", "{contents: read, issues: write}"])
def test_rule_no_write_permissions_at_the_top(top: str) -> None:
    findings = checks.check_permissions("w.yml", GOOD.replace("permissions: {}", f"permissions: {top}", 1))
    assert len(findings) == 1 and "grant write only to the job" in findings[0] and findings[0].startswith("w.yml:3:")
    assert checks.check_permissions("w.yml", GOOD.replace("permissions: {}", "permissions: {contents: read}", 1)) == []


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        ("actions/checkout@v4", "not pinned to a full 40-hex commit SHA"),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "needs the version comment '# v4.2.2'"),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.1.0", "needs the version comment '# v4.2.2'"),
        ("actions/checkout@0000000000000000000000000000000000000000 # v4.2.2", "differs from the pinned"),
        ("someone/action@0000000000000000000000000000000000000000 # v1.0.0", "is not in tests/workflows/pins.py"),
        ("docker://alpine:3", "not pinned to an image digest"),
    ],
)
def test_rule_pins(uses: str, expected: str) -> None:
    text = GOOD.replace("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", uses)
    findings = checks.check_pins("w.yml", text)
    assert len(findings) == 1 and expected in findings[0] and findings[0].startswith("w.yml:10:"), findings


def test_rule_pins_reads_every_uses() -> None:
    text = GOOD + "      - {uses: actions/checkout@v4}\n"
    findings = checks.check_pins("w.yml", text)
    assert len(findings) == 1 and "form the pin check cannot read" in findings[0]


def test_rule_pins_allows_local_actions() -> None:
    assert (
        checks.check_pins(
            "w.yml", GOOD.replace("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "./.github/actions/x")
        )
        == []
    )


@pytest.mark.parametrize(
    "expression",
    [
        "github.event.pull_request.title",
        "github.head_ref",
        "inputs.name",
        "github.event.issue.body || 'x'",
        "format('{0}', github.event.comment.body)",
    ],
)
def test_rule_untrusted_in_run(expression: str) -> None:
    text = GOOD + f"      - run: echo ${{{{ {expression} }}}}\n"
    findings = checks.check_untrusted_in_run("w.yml", text)
    assert len(findings) == 1 and "pass it through env:" in findings[0] and findings[0].startswith("w.yml:16:"), findings


def test_rule_untrusted_in_github_script() -> None:
    text = (
        GOOD
        + "      - uses: actions/github-script@v7\n        with:\n"
        + "          script: console.log('${{ github.event.issue.title }}')\n"
    )
    assert len(checks.check_untrusted_in_run("w.yml", text)) == 1


@pytest.mark.parametrize(
    "ref",
    [
        "${{ github.event.pull_request.head.sha }}",
        "${{ github.head_ref }}",
        "refs/pull/${{ github.event.number }}/merge",
        "${{ github.event.workflow_run.head_sha }}",
    ],
)
def test_rule_no_pr_head_checkout(ref: str) -> None:
    text = GOOD.replace("persist-credentials: false", f"persist-credentials: false\n          ref: {ref}")
    findings = checks.check_no_pr_head_checkout("w.yml", text)
    assert len(findings) == 1 and "checks out PR head code" in findings[0], findings
    # the same checkout in a plain pull_request workflow is fine (no secrets, read-only token)
    assert checks.check_no_pr_head_checkout("w.yml", text.replace("pull_request_target", "pull_request")) == []


def test_rule_no_pr_head_fetch_in_script() -> None:
    text = (
        GOOD.replace("on:\n  pull_request_target:", "on:\n  workflow_run:\n    workflows: [CI]")
        + "      - run: gh pr checkout 3\n"
    )
    findings = checks.check_no_pr_head_checkout("w.yml", text)
    assert len(findings) == 1 and "fetches PR head code" in findings[0]


# ---- every workflow is exercised through the harness --------------------------------------------------


def _harness_tests() -> dict[Path, str]:
    found = {}
    for path in (PROJECT_ROOT / "tests").rglob("test_*.py"):
        if path.resolve() == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "tests.harness" in text:
            found[path] = text
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS + CALLER_TEMPLATES, ids=_ids(WORKFLOWS + CALLER_TEMPLATES))
def test_workflow_has_a_harness_test(workflow: Path) -> None:
    """The house rule: every workflow (and every caller init writes) gets a test that runs it through tests/harness
    with a real payload."""
    users = [p.relative_to(PROJECT_ROOT).as_posix() for p, text in _harness_tests().items() if workflow.name in text]
    assert users, f"{workflow.name}: no test under tests/ runs it through the workflow harness (see docs/workflows.md)"


@pytest.mark.parametrize("action", ACTIONS, ids=_ids(ACTIONS))
def test_action_has_a_harness_test(action: Path) -> None:
    rel = action.relative_to(PROJECT_ROOT).as_posix()
    needle = "leadforge/leadforge@" if rel == "action.yml" else rel.removesuffix("/action.yml")
    users = [p for p, text in _harness_tests().items() if needle in text]
    assert users, f"{rel}: no test under tests/ runs it through the workflow harness"


@pytest.mark.integration
def test_scaffolded_workflows_stay_clean(tmp_path: Path) -> None:
    """What `leadforge init` writes into a user's repository (workflows rewritten to install the released
    package) passes zizmor, the schema and our rules too."""
    scaffold = pytest.importorskip("leadforge.scaffold")
    rels = [rel for rel in scaffold.template_files() if rel.startswith(".github/workflows/")]
    assert rels, "leadforge init offers no workflows"
    rels += [rel for rel in scaffold.template_files() if rel.endswith("/action.yml")]
    written = []
    for rel in rels:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = scaffold.SCAFFOLD_ROOT / scaffold.RENAMED.get(rel, rel)
        target.write_text(scaffold.adapt(rel, source.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(target)
    done = _zizmor(*written)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in written:
        assert checks.check_all(path, name=path.relative_to(tmp_path).as_posix()) == []
        schema = _check_jsonschema("vendor.github-actions" if path.name == "action.yml" else "vendor.github-workflows", path)
        assert schema.returncode == 0, schema.stdout + schema.stderr
