"""The optional AI review hands the PR to an agent profile; it never affects the verdict."""

from __future__ import annotations

import io
import os

from leadforge.app import App, Output
from leadforge.review.ai import hand_off
from leadforge.review.engine import Change
from leadforge.review.settings import AiReviewSettings


def _app(repo, dry_run: bool = False) -> App:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return App(repo=repo, forge_kind="local", env=env, dry_run=dry_run, out=Output(False, io.StringIO(), io.StringIO()))


def test_a_comment_profile_gets_one_comment_with_the_criteria(git_repo, local_forge) -> None:
    git_repo.write("profiles/reviewer.yml", 'name: reviewer\nhandoff:\n  comment: "@review-bot please review {id}: {title}"\n')
    pull = local_forge.open_pull("feat: x", head="topic", base="main")
    change = Change("", "", (), pull=pull.number, title="feat: x")
    settings = AiReviewSettings(profile="reviewer")
    app = _app(git_repo.path)
    app.__dict__["forge"] = local_forge  # the same state folder as the fixture's forge
    first = hand_off(app, change, settings)
    second = hand_off(app, change, settings)
    comments = local_forge.list_issue_comments(pull.number)
    assert len(comments) == 1
    assert "@review-bot please review PR-1: feat: x" in comments[0].body
    assert "docs/REVIEW_CRITERIA.md" in comments[0].body
    assert "created" in first and "unchanged" in second


def test_a_label_profile_and_a_dry_run(git_repo, local_forge) -> None:
    git_repo.write("profiles/bot.yml", "name: bot\nhandoff:\n  label: ai-review\n")
    pull = local_forge.open_pull("feat: x", head="topic", base="main")
    change = Change("", "", (), pull=pull.number, title="feat: x")
    dry = _app(git_repo.path, dry_run=True)
    dry.__dict__["forge"] = local_forge
    assert "would hand" in hand_off(dry, change, AiReviewSettings(profile="bot"))
    assert local_forge.get_issue(pull.number).labels == ()
    app = _app(git_repo.path)
    app.__dict__["forge"] = local_forge
    hand_off(app, change, AiReviewSettings(profile="bot"))
    assert local_forge.get_issue(pull.number).labels == ("ai-review",)


def test_an_unknown_profile_is_a_config_error(git_repo) -> None:
    import pytest

    from leadforge.errors import ConfigError

    with pytest.raises(ConfigError, match="no profile named 'ghost'"):
        hand_off(_app(git_repo.path), Change("", "", (), pull=1, title="t"), AiReviewSettings(profile="ghost"))
