"""ci.yml through the workflow harness, with GitHub's real push and pull_request payloads.

The run is honest about two substitutions, both visible in the result:
* the ``setup`` step (``./setup.sh``) is replaced by linking the project's already set-up ``.venv`` into
  the workspace: the real script installs from package registries, which a unit test must not do;
* the ``test`` step runs unchanged, and the runner environment sets ``PYTEST_ADDOPTS`` to one small
  test file, so pytest in the workspace runs that file instead of recursing into this whole suite.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.fixtures.events import load_event
from tests.harness import PROJECT_ROOT, Harness, load_workflow
from tests.workflows.pins import PINS

CI = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
SMOKE = "tests/workflows/test_pins.py"
LINK_VENV = f'ln -s "{Path(sys.prefix)}" .venv  # stands in for ./setup.sh (no registry downloads in tests)'


def _committed(path: str) -> bool:
    import subprocess

    return subprocess.run(["git", "cat-file", "-e", f"HEAD:{path}"], cwd=PROJECT_ROOT, capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(
    not (PROJECT_ROOT / ".git").exists() or not _committed(SMOKE) or not _committed(".github/workflows/ci.yml"),
    reason="needs the project as a git repository with ci.yml and the smoke test committed",
)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(PROJECT_ROOT, root=tmp_path / "gh", env={"PYTEST_ADDOPTS": f"-q {SMOKE}"})


def _push_main() -> dict:
    return load_event("push", ref="refs/heads/main")


def test_push_to_main_sets_up_and_runs_the_tests(harness: Harness) -> None:
    result = harness.run("ci.yml", "push", _push_main(), replace_run={"setup": LINK_VENV})
    assert result.ok, result.explain()
    assert result.ran == ["test"]
    job = result.job("test")
    assert [s.id or s.name for s in job.steps] == [
        "actions/checkout",
        "actions/setup-python",
        "setup",
        "test",
        "Upload the test report",
    ]
    assert job.step("setup").replaced and not job.step("test").replaced
    test = job.step("test")
    assert test.command == '.venv/bin/python -m pytest -p no:cacheprovider --junitxml="$RUNNER_TEMP/junit.xml"'
    assert test.exit_code == 0
    assert "3 passed" in test.stdout
    # the checkout was of the pushed commit, without persisted credentials
    checkout = result.uses_of("actions/checkout")[0]
    assert checkout.with_ == {"persist-credentials": False}
    assert checkout.ref == PINS["actions/checkout"].sha
    assert checkout.outputs["commit"] == result.env["GITHUB_SHA"]
    # the JUnit report is uploaded and names the smoke tests
    report = result.artifacts["junit"] / "junit.xml"
    cases = {case.get("name") for case in ET.parse(report).iter("testcase")}
    assert "test_docs_table_matches_pins" in cases and len(cases) == 3


def test_failing_tests_fail_the_run_and_the_report_is_still_uploaded(harness: Harness) -> None:
    result = harness.run(
        "ci.yml",
        "push",
        _push_main(),
        replace_run={"setup": LINK_VENV},
        env={"PYTEST_ADDOPTS": f"-q {SMOKE} -k no_such_test"},  # pytest exit 5: nothing collected
    )
    assert not result.ok
    job = result.job("test")
    assert job.result == "failure"
    assert job.step("test").exit_code == 5
    upload = job.step("Upload the test report")
    assert upload.outcome == "success"  # if: always()
    assert "junit" in result.artifacts
    assert any(a.level == "error" and "exit code 5" in a.message for a in result.annotations)


def test_pull_request_events_trigger_ci(harness: Harness) -> None:
    for name in ("pull_request.opened", "pull_request.synchronize", "pull_request.reopened"):
        result = harness.run("ci.yml", "pull_request", load_event(name), replace_run={"setup": LINK_VENV})
        assert result.ok, result.explain()
        assert result.env["GITHUB_REF"] == f"refs/pull/{load_event(name)['number']}/merge"


@pytest.mark.parametrize(
    ("event", "payload", "why"),
    [
        ("pull_request", load_event("pull_request.closed"), "not in types"),
        ("push", load_event("push", ref="refs/heads/feature"), "does not match branches"),
        ("push", load_event("push.tag"), "only branch filters"),
        ("issues", load_event("issues.opened"), "no 'issues' trigger"),
    ],
)
def test_other_events_do_not_trigger_ci(harness: Harness, event: str, payload: dict, why: str) -> None:
    result = harness.run("ci.yml", event, payload)
    assert not result.triggered and result.jobs == []
    assert why in result.decision.reason


def test_least_privilege_and_pr_concurrency(harness: Harness) -> None:
    doc = load_workflow(CI)
    assert doc["permissions"] == {}
    assert doc["jobs"]["test"]["permissions"] == {"contents": "read"}
    pr = harness.run("ci.yml", "pull_request", load_event("pull_request.synchronize"), jobs=[], align_payload=False)
    assert pr.concurrency == {"group": "ci-2", "cancel-in-progress": True}  # a new push to the PR cancels the old run
    push = harness.run("ci.yml", "push", _push_main(), jobs=[])
    assert push.concurrency == {"group": "ci-refs/heads/main", "cancel-in-progress": False}  # every push to main finishes
