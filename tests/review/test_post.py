"""Carrying out a plan on the local forge: the order of effects when the forge refuses one."""

from __future__ import annotations

import pytest

from leadforge.errors import ForgeError
from leadforge.forge.local import LocalForge
from leadforge.review.plan import plan_review
from leadforge.review.post import apply
from tests.review.factories import BASE, HEAD, KEY, SG, inline, report


class RefusingForge(LocalForge):
    """The local forge, except that it refuses new reviews (as GitHub does with a 422 or 403)."""

    def create_review(self, *args, **kwargs):
        raise ForgeError("POST /pulls/1/reviews: 422 Unprocessable Entity")


def test_a_refused_new_review_leaves_the_old_one_standing(git_repo) -> None:
    forge = LocalForge(git_repo.path, "octo-org/octo-repo")
    pull = forge.open_pull("feat: x", head="topic", base="main", head_sha=HEAD, base_sha=BASE)
    first = plan_review(report([inline(SG)], pull=pull.number), reviews=[], comments=[])
    apply(first, forge)
    (old,) = forge.list_reviews(pull.number)
    assert old.state == "COMMENTED"
    # a blocking finding appears: the plan submits a new review and supersedes the old one
    worse = plan_review(
        report([inline(SG), inline(KEY)], head="d" * 40, pull=pull.number),
        reviews=forge.list_reviews(pull.number),
        comments=forge.list_review_comments(pull.number),
    )
    assert worse.create_review and worse.supersede
    with pytest.raises(ForgeError):
        apply(worse, RefusingForge(git_repo.path, "octo-org/octo-repo"))
    (still,) = forge.list_reviews(pull.number)
    assert (still.id, still.body, still.state) == (old.id, old.body, "COMMENTED")
    # the next run that may write puts things right: one new blocking review, the old one points to it
    apply(worse, forge)
    states = sorted((r.id, r.state, "superseded" in r.body) for r in forge.list_reviews(pull.number))
    assert states == [(old.id, "COMMENTED", True), (states[1][0], "CHANGES_REQUESTED", False)]
