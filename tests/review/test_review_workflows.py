"""review.yml -> review-post.yml through the workflow harness: the fork-safe two-workflow path.

Both are callers of LeadForge's reusable workflows (reusable-review.yml, reusable-review-post.yml) at this
same commit; the harness runs the called jobs as ``<caller job>/<job>``.

The pull_request run computes the review with a read-only token, leaves annotations and uploads
the artifact; the workflow_run run checks out only the base repository, downloads the artifact
and posts one review to the GitHub API double. Substitution (visible as ``replaced``): the
``tools`` step (``pipx install semgrep checkov``) would download from a registry, which tests must
not do; the project's ``.venv-tools`` scanners are used instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadforge.gitrepo import GitRepo
from leadforge.review.gitdiff import changed_files
from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness
from tests.scan.planted import Planted, make_planted

pytest_plugins = ["tests.apidouble.plugin"]
pytestmark = pytest.mark.integration

FORK = "fork-owner/octo-repo"
NO_DOWNLOADS = "true  # stands in for pipx install: the scanners come from the project's .venv-tools"


@pytest.fixture
def planted(tmp_path: Path) -> Planted:
    planted = make_planted(tmp_path / "repo")
    planted.git("checkout", "-q", "main")  # the default branch is what the remote's HEAD names
    return planted


def _pull_request_payload(planted: Planted) -> dict:
    return load_event(
        "pull_request.synchronize",
        **{
            "pull_request.number": 1,
            "number": 1,
            "pull_request.title": "feat: new client",
            "pull_request.head.ref": "feature",
            "pull_request.base.ref": "main",
            "pull_request.head.sha": planted.head,
            "pull_request.base.sha": planted.base,
            "pull_request.head.repo.full_name": FORK,
            "pull_request.draft": False,
        },
    )


def test_a_fork_pull_request_is_reviewed_by_two_workflows(planted: Planted, github_double, tmp_path: Path) -> None:
    # the opt-in coverage step stands for the project's tests: it writes a Cobertura report for app/new.py
    coverage = (
        'printf \'<coverage><packages><package><classes><class filename="app/new.py"><lines>'
        '<line number="2" hits="1"/><line number="4" hits="1"/><line number="7" hits="0"/>'
        '<line number="8" hits="0"/></lines></class></classes></package></packages></coverage>\' > coverage.xml'
    )
    harness = Harness(planted.path, root=tmp_path / "gh", api_double=github_double, vars={"LEADFORGE_COVERAGE_COMMAND": coverage})
    files = changed_files(GitRepo(planted.path), planted.base, planted.head)
    github_double.add_pull(
        "feat: new client",
        number=1,
        head="feature",
        base="main",
        head_sha=planted.head,
        base_sha=planted.base,
        files=files,
        head_repo=FORK,
    )

    # 1. pull_request: compute, annotate, upload — no write token, nothing posted
    computed = harness.run("review.yml", "pull_request", _pull_request_payload(planted), replace_run={"tools": NO_DOWNLOADS})
    assert computed.ok, computed.explain()
    assert computed.ran == ["review/review"]  # review.yml calls reusable-review.yml at this same commit
    job = computed.job("review/review")
    assert job.step("tools").replaced and not job.step("review").replaced
    assert "GITHUB_TOKEN" not in computed.job("review/review").step("review").env
    errors = [a for a in computed.annotations if a.level == "error"]
    assert {(a.file, a.line) for a in errors} >= {("app/new.py", 4)}
    assert not any(a.file in ("infra/old.tf", ".github/workflows/old.yml") for a in computed.annotations)
    assert any("Review (post) workflow posts the review" in a.message for a in computed.annotations)
    assert "LeadForge review: changes requested" in computed.summary
    artifact = json.loads((computed.artifacts["leadforge-review"] / "review.json").read_text())
    assert artifact["pull"] == 1 and artifact["head_sha"] == planted.head and artifact["head_repo"] == FORK
    assert (artifact["coverage"]["changed_lines"], artifact["coverage"]["covered"]) == (4, 2)
    assert any(f["rule"] == "changed-lines-coverage" and f["in_diff"] for f in artifact["findings"])
    assert github_double.pull_reviews(1) == []  # the fork's run could not (and did not) post

    # 2. workflow_run: the trusted poster, on the base repository's code only
    payload = load_event(
        "workflow_run.completed",
        **{
            "workflow_run.name": "Review",
            "workflow_run.event": "pull_request",
            "workflow_run.conclusion": "success",
            "workflow_run.head_sha": planted.head,
            "workflow_run.head_branch": "feature",
            "workflow_run.pull_requests": [],
        },
    )
    posted = harness.run("review-post.yml", "workflow_run", payload)
    assert posted.ok, posted.explain()
    assert posted.ran == ["post/post"]
    checkout = posted.uses_of("actions/checkout")[0]
    assert "ref" not in checkout.with_ and checkout.outputs["commit"] == planted.base  # never the fork's code
    (review,) = github_double.pull_reviews(1)
    assert review["state"] == "CHANGES_REQUESTED"
    where = {(c["path"], c["line"]) for c in github_double.pull_review_comments(1)}
    assert ("app/new.py", 4) in where and ("infra/new.tf", 11) in where
    assert github_double.statuses[planted.head][0]["state"] == "failure"

    # 3. the poster runs again (a re-run in the Actions UI): nothing new is posted
    again = harness.run("review-post.yml", "workflow_run", payload)
    assert again.ok, again.explain()
    assert len(github_double.pull_reviews(1)) == 1
    assert len(github_double.pull_review_comments(1)) == len(where)
    assert github_double.count("pulls/create-review") == 1


def test_the_poster_ignores_runs_that_were_not_pull_requests(planted: Planted, github_double, tmp_path: Path) -> None:
    harness = Harness(planted.path, root=tmp_path / "gh", api_double=github_double)
    payload = load_event("workflow_run.completed", **{"workflow_run.name": "Review", "workflow_run.event": "push"})
    result = harness.run("review-post.yml", "workflow_run", payload)
    assert result.ok and result.ran == []


SCANNERS_OFF = "version: 1\nscan:\n  semgrep: {enabled: false}\n  checkov: {enabled: false}\n"  # detect-secrets still runs


def test_the_callers_init_writes_review_and_post_a_pull_request(git_repo: Repo, github_double, tmp_path: Path) -> None:
    """`leadforge init --reusable` writes two callers for the review: leadforge-review.yml (untrusted, read-only)
    and leadforge-review-post.yml (workflow_run of "LeadForge review"), each calling LeadForge's reusable
    workflow pinned by SHA. semgrep and checkov are switched off in this repository's config (the scanners
    themselves are covered above); detect-secrets runs."""
    from tests.workflows.callers import render_callers

    git_repo.commit("chore: config", {".github/leadforge.yml": SCANNERS_OFF, "app/__init__.py": ""})
    base = git_repo.git("rev-parse", "HEAD")
    git_repo.git("checkout", "-q", "-b", "feature")
    head = git_repo.commit("feat: client", {"app/client.py": 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'})
    git_repo.git("checkout", "-q", "main")
    harness = Harness(
        git_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "user")
    )
    files = changed_files(GitRepo(git_repo.path), base, head)
    github_double.add_pull(
        "feat: client", number=1, head="feature", base="main", head_sha=head, base_sha=base, files=files, head_repo=FORK
    )
    payload = load_event(
        "pull_request.opened",
        **{
            "pull_request.number": 1,
            "number": 1,
            "pull_request.head.ref": "feature",
            "pull_request.base.ref": "main",
            "pull_request.head.repo.full_name": FORK,
            "pull_request.draft": False,
        },
    )
    computed = harness.run("leadforge-review.yml", "pull_request", payload)
    assert computed.ok, computed.explain()
    assert computed.ran == ["review/review"]
    job = computed.job("review/review")
    assert job.step("tools").outcome == "success" and not job.step("tools").replaced  # pipx links .venv-tools here
    assert job.concurrency == {"group": "leadforge-review-1", "cancel-in-progress": True}
    assert any(a.file == "app/client.py" and a.level == "error" for a in computed.annotations)
    assert json.loads((computed.artifacts["leadforge-review"] / "review.json").read_text())["head_sha"] == head
    finished = load_event(
        "workflow_run.completed",
        **{
            "workflow_run.name": "LeadForge review",
            "workflow_run.event": "pull_request",
            "workflow_run.conclusion": "success",
            "workflow_run.head_sha": head,
            "workflow_run.head_branch": "feature",
            "workflow_run.pull_requests": [],
        },
    )
    posted = harness.run("leadforge-review-post.yml", "workflow_run", finished)
    assert posted.ok, posted.explain()
    assert posted.ran == ["post/post"]
    (review,) = github_double.pull_reviews(1)
    assert review["state"] == "CHANGES_REQUESTED"
    assert ("app/client.py", 1) in {(c["path"], c["line"]) for c in github_double.pull_review_comments(1)}
    other = load_event("workflow_run.completed", **{"workflow_run.name": "Review", "workflow_run.event": "pull_request"})
    assert not harness.run("leadforge-review-post.yml", "workflow_run", other).triggered  # only after "LeadForge review"
