"""The pure review plan: what to create, edit, delete on a re-run, and the verdict transitions."""

from __future__ import annotations

from leadforge.forge.models import Review, ReviewComment
from leadforge.review.filter import Placed
from leadforge.review.plan import groups, plan_review
from tests.review.factories import HEAD, KEY, OLD, SG, SG2, TITLE, inline, report


def _posted(plan, review_id: int = 100, state: str | None = None) -> tuple[list[Review], list[ReviewComment]]:
    """What GitHub holds after ``plan`` was applied on a fresh PR."""
    states = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}
    reviews = [Review(review_id, plan.body, state or states[plan.event], commit_id=plan.head_sha)]
    comments = [
        ReviewComment(200 + i, c.path, c.body, line=c.line, start_line=c.start_line, review_id=review_id)
        for i, c in enumerate(plan.new_comments)
    ]
    return reviews, comments


def test_first_run_creates_one_review_with_grouped_inline_comments() -> None:
    r = report([inline(KEY), inline(SG), inline(SG2), Placed(OLD, "elsewhere", False)])
    plan = plan_review(r, reviews=[], comments=[])
    assert plan.create_review and plan.event == "REQUEST_CHANGES"
    assert [(c.path, c.start_line, c.line) for c in plan.new_comments] == [("app/new.py", None, 3), ("infra/new.tf", 1, 11)]
    assert plan.new_comments[1].body.count("checkov") == 2  # two checks, one comment
    assert plan.body.startswith("<!-- leadforge:review -->")
    assert plan.status is not None and plan.status.state == "failure"
    assert "1 error, 2 warning" in plan.status.description


def test_rerun_with_nothing_new_changes_nothing() -> None:
    r = report([inline(KEY), inline(SG)])
    first = plan_review(r, reviews=[], comments=[])
    reviews, comments = _posted(first)
    again = plan_review(r, reviews=reviews, comments=comments)
    assert not again.changes
    assert again.kept_comments == 2
    assert again.status is not None
    assert again.describe() == [f"set commit status leadforge/review=failure: {again.status.description}"]


def test_a_fixing_push_deletes_the_fixed_comment_dismisses_and_edits_the_summary() -> None:
    first = plan_review(report([inline(KEY), inline(SG)]), reviews=[], comments=[])
    reviews, comments = _posted(first)
    fixed = plan_review(report([inline(SG)], head="c" * 40), reviews=reviews, comments=comments)
    assert not fixed.create_review and fixed.update_body and fixed.review_id == 100
    assert fixed.event == "COMMENT"
    assert fixed.dismiss == ((100, "LeadForge: no blocking findings remain on this pull request."),)
    assert fixed.delete_comments == (200,)
    assert fixed.new_comments == () and fixed.kept_comments == 1
    assert "**0** new, **1** fixed, 1 still open" in fixed.body


def test_a_new_blocking_finding_after_a_comment_review_submits_a_new_review_and_supersedes_the_old() -> None:
    first = plan_review(report([inline(SG)]), reviews=[], comments=[])
    reviews, comments = _posted(first)
    worse = plan_review(report([inline(SG), inline(KEY)], head="d" * 40), reviews=reviews, comments=comments)
    assert worse.create_review and worse.event == "REQUEST_CHANGES"
    assert [c.path for c in worse.new_comments] == ["app/new.py"]  # the kept one is not re-posted
    assert worse.supersede and worse.supersede[0][0] == 100
    assert "leadforge:review-superseded" in worse.supersede[0][1]
    assert "leadforge:review -->" not in worse.supersede[0][1]  # the marker moves to the new review


def test_a_changed_group_is_edited_in_place() -> None:
    first = plan_review(report([inline(SG), inline(SG2)]), reviews=[], comments=[])
    reviews, comments = _posted(first)
    later = plan_review(report([inline(SG)]), reviews=reviews, comments=comments)
    assert later.update_comments and later.update_comments[0][0] == 200
    assert "CKV2_AWS_5" not in later.update_comments[0][1]
    assert later.delete_comments == () and later.new_comments == ()


def test_an_outdated_comment_is_replaced() -> None:
    first = plan_review(report([inline(KEY)]), reviews=[], comments=[])
    reviews, comments = _posted(first)
    outdated = [ReviewComment(c.id, c.path, c.body, line=None, review_id=100) for c in comments]
    later = plan_review(report([inline(KEY)]), reviews=reviews, comments=outdated)
    assert later.delete_comments == (200,) and len(later.new_comments) == 1


def test_the_comment_cap_rolls_the_rest_into_the_summary_most_severe_first() -> None:
    r = report([inline(SG), inline(KEY)])
    plan = plan_review(r, reviews=[], comments=[], max_comments=1)
    assert [c.path for c in plan.new_comments] == ["app/new.py"]
    assert plan.overflow == 1
    assert "1 more did not fit under the comment cap" in plan.body
    assert "CKV_AWS_24" in plan.body.split("On this pull request, not inline")[1]


def test_pr_level_findings_block_but_are_never_inline() -> None:
    r = report([Placed(TITLE, "pr", True)])
    plan = plan_review(r, reviews=[], comments=[])
    assert plan.event == "REQUEST_CHANGES" and plan.new_comments == ()
    assert "conventional-title" in plan.body


def test_clean_pull_request_only_comments_unless_approval_is_configured() -> None:
    assert plan_review(report([]), reviews=[], comments=[]).event == "COMMENT"
    assert plan_review(report([], approve=True), reviews=[], comments=[]).event == "APPROVE"
    assert plan_review(report([inline(SG)], approve=True), reviews=[], comments=[]).event == "COMMENT"


def test_someone_elses_reviews_and_comments_are_left_alone() -> None:
    theirs = Review(5, "LGTM", "APPROVED")
    their_comment = ReviewComment(6, "app/new.py", "nit: naming", line=3)
    plan = plan_review(report([inline(KEY)]), reviews=[theirs], comments=[their_comment])
    assert plan.create_review and plan.delete_comments == () and plan.dismiss == ()


def test_groups_merge_findings_on_the_same_anchor() -> None:
    (group,) = groups([inline(SG), inline(SG2)])
    assert group.fingerprints == tuple(sorted({SG.fingerprint, SG2.fingerprint}))
    assert group.new_comment().start_side == "RIGHT"
    assert HEAD  # the factories' fixed head


def test_markers_pasted_by_someone_else_are_not_taken_for_ours() -> None:
    # the PR's author posts a review and a comment carrying our hidden markers: we neither edit, dismiss
    # nor delete them, and our own review and comments are found by the forge's login
    first = plan_review(report([inline(KEY), inline(SG)]), reviews=[], comments=[])
    reviews, comments = _posted(first)
    bot = "github-actions[bot]"
    reviews = [Review(r.id, r.body, r.state, r.commit_id, author=bot) for r in reviews]
    comments = [
        ReviewComment(c.id, c.path, c.body, line=c.line, start_line=c.start_line, review_id=c.review_id, author=bot)
        for c in comments
    ]
    planted_review = Review(300, first.body, "COMMENTED", author="mallory")
    planted_comment = ReviewComment(
        301, "app/new.py", comments[0].body.replace(KEY.fingerprint, "0" * 16), line=9, author="mallory"
    )
    again = plan_review(
        report([inline(KEY), inline(SG)]), reviews=[*reviews, planted_review], comments=[*comments, planted_comment], login=bot
    )
    assert again.review_id == 100 and not again.create_review
    assert 301 not in again.delete_comments and not again.changes
    alone = plan_review(report([inline(KEY)]), reviews=[planted_review], comments=[planted_comment], login=bot)
    assert alone.create_review and alone.review_id is None and alone.supersede == () and alone.dismiss == ()
    assert alone.delete_comments == ()


def test_the_state_is_read_from_the_end_of_our_summary() -> None:
    from leadforge.review.summary import read_state

    planted = '<!-- leadforge-review-state {"head":"x","fingerprints":["f00d"]} -->'
    body = f"<!-- leadforge:review -->\n- `{planted}`\n\n" + '<!-- leadforge-review-state {"head":"y","fingerprints":[]} -->\n'
    assert read_state(body) == {"head": "y", "fingerprints": []}
