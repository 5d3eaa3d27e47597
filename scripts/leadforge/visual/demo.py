"""Demo stage: a UI change in a pull request, seen as before/after/diff in the PR comment, then approved.

The demo repository gets a small landing page (``site/``) and a ``visual:`` config; the
maintainer captures the accepted baseline on main. A pull request turns the "Sign up" button
green and renames it: ``leadforge visual capture`` screenshots the PR with Chromium, ``leadforge
visual pr`` compares with the baseline (the check fails), publishes the images to the assets
branch and upserts the PR comment. A maintainer comments ``/leadforge approve-visual``: the new
baseline is committed on top of the PR head, the check turns green, and the PR is merged, so
the release stage finds the accepted screenshots.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from leadforge.demo import Demo

NEEDS = ("playwright", "numpy", "PIL")  # optional modules (leadforge.extras): capture drives Chromium; diffs read PNGs

BRANCH = "ui/green-signup"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme</title>
<style>
  body {{ margin: 0; font-family: sans-serif; background: #f6f7fb; color: #1d2433; }}
  header {{ background: #1d2433; color: #fff; padding: 14px 24px; font-size: 20px; }}
  main {{ padding: 32px 24px; }}
  h1 {{ font-size: 28px; margin: 0 0 12px; }}
  p {{ max-width: 420px; line-height: 1.5; }}
  .cta {{ display: inline-block; margin-top: 12px; padding: 12px 22px; border-radius: 8px;
          background: {colour}; color: #fff; font-weight: bold; text-decoration: none; }}
  #clock {{ position: absolute; top: 14px; right: 24px; width: 90px; height: 22px; overflow: hidden; }}
</style></head>
<body>
  <header>Acme <span id="clock"></span></header>
  <main>
    <h1>Ship faster with Acme</h1>
    <p>Plans for teams of every size. No credit card needed.</p>
    <a class="cta" href="#signup">{label}</a>
  </main>
  <script>setInterval(() => {{ document.getElementById("clock").textContent = new Date().toISOString(); }}, 100);</script>
</body></html>
"""

VISUAL_CONFIG = {
    "app": {"static": "site"},
    "pages": [
        {
            "name": "landing",
            "path": "/index.html",
            "viewports": ["480x320"],
            "full_page": False,
            "mask": ["#clock"],
            "wait_for": ".cta",
        }
    ],
}


def _write_page(root: Path, colour: str, label: str) -> None:
    folder = root / "site"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(PAGE.format(colour=colour, label=label), encoding="utf-8")


def _add_visual_config(root: Path) -> None:
    from ruamel.yaml import YAML

    path = root / ".github" / "leadforge.yml"
    yaml = YAML(typ="rt")
    data = yaml.load(path.read_text(encoding="utf-8")) if path.is_file() else None
    data = data if data is not None else {}
    data["visual"] = VISUAL_CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def run_stage(demo: Demo) -> dict[str, Any]:
    root = demo.root
    git = demo.git
    base_branch = git.current_branch()

    # main: the page and its accepted screenshot
    _write_page(root, "#3559e0", "Sign up")
    _add_visual_config(root)
    demo.cli("config", "validate")
    demo.commit("feat(site): landing page", ["site", ".github/leadforge.yml"])
    baseline = demo.cli("visual", "capture", "--baseline", "--json").json()
    demo.check(baseline["files"] == ["landing-480x320.png"], "capture --baseline wrote landing-480x320.png")
    demo.commit("test(visual): accept the landing page screenshot", ["screenshots/baseline"])

    # the pull request: a green, renamed button
    git.create_branch(BRANCH, checkout=True)
    _write_page(root, "#1f9d55", "Start free trial")
    head = demo.commit("feat(site): green call to action", ["site"])
    pull = demo.forge.open_pull("Green call to action", head=BRANCH, base=base_branch, head_sha=head, author="claude-code")
    current = demo.out / "work" / "visual" / "current"
    demo.cli("visual", "capture", "--out", str(current))
    report_dir = demo.out / "work" / "visual" / "report"
    step = demo.cli("visual", "pr", "--current", str(current), "--out", str(report_dir), "--pr", str(pull.number), "--json")
    result = step.json()
    landing = next(e for e in result["entries"] if e["page"] == "landing")
    demo.check(landing["status"] == "failed" and landing["ratio"] > 0, "the changed button fails the visual check")
    comments = demo.forge.list_issue_comments(pull.number)
    demo.check(len(comments) == 1 and "Visual check failed" in comments[0].body, "one PR comment with the visual report")
    demo.check(git.current_branch() == BRANCH and git.head() == head, "the PR branch is untouched by the report")
    again = demo.cli("visual", "pr", "--current", str(current), "--out", str(report_dir), "--pr", str(pull.number), "--json")
    demo.check(
        again.json()["comment_action"] == "unchanged" and len(demo.forge.list_issue_comments(pull.number)) == 1,
        "a re-run leaves the one comment as it is",
    )
    comment_file = demo.out / "work" / "visual" / "pr-comment.md"
    comment_file.write_text(comments[0].body, encoding="utf-8")

    # a maintainer approves: the new baseline lands on the PR branch
    event = demo.event(
        "issue_comment.created",
        **{
            "issue.number": pull.number,
            "issue.pull_request": {"url": f"pulls/{pull.number}"},
            "comment.body": "/leadforge approve-visual",
            "comment.user.login": "mona",
            "sender.login": "mona",
        },
    )
    demo.forge.set_permission("mona", "maintain")
    approved = demo.cli("visual", "approve", "--json", event=event).json()
    demo.check(approved["approved"] and approved["commit"], "the maintainer's approval commits the new baseline")
    demo.check(
        git.rev_parse(f"refs/heads/{BRANCH}") == approved["commit"] and git.out("rev-parse", f"{approved['commit']}^") == head,
        "the baseline commit sits on top of the PR head",
    )
    statuses = [s for s in demo.forge.list_statuses(approved["commit"]) if s.context == "leadforge/visual"]
    demo.check(bool(statuses) and statuses[-1].state == "success", "the visual check is green after the approval")

    # merge the PR: main now holds the accepted screenshot
    git.run("reset", "-q", "--hard", approved["commit"])  # the approval moved the checked-out branch
    git.checkout(base_branch)
    git.run("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pull.number} from {BRANCH}", BRANCH)
    demo.forge.merge_pull(pull.number, git.head())

    artifacts = [
        demo.artifact(report_dir / landing["side_by_side"], "landing-before-after-diff.png"),
        demo.artifact(report_dir / landing["diff"], "landing-diff.png"),
        demo.artifact(report_dir / "index.html", "report.html"),
        demo.artifact(comment_file),
    ]
    demo.artifact(report_dir / "images", "images")  # the HTML report's images, beside it
    return {
        "title": "Visual regression",
        "summary": (
            f"PR #{pull.number} turned the sign-up button green: {landing['ratio'] * 100:.2f}% of the landing page "
            f"changed, so the check failed and the PR got one comment with before/after/diff; "
            f"`/leadforge approve-visual` by a maintainer committed the new baseline and the check turned green."
        ),
        "facts": {
            "changed_ratio": round(landing["ratio"], 4),
            "mismatch": landing["mismatch"],
            "comment": comments[0].url or comments[0].id,
            "baseline_commit": approved["commit"][:7],
        },
        "artifacts": artifacts,
        "links": {"visual report": artifacts[2]},
    }
