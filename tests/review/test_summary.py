"""Golden review summaries, and the safety of what goes into them.

Regenerate after an intended template change: ``LEADFORGE_UPDATE_GOLDEN=1 pytest tests/review/test_summary.py``
and read the diff of ``tests/review/golden/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leadforge.errors import ConfigError
from leadforge.findings import Finding
from leadforge.forge.models import Review
from leadforge.review import summary
from leadforge.review.coverage import CoverageResult
from leadforge.review.filter import Placed
from leadforge.review.plan import plan_review
from tests.review.factories import KEY, OLD, SG, SG2, TITLE, inline, report

GOLDEN = Path(__file__).with_name("golden")
COVERAGE = CoverageResult(changed_lines=20, covered=15, percent=75.0, uncovered={"app/new.py": ((4, 5), (9, 9))}, threshold=80.0)


def _cases() -> dict[str, str]:
    clean = plan_review(report([]), reviews=[], comments=[]).body
    blocking = plan_review(
        report(
            [inline(KEY), inline(SG), inline(SG2), Placed(TITLE, "pr", True), Placed(OLD, "elsewhere", False)],
            coverage=COVERAGE,
            notes=("checkov: timed out after 300s",),
        ),
        reviews=[],
        comments=[],
        criteria_url="https://github.com/octo-org/octo-repo/blob/main/docs/REVIEW_CRITERIA.md",
    ).body
    previous = Review(1, blocking, "CHANGES_REQUESTED")
    after_fix = plan_review(
        report([inline(SG), inline(SG2)], head="c" * 40, coverage=COVERAGE), reviews=[previous], comments=[]
    ).body
    return {"clean": clean, "blocking": blocking, "after-fix": after_fix}


@pytest.mark.parametrize("case", ["clean", "blocking", "after-fix"])
def test_summary_matches_golden(case: str) -> None:
    text = _cases()[case]
    path = GOLDEN / f"{case}.md"
    if os.environ.get("LEADFORGE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_untrusted_text_cannot_plant_markers_html_or_mentions() -> None:
    evil = Finding("semgrep", "x`y", "error", "a.py", 1, message="<!-- leadforge:review --> <img src=x> @maintainers | pipe")
    body = plan_review(report([Placed(evil, "file", True)]), reviews=[], comments=[]).body
    assert body.count("<!-- leadforge:review -->") == 1  # only ours, on the first line
    assert "<img" not in body and "&lt;img src=x&gt;" in body
    assert "@maintainers" not in body and "@\u200bmaintainers" in body
    assert "x'y" in body


def test_state_round_trips_and_ignores_garbage() -> None:
    body = summary.with_state("hi", head="a" * 40, fingerprints=["f2", "f1", "f1"])
    assert summary.read_state(body) == {"head": "a" * 40, "fingerprints": ["f1", "f2"]}
    assert summary.read_state("<!-- leadforge-review-state {nope} -->") is None
    assert summary.read_state("no state") is None


def test_a_users_template_is_used_and_a_broken_one_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("Verdict {{ verdict }} with {{ counts.error }} error(s)")
    text = summary.load_template(tmp_path, "t.md.j2")
    assert summary.render(report([inline(KEY)]), inline=[], template=text) == "Verdict REQUEST_CHANGES with 1 error(s)\n"
    with pytest.raises(ConfigError, match=r"review\.template"):
        summary.render(report([]), inline=[], template="{{ nope.missing }}")
    with pytest.raises(ConfigError, match="cannot read"):
        summary.load_template(tmp_path, "absent.j2")


def test_the_template_sandbox_blocks_unsafe_attribute_access() -> None:
    with pytest.raises(ConfigError):
        summary.render(report([]), inline=[], template="{{ verdict.__class__.__mro__ }}")


def test_the_summary_counts_the_comments_posted_and_lists_them() -> None:
    # SG and SG2 sit on the same lines: one comment carries both, so three findings make two comments
    plan = plan_review(report([inline(KEY), inline(SG), inline(SG2)]), reviews=[], comments=[])
    assert len(plan.new_comments) == 2
    assert "3 are in 2 inline comments." in plan.body
    listed = [line for line in plan.body.splitlines() if line.startswith("- `")]
    assert listed == [
        "- `app/new.py:3` **error**: secrets `aws-access-key`",
        "- `infra/new.tf:1-11` **warning**: checkov `CKV2_AWS_5`, checkov `CKV_AWS_24`",
    ]

    capped = plan_review(report([inline(KEY), inline(SG), inline(SG2)]), reviews=[], comments=[], max_comments=1)
    assert len(capped.new_comments) == 1
    assert "1 is in 1 inline comment; 2 more did not fit under the comment cap" in capped.body
    context = summary.context(report([inline(SG), inline(SG2)]), inline=[], comments=[])
    assert (context["inline_total"], context["inline_findings_total"], context["inline"]) == (0, 0, [])
