"""One contract, two forges: every scenario gives the same result on LocalForge and on GitHubForge.

Each scenario drives the ``Forge`` protocol only (plus seeding, which plays GitHub's users),
asserts the behaviour it is about, and returns a transcript with the forge-specific parts
(ids, URLs, timestamps, our own login) removed; the transcripts of both forges must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from leadforge.errors import ForgeError, NotFoundError
from leadforge.forge.base import Forge, marker, replace_asset, upsert_issue_comment, upsert_release
from leadforge.forge.local import LocalForge
from leadforge.forge.models import ChangedFile, CheckAnnotation, CommitStatus, NewReviewComment
from tests.apidouble import GitHubDouble

HEAD, BASE = "1" * 40, "2" * 40
PATCH = "@@ -1,3 +1,4 @@\n one\n-two\n+2\n+2b\n three"
VOLATILE = {
    "id",
    "url",
    "created_at",
    "updated_at",
    "submitted_at",
    "author",
    "review_id",
    "target",
    "additions",
    "deletions",
    "changed_files",
}  # PR totals: LocalForge does not derive them from files


class Side:
    """A forge plus the seeding that stands in for other GitHub users."""

    def __init__(self, forge: Forge, kind: str) -> None:
        self.forge = forge
        self.kind = kind

    def issue(self, title: str, body: str = "", labels: tuple[str, ...] = (), author: str = "alice") -> int:
        raise NotImplementedError

    def pull(self, title: str, head: str, files: list[ChangedFile], commits: list[str]) -> int:
        raise NotImplementedError

    def comment_as(self, number: int, body: str, author: str) -> None:
        raise NotImplementedError

    def permission(self, user: str, role: str) -> None:
        raise NotImplementedError

    def dispatches(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def premium_usage(self, user: str, date: str, *, quantity: float, net: float | None = None) -> None:
        raise NotImplementedError


class LocalSide(Side):
    forge: LocalForge

    def issue(self, title, body="", labels=(), author="alice"):
        return self.forge.open_issue(title, body, labels=labels, author=author).number

    def pull(self, title, head, files, commits):
        number = self.forge.open_pull(
            title, head=head, base="main", head_sha=HEAD, base_sha=BASE, files=files, labels=["ai-task"], author="alice"
        ).number
        self.forge.update_pull(number, commits=commits)
        return number

    def comment_as(self, number, body, author):
        self.forge.add_comment_as(number, body, author)

    def permission(self, user, role):
        self.forge.set_permission(user, role)

    def dispatches(self):
        return [{k: v for k, v in d.items() if k != "at"} for d in self.forge.dispatches()]

    def premium_usage(self, user, date, *, quantity, net=None):
        self.forge.add_premium_usage(user, date, quantity=quantity, net=net)


class GitHubSide(Side):
    def __init__(self, forge: Forge, kind: str, double: GitHubDouble) -> None:
        super().__init__(forge, kind)
        self.double = double

    def issue(self, title, body="", labels=(), author="alice"):
        return self.double.add_issue(title, body, labels=labels, author=author)

    def pull(self, title, head, files, commits):
        return self.double.add_pull(
            title,
            head=head,
            base="main",
            head_sha=HEAD,
            base_sha=BASE,
            files=files,
            commits=commits,
            labels=["ai-task"],
            author="alice",
        )

    def comment_as(self, number, body, author):
        self.double.add_comment(number, body, author=author)

    def permission(self, user, role):
        self.double.set_permission(user, role)

    def dispatches(self):
        return list(self.double.dispatches)

    def premium_usage(self, user, date, *, quantity, net=None):
        self.double.add_premium_usage(user, date, quantity=quantity, net=net)


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[dict[str, Side]]:
    from tests.conftest import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    with GitHubDouble() as double:
        yield {
            "local": LocalSide(LocalForge(repo, double.repository), "local"),
            "github": GitHubSide(double.forge(), "github", double),
        }
        double.assert_clean()


def norm(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: norm(v) for k, v in asdict(value).items() if k not in VOLATILE}
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    return value


# ---- scenarios ---------------------------------------------------------------------------------


def issues_and_labels(side: Side, tmp: Path) -> Any:
    f = side.forge
    seeded = side.issue("Bug report", "It breaks", labels=("bug",))
    task = f.create_issue("Task", "do it", labels=["ai-task"]).number
    f.add_labels(seeded, ["triage", "bug"])
    f.remove_label(seeded, "bug")
    f.remove_label(seeded, "absent")
    f.add_assignees(seeded, ["octocat"])
    f.add_assignees(seeded, ["octocat", "hubot"])
    updated = f.update_issue(task, body="done soon")
    f.close_issue(task)
    got = f.get_issue(seeded)
    assert got.labels == ("triage",) and got.assignees == ("octocat", "hubot")
    return [got, updated, f.list_issues(), f.list_issues(state="closed"), f.list_issues(state="all", labels=["triage"])]


def comment_upserts(side: Side, tmp: Path) -> Any:
    f = side.forge
    number = side.issue("t")
    side.comment_as(number, "/lgtm", "maintainer")
    outcomes = [upsert_issue_comment(f, number, "summary", body)[1] for body in ("v1", "v1", "v2")]
    upsert_issue_comment(f, number, "other", "x")
    assert outcomes == ["created", "unchanged", "updated"]
    comments = f.list_issue_comments(number)
    assert [c.body for c in comments] == ["/lgtm", f"{marker('summary')}\nv2", f"{marker('other')}\nx"]
    return [outcomes, comments, [c.author for c in comments][:1]]


def pull_requests(side: Side, tmp: Path) -> Any:
    f = side.forge
    side.issue("first an issue")
    files = [
        ChangedFile("src/a.py", "modified", 2, 1, PATCH),
        ChangedFile("logo.png", "added"),
        ChangedFile("new.md", "renamed", previous_path="old.md"),
    ]
    number = side.pull("Feature", "feature", files, ["3" * 40, HEAD])
    pull = f.get_pull(number)
    assert (pull.number, pull.head_ref, pull.head_sha, pull.base_sha) == (2, "feature", HEAD, BASE)
    return [
        pull,
        f.list_pull_files(number),
        f.list_pull_commits(number),
        f.list_pulls(head="feature"),
        f.list_pulls(base="other"),
        f.get_issue(number).is_pull_request,
        f.list_issues(state="all"),
    ]


def reviews(side: Side, tmp: Path) -> Any:
    f = side.forge
    number = side.pull("Feature", "feature", [ChangedFile("src/a.py", "modified", 2, 1, PATCH)], [HEAD])
    review = f.create_review(
        number,
        commit_sha=HEAD,
        body=f"{marker('review')}\nfix",
        event="REQUEST_CHANGES",
        comments=[NewReviewComment("src/a.py", 2, "here"), NewReviewComment("src/a.py", 3, "range", start_line=2)],
    )
    approve = f.create_review(number, commit_sha=HEAD, body="ok", event="APPROVE")
    f.update_review(number, review.id, "fixed?")
    f.dismiss_review(number, review.id, "superseded")
    single = f.create_review_comment(number, commit_sha=HEAD, comment=NewReviewComment("src/a.py", 2, "old", side="LEFT"))
    f.update_review_comment(single.id, "old line")
    extra = f.create_review_comment(number, commit_sha=HEAD, comment=NewReviewComment("src/a.py", 4, "bye"))
    f.delete_review_comment(extra.id)
    listed = f.list_reviews(number)
    assert [r.state for r in listed] == ["DISMISSED", "APPROVED"]
    comments = f.list_review_comments(number)
    assert [c.review_id for c in comments] == [review.id, review.id, None]
    return [review, approve, listed, comments]


def statuses_and_checks(side: Side, tmp: Path) -> Any:
    f = side.forge
    f.create_status(HEAD, CommitStatus("leadforge/scan", "pending", "running"))
    f.create_status(HEAD, CommitStatus("leadforge/visual", "success", "no diffs", "https://ci.example/1"))
    f.create_status(HEAD, CommitStatus("leadforge/scan", "failure", "2 findings"))
    notes = [CheckAnnotation("a.py", 1, 2, "failure", "bad", title="rule-1")]
    run = f.create_check_run(
        name="scan", head_sha=HEAD, conclusion="failure", title="2 findings", summary="see", annotations=notes
    )
    f.create_check_run(name="visual", head_sha=HEAD, status="in_progress")
    with pytest.raises(ForgeError):
        f.create_status(HEAD, CommitStatus("x", "green"))
    return [f.list_statuses(HEAD), f.list_statuses(BASE), run, f.list_check_runs(HEAD), f.list_check_runs(BASE)]


def releases(side: Side, tmp: Path) -> Any:
    f = side.forge
    outcomes = [
        upsert_release(f, tag="v1.0.0", name="1.0.0", body=body, draft=draft)[1]
        for body, draft in (("notes", True), ("notes", True), ("notes", False), ("more notes", False))
    ]
    assert outcomes == ["created", "unchanged", "updated", "updated"]
    release = f.get_release_by_tag("v1.0.0")
    artefact = tmp / f"{side.kind}-report.json"
    for content in ("{}", '{"ok": true}'):
        artefact.write_text(content)
        current = f.get_release_by_tag("v1.0.0")
        assert current is not None
        replace_asset(f, current, artefact, name="report.json")
    pre = f.create_release(tag="v2.0.0-rc.1", name="rc", body="", prerelease=True)
    with pytest.raises(ForgeError):
        f.create_release(tag="v2.0.0-rc.1", name="again", body="")
    return [outcomes, release, f.get_release_by_tag("v1.0.0"), pre, f.get_release_by_tag("v9")]


def repository(side: Side, tmp: Path) -> Any:
    f = side.forge
    side.permission("maintainer", "maintain")
    side.permission("outsider", "none")
    f.dispatch_workflow("deploy.yml", "main", {"environment": "staging"})
    f.repository_dispatch("leadforge-task", {"issue": 3, "labels": ["ai-task"]})
    return [f.get_permission("maintainer"), f.get_permission("outsider"), f.get_permission("somebody"), side.dispatches()]


def missing_things(side: Side, tmp: Path) -> Any:
    f = side.forge
    side.issue("only an issue")
    calls: dict[str, Callable[[], Any]] = {
        "get_issue": lambda: f.get_issue(99),
        "get_pull": lambda: f.get_pull(1),
        "comments": lambda: f.list_issue_comments(99),
        "update_comment": lambda: f.update_issue_comment(9999, "x"),
        "update_release": lambda: f.update_release(9999, body="x"),
        "delete_asset": lambda: f.delete_asset(9999),
        "delete_review_comment": lambda: f.delete_review_comment(9999),
        "close": lambda: f.close_issue(99),
    }
    raised = {}
    for name, call in calls.items():
        with pytest.raises(NotFoundError) as caught:
            call()
        raised[name] = type(caught.value).__name__
        assert "\n" not in str(caught.value)
    return raised


def premium_requests(side: Side, tmp: Path) -> Any:
    f = side.forge
    side.premium_usage("copilot-bot", "2026-03-09", quantity=50, net=1.0)  # part of it inside the allowance
    side.premium_usage("copilot-bot", "2026-03-10", quantity=10)
    side.premium_usage("someone-else", "2026-03-10", quantity=7)
    side.premium_usage("copilot-bot", "2026-04-01", quantity=3)  # another month
    org = "octo-org"  # the double's repository owner
    day = f.premium_request_usage(org, year=2026, month=3, day=9, user="copilot-bot")
    month = f.premium_request_usage(org, year=2026, month=3, user="copilot-bot")
    everyone = f.premium_request_usage(org, year=2026, month=3)
    (item,) = day["usageItems"]
    assert (item["grossQuantity"], item["netAmount"], item["discountQuantity"], item["netQuantity"]) == (50, 1.0, 25.0, 25.0)
    assert [i["grossQuantity"] for i in month["usageItems"]] == [50, 10]
    assert len(everyone["usageItems"]) == 3
    return [day, month, everyone]


SCENARIOS = [
    issues_and_labels,
    comment_upserts,
    pull_requests,
    reviews,
    statuses_and_checks,
    releases,
    repository,
    missing_things,
    premium_requests,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_both_forges_agree(scenario: Callable[[Side, Path], Any], sides: dict[str, Side], tmp_path: Path) -> None:
    local = norm(scenario(sides["local"], tmp_path))
    github = norm(scenario(sides["github"], tmp_path))
    assert github == local


@pytest.mark.parametrize("kind", ["local", "github"])
def test_both_satisfy_the_protocol(kind: str, sides: dict[str, Side]) -> None:
    assert isinstance(sides[kind].forge, Forge)
