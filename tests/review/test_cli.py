"""`leadforge review` / `leadforge scan` at the command line: help, bad input, config errors.
(No scanner runs here: the sources are switched off in the config or the input is refused first.)"""

from __future__ import annotations

import json

import pytest

OFF = "review:\n  scanners: []\n"


def test_help_everywhere(run_cli) -> None:
    for argv in (("review", "--help"), ("review", "post", "--help"), ("scan", "--help")):
        result = run_cli(*argv)
        assert result.code == 0 and "usage: leadforge" in result.stdout


def test_unknown_ref_is_a_one_line_error(run_cli, git_repo) -> None:
    result = run_cli("review", "--base", "main", "--head", "nope", repo=git_repo.path)
    assert result.code == 1
    assert result.stderr.strip() == "leadforge: error: unknown git ref 'nope': no such branch, tag or commit"


def test_a_bad_review_key_names_the_file_line_and_key(run_cli, git_repo) -> None:
    git_repo.write(".github/leadforge.yml", "review:\n  max_coments: 3\n")
    result = run_cli("review", "--base", "main", repo=git_repo.path)
    assert result.code == 1
    assert "leadforge.yml:2: review.max_coments: unknown key" in result.stderr


def test_range_review_without_scanners_checks_criteria_and_architecture(run_cli, git_repo) -> None:
    git_repo.write(
        ".github/leadforge.yml",
        OFF + "  architecture:\n    rules:\n      - name: pure\n"
        "        modules: ['app.*']\n        may_not_import: ['subprocess']\n",
    )
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.commit("feat: x", {"app/core.py": "import os\nimport subprocess\n"})
    result = run_cli("--json", "review", "--base", "main", repo=git_repo.path)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "REQUEST_CHANGES"
    assert [(f["tool"], f["path"], f["line"], f["in_diff"]) for f in data["findings"]] == [
        ("architecture", "app/core.py", 2, True)
    ]
    assert data["coverage"] == {"changed_lines": 0, "covered": 0, "percent": None}


def test_coverage_for_other_paths_is_a_note_not_a_crash(run_cli, git_repo) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.commit("feat: x", {"app/core.py": "def f():\n    return 1\n"})
    git_repo.write(
        "coverage.xml",
        '<coverage><packages><package><classes><class filename="other/x.py"><lines>'
        '<line number="1" hits="1"/></lines></class></classes></package></packages></coverage>',
    )
    result = run_cli("--json", "review", "--base", "main", "--coverage", "coverage.xml", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["coverage"]["percent"] is None
    assert "review: note: coverage: the coverage report has no data for the changed files (app/core.py)" in result.stderr


def test_fail_on_blocking_sets_the_exit_code(run_cli, git_repo) -> None:
    git_repo.write(".github/leadforge.yml", OFF + "  criteria:\n    forbidden_paths: ['secrets/**']\n")
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.commit("feat: x", {"secrets/prod.env": "A=1\n"})
    assert run_cli("review", "--base", "main", repo=git_repo.path).code == 0
    result = run_cli("review", "--base", "main", "--fail-on-blocking", repo=git_repo.path)
    assert result.code == 1 and "forbidden-path" in result.stdout


@pytest.mark.parametrize(
    ("content", "needle"), [("{", "not valid JSON"), ('{"leadforge_review": 1, "pull": -2}', "pull must be")]
)
def test_review_post_refuses_a_bad_artifact(run_cli, git_repo, content: str, needle: str) -> None:
    git_repo.write("review.json", content)
    result = run_cli("review", "post", "review.json", repo=git_repo.path)
    assert result.code == 1
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_dry_run_on_a_pull_request_prints_the_plan_and_posts_nothing(run_cli, git_repo, local_forge) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    base = git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    head = git_repo.commit("Add things", {"docs/x.md": "x\n"})
    pull = local_forge.open_pull("Add things", head="topic", base="main", head_sha=head, base_sha=base)
    result = run_cli("--dry-run", "--forge", "local", "review", "--pr", str(pull.number), repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert "[dry-run] would submit a REQUEST_CHANGES review on #1 with 0 inline comment(s)" in result.stderr
    assert local_forge.list_reviews(pull.number) == []


def test_a_pull_request_is_judged_by_the_base_branchs_config(run_cli, git_repo, local_forge) -> None:
    git_repo.write(".github/leadforge.yml", OFF + "  criteria:\n    forbidden_paths: ['secrets/**']\n")
    base = git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "sneaky")
    # the PR touches a forbidden path AND tries to lift the rule in the same change
    git_repo.write(".github/leadforge.yml", OFF)
    head = git_repo.commit("chore: tidy", {"secrets/prod.env": "A=1\n"})
    pull = local_forge.open_pull("chore: tidy", head="sneaky", base="main", head_sha=head, base_sha=base)
    result = run_cli("--json", "--forge", "local", "review", "--pr", str(pull.number), repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "REQUEST_CHANGES"
    assert "this review uses the base branch's version" in result.stderr
    # a range review (no PR) reads the working tree's config
    local = run_cli("--json", "review", "--base", "main", repo=git_repo.path)
    assert json.loads(local.stdout)["verdict"] == "COMMENT"


def test_a_fork_pull_request_event_falls_back_to_annotations(run_cli, git_repo, tmp_path) -> None:
    from tests.fixtures.events import load_event

    git_repo.write(".github/leadforge.yml", OFF)
    base = git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    head = git_repo.commit("Add things", {"docs/x.md": "x\n"})
    event = load_event(
        "pull_request.opened",
        **{
            "pull_request.number": 3,
            "pull_request.title": "Add things",
            "pull_request.head.sha": head,
            "pull_request.base.sha": base,
            "pull_request.head.repo.full_name": "someone/fork",
            "repository.full_name": "octo-org/octo-repo",
        },
    )
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    summary = tmp_path / "summary.md"
    result = run_cli(
        "--forge",
        "local",
        "review",
        repo=git_repo.path,
        env={
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "octo-org/octo-repo",
            "GITHUB_STEP_SUMMARY": str(summary),
        },
    )
    assert result.code == 0, result.stderr
    assert "not posted: pull request from the fork someone/fork" in result.stdout
    assert "::error title=criteria conventional-title::" in result.stderr
    assert "LeadForge review: changes requested" in summary.read_text()
    assert not (git_repo.path / ".leadforge").exists()  # nothing was posted anywhere


def test_outside_a_git_repository_is_a_one_line_error(run_cli, tmp_path) -> None:
    result = run_cli("review", repo=tmp_path)
    assert result.code == 1
    assert result.stderr.strip() == (
        f"leadforge: error: {tmp_path}: not a git repository; leadforge review compares two commits of one (--repo PATH)"
    )


def test_an_unwritable_artifact_or_sarif_path_is_a_one_line_error(run_cli, git_repo, tmp_path) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    git_repo.commit("chore: config")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # a file where a folder should be
    result = run_cli("review", "--base", "main", "--artifact", str(blocker / "review.json"), repo=git_repo.path)
    assert result.code == 1
    assert f"leadforge: error: --artifact {blocker / 'review.json'}: cannot write it" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("scan", "--tool", "secrets", "--sarif", str(blocker / "out.sarif"), repo=git_repo.path)
    assert result.code == 1
    assert f"leadforge: error: --sarif {blocker / 'out.sarif'}: cannot write it" in result.stderr


def test_changed_only_scan_of_a_head_that_is_not_checked_out_reads_the_heads_files(run_cli, git_repo) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    key = "AKIA" + "IOSFODNN7EXAMPLE"  # split so the project's own scan does not see a key here
    git_repo.commit("feat: client", {"app/client.py": f"x = 1\naws = '{key}'\n"})
    git_repo.git("checkout", "-q", "main")  # app/client.py is not in the working tree now
    result = run_cli(
        "--json", "scan", "--changed-only", "--tool", "secrets", "--base", "main", "--head", "topic", repo=git_repo.path
    )
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(f["path"], f["line"], f["rule"]) for f in data["findings"]] == [("app/client.py", 2, "aws-access-key")]
    assert key not in result.stdout + result.stderr
    assert git_repo.git("worktree", "list").count("\n") == 0  # the temporary worktree is gone


def test_a_file_named_like_a_scanner_option_does_not_switch_the_scan_off(run_cli, git_repo) -> None:
    # detect-secrets took "--exclude-files=.*" (a file the PR adds) as an option and skipped every file
    git_repo.write(".github/leadforge.yml", "review:\n  scanners: [secrets]\n")
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    key = "AKIA" + "IOSFODNN7EXAMPLE"  # split so the project's own scan does not see a key here
    git_repo.commit("feat: client", {"app/client.py": f"aws = '{key}'\n", "--exclude-files=.*": "x\n"})
    result = run_cli("--json", "review", "--base", "main", repo=git_repo.path)
    assert result.code == 0, result.stderr
    found = [(f["tool"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [("secrets", "app/client.py", 1)]


def test_review_post_takes_the_verdict_rules_from_the_base_config_not_the_artifact(run_cli, git_repo, local_forge) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    base = git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    head = git_repo.commit("feat: x", {"app/x.py": "x = 1\n"})
    pull = local_forge.open_pull("feat: x", head="topic", base="main", head_sha=head, base_sha=base)
    warning = {
        "tool": "semgrep",
        "rule": "r",
        "severity": "warning",
        "path": "app/x.py",
        "line": 1,
        "message": "m",
        "place": "added",
        "in_diff": True,
        "anchor": [1, 1],
    }
    # a fork's run wrote it: it asks for an approval, and says nothing blocks
    forged = {
        "leadforge_review": 1,
        "repository": "octo-org/octo-repo",
        "pull": pull.number,
        "head_sha": head,
        "base_sha": base,
        "approve": True,
        "blocking": ["error"],
        "findings": [],
    }
    git_repo.write("review.json", json.dumps(forged))
    result = run_cli("--json", "--forge", "local", "review", "post", "review.json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "COMMENT"
    assert [r.state for r in local_forge.list_reviews(pull.number)] == ["COMMENTED"]
    # the base config blocks on warnings: the artifact cannot lift that
    git_repo.git("checkout", "-q", "main")
    git_repo.write(".github/leadforge.yml", OFF + "  blocking: [error, warning]\n")
    git_repo.write("review.json", json.dumps({**forged, "approve": False, "findings": [warning]}))
    result = run_cli("--json", "--forge", "local", "review", "post", "review.json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "REQUEST_CHANGES"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe{", "bad.sarif: not UTF-8 text (byte 0)"),
        (b'{"runs": [{"tool": "semgrep", "results": []}]}', "bad.sarif: runs[0].tool.driver is not an object"),
    ],
)
def test_a_bad_sarif_input_is_a_note_and_the_review_goes_on(run_cli, git_repo, content: bytes, needle: str) -> None:
    git_repo.write(".github/leadforge.yml", OFF + "  criteria:\n    forbidden_paths: ['secrets/**']\n")
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.commit("feat: x", {"secrets/prod.env": "A=1\n"})
    (git_repo.path / "bad.sarif").write_bytes(content)
    result = run_cli("--json", "review", "--base", "main", "--sarif", "bad.sarif", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert f"review: note: SARIF input: {needle}" in result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["forbidden-path"]


def test_a_symlink_in_the_pull_request_is_not_followed(run_cli, git_repo, tmp_path) -> None:
    outside = tmp_path / "outside.py"  # a file of the runner, not of the repository
    outside.write_text("import subprocess\naws = '" + "AKIA" + "IOSFODNN7EXAMPLE" + "'\n")
    git_repo.write(
        ".github/leadforge.yml",
        "review:\n  scanners: [secrets]\n  architecture:\n    rules:\n"
        "      - name: pure\n        modules: ['app.*']\n        may_not_import: ['subprocess']\n",
    )
    git_repo.commit("chore: config")
    git_repo.git("checkout", "-q", "-b", "topic")
    (git_repo.path / "app").mkdir()
    (git_repo.path / "app" / "leak.py").symlink_to(outside)
    git_repo.commit("feat: link")
    assert git_repo.git("ls-files", "-s", "app/leak.py").startswith("120000")  # committed as a link
    result = run_cli("--json", "review", "--base", "main", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_a_dry_run_does_not_write_the_artifact(run_cli, git_repo) -> None:
    git_repo.write(".github/leadforge.yml", OFF)
    git_repo.commit("chore: config")
    result = run_cli("--dry-run", "review", "--base", "main", "--artifact", "out/review.json", repo=git_repo.path)
    assert result.code == 0, result.stderr
    assert "[dry-run] would write the review artifact out/review.json" in result.stderr
    assert not (git_repo.path / "out").exists()


def test_scan_base_without_changed_only_is_a_one_line_error(run_cli, git_repo) -> None:
    result = run_cli("scan", "--base", "main", repo=git_repo.path)
    assert result.code == 1
    assert result.stderr.strip() == (
        "leadforge: error: leadforge scan: --base/--head choose the files of "
        "--changed-only; add --changed-only (without it every tracked file is scanned)"
    )
