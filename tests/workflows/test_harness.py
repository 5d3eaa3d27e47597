"""The workflow harness itself: expressions, triggers, and end-to-end runs of small workflows."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.fixtures.events import load_event
from tests.harness import DEFAULT_TOKEN, ExpressionError, Harness, WorkflowError, evaluate, filter_match, interpolate, should_run
from tests.workflows.pins import uses

CHECKOUT = uses("actions/checkout")


# ---- expressions ------------------------------------------------------------------------------------

CTX = {
    "github": {
        "event_name": "issues",
        "ref": "refs/heads/main",
        "event": {"issue": {"number": 7, "title": "Fix it", "labels": [{"name": "bug"}, {"name": "task"}]}, "pull_request": None},
    },
    "steps": {"plan": {"outputs": {"count": "3", "json": '{"a": [1, 2]}'}, "outcome": "success"}},
    "needs": {"a": {"result": "success", "outputs": {}}, "b": {"result": "failure", "outputs": {}}},
    "env": {"MODE": "dry"},
    "inputs": {"flag": True},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.event_name == 'ISSUES'", True),  # string equality ignores case
        ("github.event.issue.number == '7'", True),  # number vs string: coerced to numbers
        ("steps.plan.outputs.count > 2", True),
        ("github.event.pull_request.number || 'none'", "none"),  # || returns an operand
        ("github.event.issue.title && 'yes'", "yes"),
        ("!github.event.pull_request", True),
        ("contains(github.event.issue.labels.*.name, 'TASK')", True),
        ("contains(needs.*.result, 'failure')", True),
        ("contains('Hello World', 'world')", True),
        ("startsWith(github.ref, 'refs/heads/') && endsWith(github.ref, 'MAIN')", True),
        ("format('{0}/{1} {{x}}', github.event.issue.number, env.MODE)", "7/dry {x}"),
        ("join(github.event.issue.labels.*.name, ', ')", "bug, task"),
        ("fromJSON(steps.plan.outputs.json).a[1]", 2),
        ("toJSON(inputs.flag)", "true"),
        ("github['event_name']", "issues"),
        ("github.event.missing.deeper", None),
        ("1 == 1 || 2 == 3 && false", True),  # && binds tighter than ||
        ("(1 == 1 || 2 == 3) && false", False),
        ("0x10 == 16", True),
        ("'It''s' == 'it''s'", True),
        ("null == 0", True),
        ("'abc' < 'abd'", True),
        ("case(github.event_name == 'push', 'p', github.event_name == 'issues', 'i', 'other')", "i"),
        ("case(false, 1, 2)", 2),
    ],
)
def test_expression_values(expression: str, expected: object) -> None:
    assert evaluate(expression, CTX) == expected


def test_interpolation_keeps_types_for_a_whole_expression_and_renders_inside_strings() -> None:
    assert interpolate("${{ fromJSON('[1, 2]') }}", CTX) == [1, 2]
    assert (
        interpolate("n=${{ github.event.issue.number }} ok=${{ inputs.flag }} none=${{ github.nope }}.", CTX)
        == "n=7 ok=true none=."
    )
    assert interpolate("${{ '}}' }}-x", CTX) == "}}-x"
    assert interpolate(5, CTX) == 5


@pytest.mark.parametrize(
    "bad", ["github.", "contains(1)", "nosuchcontext.x", "unknownfn(1)", "format('{1}', 'a')", "1 ==", "'open"]
)
def test_expression_errors(bad: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(bad, CTX)


def test_status_functions() -> None:
    from tests.harness.expressions import Status

    assert evaluate("success()", CTX, status=Status()) is True
    assert evaluate("failure()", CTX, status=Status(failed=True)) is True
    assert evaluate("success()", CTX, status=Status(failed=True)) is False
    assert evaluate("success() || failure()", CTX, status=Status(blocked=True)) is False
    assert evaluate("always()", CTX, status=Status(failed=True)) is True


# ---- triggers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "value", "expected"),
    [
        (["main"], "main", True),
        (["main"], "mainline", False),
        (["release/*"], "release/1.0", True),
        (["release/*"], "release/1.0/hotfix", False),
        (["release/**"], "release/1.0/hotfix", True),
        (["v[0-9]*"], "v1.2.3", True),
        (["v[0-9]*"], "vx", False),
        (["**", "!docs/**"], "docs/a.md", False),
        (["**", "!docs/**", "docs/keep.md"], "docs/keep.md", True),
        (["*.md"], "docs/a.md", False),
        (["**.md"], "docs/a.md", True),
    ],
)
def test_filter_patterns(patterns: list[str], value: str, expected: bool) -> None:
    assert filter_match(patterns, value) is expected


def test_trigger_types_defaults_branches_tags_paths() -> None:
    pr = load_event("pull_request.opened")
    assert should_run({"pull_request": None}, "pull_request", pr).runs
    assert not should_run({"pull_request": None}, "pull_request", load_event("pull_request.closed")).runs  # default types
    assert should_run({"pull_request": {"types": ["closed"]}}, "pull_request", load_event("pull_request.closed")).runs
    assert not should_run({"pull_request": {"branches": ["main"]}}, "pull_request", pr).runs  # base is master
    assert should_run({"pull_request": {"branches": ["master"]}}, "pull_request", pr).runs
    assert should_run({"issues": None}, "issues", load_event("issues.edited")).runs  # all types by default
    on = {"push": {"tags": ["v*"]}}
    assert not should_run(on, "push", load_event("push")).runs
    assert should_run(on, "push", load_event("push.tag", ref="refs/tags/v1.0.0")).runs
    paths = {"push": {"paths": ["docs/**"]}}
    assert not should_run(paths, "push", load_event("push")).runs  # the payload's commit added README.md
    assert should_run(paths, "push", load_event("push"), changed_files=["docs/x.md"]).runs
    assert not should_run({"push": {"paths-ignore": ["*.md"]}}, "push", load_event("push")).runs
    assert should_run(["push", "issues"], "issues", load_event("issues.opened")).runs
    assert should_run("push", "push", load_event("push")).runs


def test_trigger_workflow_run_and_schedule() -> None:
    run = load_event("workflow_run.completed", **{"workflow_run.name": "CI"})
    assert should_run({"workflow_run": {"workflows": ["CI"], "types": ["completed"]}}, "workflow_run", run).runs
    assert not should_run({"workflow_run": {"workflows": ["Deploy"], "types": ["completed"]}}, "workflow_run", run).runs
    on = {"schedule": [{"cron": "0 6 * * 1"}, {"cron": "0 0 * * *"}]}
    assert should_run(on, "schedule", {"schedule": "0 0 * * *"}).runs
    decision = should_run(on, "schedule", {"schedule": "5 5 * * *"})
    assert not decision.runs and "crons" in decision.reason


# ---- end to end -------------------------------------------------------------------------------------


def _workflow(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def harness(git_repo, tmp_path: Path) -> Harness:
    git_repo.commit("feat: add app", {"app/hello.txt": "hello\n", "pyproject.toml": "[project]\nname='x'\n"})
    return Harness(
        git_repo.path,
        root=tmp_path / "gh",
        workflows_dir=tmp_path / "workflows",
        secrets={"DEPLOY_KEY": "s3cr3t-value"},
        vars={"STAGE": "qa"},
        api_url="http://127.0.0.1:9/api",
    )


def test_environment_env_levels_outputs_and_summary(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        name: demo
        on: issues
        permissions: {}
        env:
          LEVEL: workflow
          ONLY_WF: wf
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              LEVEL: job
            outputs:
              answer: ${{ steps.calc.outputs.answer }}
            steps:
              - uses: %s
              - id: calc
                env:
                  LEVEL: step
                  TITLE: ${{ github.event.issue.title }}
                  STAGE: ${{ vars.STAGE }}
                run: |
                  echo "level=$LEVEL wf=$ONLY_WF title=$TITLE stage=$STAGE"
                  echo "event=$GITHUB_EVENT_NAME repo=$GITHUB_REPOSITORY actions=$GITHUB_ACTIONS ci=$CI"
                  echo "api=$GITHUB_API_URL token=${GITHUB_TOKEN:-unset}"
                  test "$GITHUB_WORKSPACE" = "$PWD"
                  test -d "$RUNNER_TEMP"
                  cat app/hello.txt
                  echo "answer=42" >> "$GITHUB_OUTPUT"
                  printf 'multi<<EOF\\nline1\\nline2\\nEOF\\n' >> "$GITHUB_OUTPUT"
                  echo "### Report for #${{ github.event.issue.number }}" >> "$GITHUB_STEP_SUMMARY"
                  python -c "import json, sys; print('number', json.load(open(sys.argv[1]))['issue']['number'])" \\
                    "$GITHUB_EVENT_PATH"
              - run: echo "level=$LEVEL answer=${{ steps.calc.outputs.answer }} multi=${{ steps.calc.outputs.multi }}"
        """
        % CHECKOUT,
    )
    payload = load_event("issues.opened", **{"issue.title": "Hello; rm -rf /", "issue.number": 12})
    result = harness.run("w.yml", "issues", payload)
    assert result.ok, result.explain()
    job = result.job("build")
    calc = job.step("calc")
    assert "level=step wf=wf title=Hello; rm -rf / stage=qa" in calc.stdout
    assert "event=issues repo=Codertocat/Hello-World actions=true ci=true" in calc.stdout
    assert "api=http://127.0.0.1:9/api token=unset" in calc.stdout  # GITHUB_TOKEN only when mapped
    assert "hello" in calc.stdout and "number 12" in calc.stdout
    assert calc.outputs == {"answer": "42", "multi": "line1\nline2"}
    assert job.steps[2].stdout.strip() == "level=job answer=42 multi=line1\nline2"
    assert job.outputs == {"answer": "42"}
    assert result.summary == "### Report for #12\n"
    assert json.loads(Path(result.env["GITHUB_EVENT_PATH"]).read_text())["issue"]["number"] == 12


def test_github_env_path_and_step_conditions(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  mkdir -p "$RUNNER_TEMP/bin"
                  printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
                  echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
                  echo "COLOR=blue" >> "$GITHUB_ENV"
                  echo "GITHUB_SHA=forged" >> "$GITHUB_ENV"
              - run: mytool && echo "color=$COLOR" && test "$GITHUB_SHA" != forged
              - if: env.COLOR == 'blue'
                run: echo blue-branch
              - if: env.COLOR == 'red'
                run: echo red-branch
              - id: broken
                continue-on-error: true
                run: exit 3
              - if: steps.broken.outcome == 'failure' && steps.broken.conclusion == 'success'
                run: echo tolerated
              - run: false | true
              - shell: bash
                run: false | true
              - run: echo not-reached
              - if: failure()
                run: echo cleanup
        """,
    )
    result = harness.run("w.yml", "push", load_event("push", ref="refs/heads/main"))
    job = result.job("a")
    outs = [(s.outcome, s.stdout.strip()) for s in job.steps]
    assert outs[1] == ("success", "tool-ran\ncolor=blue")
    assert outs[2] == ("success", "blue-branch")
    assert outs[3][0] == "skipped"
    assert job.steps[4].outcome == "failure" and job.steps[4].conclusion == "success" and job.steps[4].exit_code == 3
    assert outs[5] == ("success", "tolerated")
    assert outs[6][0] == "success"  # default shell: bash -e {0}, no pipefail
    assert outs[7][0] == "failure"  # shell: bash adds -o pipefail
    assert outs[8][0] == "skipped"
    assert outs[9] == ("success", "cleanup")
    assert job.result == "failure" and not result.ok
    assert any(a.level == "warning" and "Can't set GITHUB_SHA" in a.message for a in result.annotations)


def test_needs_order_outputs_skips_and_matrix(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: workflow_dispatch
        permissions: {}
        jobs:
          report:
            needs: [plan, fail]
            if: always()
            runs-on: ubuntu-latest
            steps:
              - run: echo "plan=${{ needs.plan.result }} fail=${{ needs.fail.result }} n=${{ needs.plan.outputs.n }}"
          after-fail:
            needs: fail
            runs-on: ubuntu-latest
            steps:
              - run: echo never
          plan:
            runs-on: ubuntu-latest
            outputs:
              n: ${{ steps.s.outputs.n }}
            steps:
              - id: s
                run: echo "n=5" >> "$GITHUB_OUTPUT"
          fail:
            needs: plan
            runs-on: ubuntu-latest
            steps:
              - run: exit 1
          grid:
            needs: plan
            if: needs.plan.outputs.n == 5
            strategy:
              matrix:
                py: ["3.11", "3.12"]
                os: [linux]
                include:
                  - py: "3.12"
                    extra: yes
            runs-on: ubuntu-latest
            steps:
              - run: echo "py=${{ matrix.py }} os=${{ matrix.os }} extra=${{ matrix.extra }} idx=${{ strategy.job-index }}"
        """,
    )
    result = harness.run("w.yml", "workflow_dispatch")
    assert [j.id for j in result.jobs] == ["plan", "fail", "report", "after-fail", "grid", "grid"]
    assert result.job("report").steps[0].stdout.strip() == "plan=success fail=failure n=5"
    assert result.job("after-fail").result == "skipped" and "did not succeed" in result.job("after-fail").reason
    grid = [j.steps[0].stdout.strip() for j in result.matrix_jobs("grid")]
    assert grid == ["py=3.11 os=linux extra= idx=0", "py=3.12 os=linux extra=yes idx=1"]
    only = harness.run("w.yml", "workflow_dispatch", jobs=["fail"])
    assert only.ran == ["plan", "fail"]


def test_workflow_dispatch_inputs(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on:
          workflow_dispatch:
            inputs:
              level:
                type: choice
                options: [low, high]
                default: low
              dry:
                type: boolean
                default: true
              who:
                required: true
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - env:
                  LEVEL: ${{ inputs.level }}
                  WHO: ${{ github.event.inputs.who }}
                  DRY: ${{ inputs.dry && 'dry' || 'wet' }}
                run: echo "$LEVEL $WHO $DRY"
        """,
    )
    result = harness.run("w.yml", "workflow_dispatch", inputs={"who": "mona", "dry": False})
    assert result.ok, result.explain()
    assert result.job("a").steps[0].stdout.strip() == "low mona wet"
    with pytest.raises(WorkflowError, match="'who' is required"):
        harness.run("w.yml", "workflow_dispatch")
    with pytest.raises(WorkflowError, match="not one of"):
        harness.run("w.yml", "workflow_dispatch", inputs={"who": "x", "level": "max"})
    with pytest.raises(WorkflowError, match="unexpected inputs"):
        harness.run("w.yml", "workflow_dispatch", inputs={"who": "x", "colour": "red"})
    with pytest.raises(WorkflowError, match="not a boolean"):
        harness.run("w.yml", "workflow_dispatch", inputs={"who": "x", "dry": "maybe"})
    typed = harness.run("w.yml", "workflow_dispatch", inputs={"who": "x", "dry": "false"})
    assert typed.job("a").steps[0].stdout.strip() == "low x wet"  # "false" is the boolean false in inputs
    assert json.loads(Path(typed.env["GITHUB_EVENT_PATH"]).read_text())["inputs"] == {"level": "low", "dry": "false", "who": "x"}


def test_checkout_ref_and_path_and_pushes_reach_the_remote(harness: Harness, git_repo, tmp_path: Path) -> None:
    first = git_repo.git("rev-list", "--max-parents=0", "HEAD")
    git_repo.git("tag", "v0.1.0", first)
    harness_with_tag = Harness(git_repo.path, root=tmp_path / "gh2", workflows_dir=tmp_path / "workflows")
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions:
              contents: write
            steps:
              - uses: %s
              - uses: %s
                with:
                  ref: v0.1.0
                  path: old
              - run: |
                  test -f app/hello.txt && test ! -f old/app/hello.txt
                  git config user.name bot && git config user.email bot@example.com
                  echo more > app/more.txt && git add app/more.txt && git commit -qm "chore: from workflow"
                  git push -q origin HEAD:main
        """
        % (CHECKOUT, CHECKOUT),
    )
    result = harness_with_tag.run("w.yml", "push", load_event("push", ref="refs/heads/main"))
    assert result.ok, result.explain()
    calls = result.uses_of("actions/checkout")
    assert calls[1].outputs["commit"] == first and calls[0].outputs["commit"] == result.env["GITHUB_SHA"]
    log = subprocess.run(
        ["git", "log", "-1", "--format=%s", "main"], cwd=harness_with_tag.remote, capture_output=True, text=True
    ).stdout
    assert log.strip() == "chore: from workflow"
    assert harness_with_tag.remote_git("log", "-1", "--format=%s").strip() == "chore: from workflow"
    assert harness_with_tag.remote_file("app/more.txt") == "more\n"
    with pytest.raises(WorkflowError, match="harness remote failed"):
        harness_with_tag.remote_file("app/missing.txt")
    # a later run sees the pushed commit
    again = harness_with_tag.run("w.yml", "push", load_event("push", ref="refs/heads/main"), jobs=["a"])
    assert again.env["GITHUB_SHA"] != result.env["GITHUB_SHA"]


def test_no_checkout_means_an_empty_workspace(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: test -z "$(ls -A)"\n',
    )
    assert harness.run("w.yml", "push", load_event("push", ref="refs/heads/main")).ok


def test_artifacts_between_jobs_and_workflows(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "up.yml",
        """
        on: push
        permissions: {}
        jobs:
          make:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir -p out/sub && echo a > out/a.txt && echo b > out/sub/b.txt && echo h > out/.hidden
              - uses: %s
                with:
                  name: report
                  path: out/
              - uses: %s
                with:
                  name: missing
                  path: nothing/here
          use:
            needs: make
            runs-on: ubuntu-latest
            steps:
              - uses: %s
                with:
                  name: report
                  path: got
              - run: cat got/a.txt got/sub/b.txt && test ! -e got/.hidden
        """
        % (uses("actions/upload-artifact"), uses("actions/upload-artifact"), uses("actions/download-artifact")),
    )
    _workflow(
        tmp_path,
        "down.yml",
        """
        on: workflow_run
        permissions: {}
        jobs:
          fetch:
            runs-on: ubuntu-latest
            steps:
              - uses: %s
                with:
                  name: report
              - run: cat a.txt
              - uses: %s
                with:
                  name: never-uploaded
        """
        % (uses("actions/download-artifact"), uses("actions/download-artifact")),
    )
    up = harness.run("up.yml", "push", load_event("push", ref="refs/heads/main"))
    assert up.ok, up.explain()
    assert up.job("use").steps[1].stdout == "a\nb\n"
    assert sorted(p.relative_to(up.artifacts["report"]).as_posix() for p in up.artifacts["report"].rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt",
    ]
    assert any(a.level == "warning" and "No files were found" in a.message for a in up.annotations)
    down = harness.run("down.yml", "workflow_run")
    assert down.job("fetch").steps[1].stdout == "a\n"
    assert down.job("fetch").steps[2].outcome == "failure" and "Artifact not found" in down.job("fetch").steps[2].error


def test_recorded_uses_annotations_masks_and_pip_shim(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: push
        permissions: {}
        jobs:
          scan:
            runs-on: ubuntu-latest
            permissions:
              security-events: write
            steps:
              - uses: %s
              - uses: %s
              - run: |
                  pip install . && python -m pip install -e '.[dev]'
                  python -m pip install "leadforge==$(leadforge --version | cut -d' ' -f2)"
              - env:
                  PIP_NO_INDEX: "1"
                run: |
                  pip --version
                  if pip install leadforge==0.0.0 2>err.txt; then exit 1; fi
                  grep -q "No matching distribution" err.txt
              - env:
                  KEY: ${{ secrets.DEPLOY_KEY }}
                  TOKEN: ${{ secrets.GITHUB_TOKEN }}
                run: |
                  echo "key is $KEY"
                  echo "::add-mask::runtime-secret"
                  echo "value runtime-secret"
                  echo "::error file=app/hello.txt,line=1,title=Bad%%2C thing::first%%0Asecond"
                  echo "::notice::fyi" >&2
                  echo '{"version": "2.1.0", "runs": []}' > results.sarif
                  test "$TOKEN" = "%s"
              - uses: %s
                with:
                  sarif_file: results.sarif
                  category: leadforge
        """
        % (CHECKOUT, uses("actions/setup-python"), DEFAULT_TOKEN, uses("github/codeql-action/upload-sarif")),
    )
    result = harness.run("w.yml", "push", load_event("push", ref="refs/heads/main"))
    assert result.ok, result.explain()
    install = result.job("scan").steps[2]
    assert install.stdout.count("skipped: leadforge ") == 3, install.stdout
    real_pip = result.job("scan").steps[3]
    assert real_pip.outcome == "success" and real_pip.stdout.startswith("pip "), real_pip.stderr
    [sarif] = result.uses_of("github/codeql-action/upload-sarif")
    assert not sarif.emulated and sarif.with_ == {"sarif_file": "results.sarif", "category": "leadforge"}
    assert json.loads(sarif.path("sarif_file").read_text())["version"] == "2.1.0"
    error = result.errors()[0]
    assert (error.file, error.line, error.title, error.message) == ("app/hello.txt", 1, "Bad, thing", "first\nsecond")
    assert any(a.level == "notice" and a.message == "fyi" for a in result.annotations)
    assert "s3cr3t-value" not in result.log and "runtime-secret" not in result.log and "key is ***" in result.log
    assert "s3cr3t-value" in result.job("scan").steps[4].stdout  # raw output stays available to tests


def test_replace_run_working_directory_and_errors(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: push
        permissions: {}
        defaults:
          run:
            working-directory: app
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: %s
              - id: heavy
                run: ./install-everything.sh
              - run: pwd && cat hello.txt
              - working-directory: .
                run: test -d app
        """
        % CHECKOUT,
    )
    result = harness.run("w.yml", "push", load_event("push", ref="refs/heads/main"), replace_run={"heavy": "echo replaced"})
    assert result.ok, result.explain()
    job = result.job("a")
    assert job.step("heavy").replaced and job.step("heavy").stdout == "replaced\n"
    assert job.steps[2].stdout.endswith("/workspace/app\nhello\n")
    with pytest.raises(WorkflowError, match="did not run"):
        harness.run("w.yml", "push", load_event("push", ref="refs/heads/main"), replace_run={"nope": "true"})
    not_run = harness.run("w.yml", "issues")
    assert not not_run.triggered and not not_run.ok and "no 'issues' trigger" in not_run.explain()


def test_step_timeout_fails_the_step(git_repo, tmp_path: Path) -> None:
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=tmp_path / "workflows", step_timeout=1)
    _workflow(
        tmp_path,
        "w.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          sleep 30 &\n          sleep 30\n          echo never\n",
    )
    result = harness.run("w.yml", "push", load_event("push", ref="refs/heads/main"))
    step = result.job("a").steps[0]
    assert step.outcome == "failure" and "timed out" in step.error


def test_bad_workflows_are_reported(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "cycle.yml",
        "on: push\njobs:\n  a:\n    needs: b\n    steps: [{run: 'true'}]\n  b:\n    needs: a\n    steps: [{run: 'true'}]\n",
    )
    with pytest.raises(WorkflowError, match="cycle"):
        harness.run("cycle.yml", "push", load_event("push", ref="refs/heads/main"))
    _workflow(tmp_path, "bad.yml", "on: push\njobs: [\n")
    with pytest.raises(WorkflowError, match="invalid YAML"):
        harness.run("bad.yml", "push")
    with pytest.raises(WorkflowError, match="not found"):
        harness.run("missing.yml", "push")


def test_reusable_workflow_inputs_secrets_and_outputs(git_repo, tmp_path: Path) -> None:
    folder = tmp_path / "proj" / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "called.yml").write_text(
        textwrap.dedent(
            """
            on:
              workflow_call:
                inputs:
                  who:
                    type: string
                    required: true
                  loud:
                    type: boolean
                    default: false
                secrets:
                  KEY:
                    required: true
                outputs:
                  greeting:
                    value: ${{ jobs.greet.outputs.text }}
            permissions: {}
            jobs:
              greet:
                runs-on: ubuntu-latest
                outputs:
                  text: ${{ steps.g.outputs.text }}
                steps:
                  - id: g
                    env:
                      WHO: ${{ inputs.who }}
                      LOUD: ${{ inputs.loud }}
                      KEY: ${{ secrets.KEY }}
                      OTHER: ${{ secrets.OTHER }}
                    run: echo "text=hi $WHO loud=$LOUD key=$KEY other=${OTHER:-none}" >> "$GITHUB_OUTPUT"
            """
        ),
        encoding="utf-8",
    )
    (folder / "caller.yml").write_text(
        textwrap.dedent(
            """
            on: push
            permissions: {}
            jobs:
              call:
                uses: ./.github/workflows/called.yml
                with:
                  who: ${{ github.actor }}
                secrets:
                  KEY: ${{ secrets.DEPLOY_KEY }}
              after:
                needs: call
                runs-on: ubuntu-latest
                steps:
                  - run: echo "${{ needs.call.outputs.greeting }}"
            """
        ),
        encoding="utf-8",
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder, secrets={"DEPLOY_KEY": "k1", "OTHER": "o"})
    result = harness.run("caller.yml", "push", actor="mona")
    assert result.ok, result.explain()
    assert [j.id for j in result.jobs] == ["call/greet", "after"]
    assert result.job("after").steps[0].stdout.strip() == "hi mona loud=false key=k1 other=none"
    assert result.uses_of("./.github/workflows/called.yml")[0].outputs == {"greeting": "hi mona loud=false key=k1 other=none"}


def test_default_payloads_follow_the_workflow_and_repository(git_repo, tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "w.yml").write_text(
        'on:\n  schedule:\n    - cron: "17 6 * * 1"\n  workflow_dispatch:\npermissions: {}\n'
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n"
        '    steps:\n      - run: echo "${{ github.event.schedule }}|$GITHUB_REF|'
        '${{ github.event.repository.full_name }}|$GITHUB_REPOSITORY|${{ toJSON(inputs) }}"\n',
        encoding="utf-8",
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder, repository="acme/widgets")
    scheduled = harness.run("w.yml", "schedule")
    assert scheduled.ok, scheduled.explain()
    assert scheduled.job("a").steps[0].stdout.strip() == "17 6 * * 1|refs/heads/main||acme/widgets|{}"
    dispatched = harness.run("w.yml", "workflow_dispatch")
    assert dispatched.job("a").steps[0].stdout.strip() == "|refs/heads/main|acme/widgets|acme/widgets|{}"
    assert json.loads(Path(dispatched.env["GITHUB_EVENT_PATH"]).read_text())["inputs"] == {}


def test_api_double_wiring(git_repo, tmp_path: Path) -> None:
    from tests.apidouble.server import GitHubDouble

    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "w.yml").write_text(
        textwrap.dedent(
            """
            on: issues
            permissions: {}
            jobs:
              a:
                runs-on: ubuntu-latest
                permissions:
                  issues: read
                steps:
                  - env:
                      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
                      NUMBER: ${{ github.event.issue.number }}
                    shell: python
                    run: |
                      import json, os, urllib.request
                      env = os.environ
                      url = f"{env['GITHUB_API_URL']}/repos/{env['GITHUB_REPOSITORY']}/issues/{env['NUMBER']}"
                      headers = {"Authorization": f"token {env['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json"}
                      request = urllib.request.Request(url, headers=headers)
                      print(json.load(urllib.request.urlopen(request))["title"])
            """
        ),
        encoding="utf-8",
    )
    with GitHubDouble() as double:
        number = double.add_issue("From the double", "body")
        harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder, api_double=double)
        result = harness.run("w.yml", "issues", load_event("issues.opened", **{"issue.number": number}))
        assert result.ok, result.explain()
        assert result.job("a").steps[0].stdout.strip() == "From the double"
        assert result.env["GITHUB_REPOSITORY"] == double.repository and result.env["GITHUB_SERVER_URL"] == double.server_url
        double.assert_clean()


def test_pipx_links_installed_tools_and_never_downloads(git_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "tools"
    (tools / "fakescan" / "bin").mkdir(parents=True)
    exe = tools / "fakescan" / "bin" / "fakescan"
    exe.write_text("#!/bin/sh\necho fakescan 1.2.3\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setenv("LEADFORGE_TOOLS", str(tools))
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "w.yml").write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pipx install 'fakescan>=1,<2' && fakescan --version\n"
        "      - run: pipx install 'surely-not-installed-tool>=1'\n",
        encoding="utf-8",
    )
    result = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder).run("w.yml", "push")
    first, second = result.job("a").steps
    assert first.outcome == "success" and first.stdout.endswith("fakescan 1.2.3\n"), first.stderr
    assert second.outcome == "failure" and "cannot download 'surely-not-installed-tool>=1'" in second.stderr


def test_pull_request_payloads_get_real_commits_and_a_merge_ref(git_repo, tmp_path: Path) -> None:
    base = git_repo.git("rev-parse", "HEAD")
    git_repo.git("checkout", "-q", "-b", "feature")
    head = git_repo.commit("feat: on the branch", {"feature.txt": "new\n"})
    git_repo.git("checkout", "-q", "main")
    main = git_repo.commit("docs: on main", {"NOTES.md": "notes\n"})
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "w.yml").write_text(
        textwrap.dedent(
            f"""
            on:
              pull_request:
              pull_request_target:
              push:
            permissions: {{}}
            jobs:
              a:
                runs-on: ubuntu-latest
                steps:
                  - uses: {CHECKOUT}
                    with:
                      fetch-depth: 0
                  - env:
                      HEAD_SHA: ${{{{ github.event.pull_request.head.sha }}}}
                      BASE_SHA: ${{{{ github.event.pull_request.base.sha }}}}
                      BEFORE: ${{{{ github.event.before }}}}
                      AFTER: ${{{{ github.event.after }}}}
                    run: |
                      echo "sha=$GITHUB_SHA ref=$GITHUB_REF head=$HEAD_SHA base=$BASE_SHA before=$BEFORE after=$AFTER"
                      git log -1 --format='parents=%P'
                      ls
            """
        ),
        encoding="utf-8",
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder)
    payload = load_event("pull_request.opened", **{"pull_request.head.ref": "feature", "pull_request.base.ref": "main"})
    result = harness.run("w.yml", "pull_request", payload)
    assert result.ok, result.explain()
    out = result.job("a").steps[1].stdout
    merge = harness._rev("refs/pull/2/merge")
    assert merge and harness._rev("refs/pull/2/head") == head
    assert f"sha={merge} ref=refs/pull/2/merge head={head} base={main}" in out
    assert f"parents={main} {head}" in out and "feature.txt" in out and "NOTES.md" in out
    assert result.payload["pull_request"]["merge_commit_sha"] == merge
    # pull_request_target runs on the base branch, never the PR's code
    target = harness.run("w.yml", "pull_request_target", payload)
    assert (
        f"sha={main} ref=refs/heads/main" in target.job("a").steps[1].stdout
        and "feature.txt" not in target.job("a").steps[1].stdout
    )
    # a push payload follows the pushed branch
    push = harness.run("w.yml", "push", load_event("push", ref="refs/heads/feature"))
    assert f"sha={head} ref=refs/heads/feature head= base= before={base} after={head}" in push.job("a").steps[1].stdout
    # SHAs that are commits in the repo are kept as given
    kept = harness.run(
        "w.yml",
        "pull_request",
        load_event("pull_request.opened", **{"pull_request.head.sha": base, "pull_request.base.ref": "main"}),
    )
    assert f"head={base} base={main}" in kept.job("a").steps[1].stdout


def test_environment_and_concurrency_are_evaluated(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: workflow_dispatch
        permissions: {}
        concurrency: deploy-${{ github.ref_name }}
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment:
              name: ${{ vars.STAGE }}
              url: ${{ steps.d.outputs.url }}
            concurrency:
              group: env-${{ vars.STAGE }}
              cancel-in-progress: ${{ github.event_name == 'pull_request' }}
            steps:
              - id: d
                run: echo "url=https://qa.example.com" >> "$GITHUB_OUTPUT"
        """,
    )
    result = harness.run("w.yml", "workflow_dispatch")
    assert result.concurrency == {"group": "deploy-main", "cancel-in-progress": False}
    job = result.job("deploy")
    assert job.environment == {"name": "qa", "url": "https://qa.example.com"}
    assert job.concurrency == {"group": "env-qa", "cancel-in-progress": False}


def test_path_filters_see_the_real_changes(git_repo, tmp_path: Path) -> None:
    before = git_repo.git("rev-parse", "HEAD")
    git_repo.git("checkout", "-q", "-b", "docs-only")
    docs = git_repo.commit("docs: guide", {"docs/guide.md": "guide\n"})
    git_repo.git("checkout", "-q", "main")
    code = git_repo.commit("feat: code", {"src/app.py": "print(1)\n", "README.md": "changed\n"})
    git_repo.git("rm", "-q", "README.md")
    removed = git_repo.commit("chore: drop readme")
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "w.yml").write_text(
        'on:\n  push:\n    paths: ["src/**"]\n  pull_request:\n    paths: ["src/**"]\npermissions: {}\n'
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: python -c \"import json, os; e = json.load(open(os.environ['GITHUB_EVENT_PATH'])); "
        "print(e['before'], e['after'], e['head_commit']['id'], json.dumps(e['commits']))\"\n",
        encoding="utf-8",
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder)
    push = harness.run("w.yml", "push", load_event("push", ref="refs/heads/main", before=before))
    assert push.ok, push.explain()
    first, second = push.job("a").steps[0].stdout.split(" ", 3)[:3], json.loads(push.job("a").steps[0].stdout.split(" ", 3)[3])
    assert first == [before, removed, removed]
    assert [c["id"] for c in second] == [code, removed]
    assert (
        second[0]["added"] == ["src/app.py"] and second[0]["modified"] == ["README.md"] and second[1]["removed"] == ["README.md"]
    )
    assert second[0]["message"] == "feat: code" and second[0]["author"]["email"] == "author@example.com"
    # a pull request that only touches docs does not match paths: src/**
    pr = load_event("pull_request.opened", **{"pull_request.head.ref": "docs-only", "pull_request.base.ref": "main"})
    decision = harness.run("w.yml", "pull_request", pr).decision
    assert not decision.runs and "docs/guide.md" in decision.reason and docs


def test_upload_sarif_checks_the_file_like_the_action(harness: Harness, tmp_path: Path) -> None:
    sarif = uses("github/codeql-action/upload-sarif")
    _workflow(
        tmp_path,
        "w.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: {CHECKOUT}
              - run: |
                  echo '{{"version": "2.1.0", "runs": []}}' > good.sarif
                  echo '{{"runs": 1}}' > bad.sarif
              - id: good
                uses: {sarif}
                with:
                  sarif_file: good.sarif
              - id: bad
                continue-on-error: true
                uses: {sarif}
                with:
                  sarif_file: bad.sarif
              - id: missing
                continue-on-error: true
                uses: {sarif}
                with:
                  sarif_file: nowhere.sarif
              - id: cache
                uses: {uses("actions/cache")}
                with:
                  path: ~/.cache/pip
                  key: pip-${{{{ hashFiles('**/pyproject.toml') }}}}
              - if: steps.cache.outputs.cache-hit != 'true'
                run: echo filling the cache
        """,
    )
    result = harness.run("w.yml", "push")
    job = result.job("a")
    assert job.step("good").outcome == "success"
    assert job.step("bad").outcome == "failure" and "not a SARIF 2.1.0 log" in job.step("bad").error
    assert job.step("missing").outcome == "failure" and "Path does not exist" in job.step("missing").error
    assert job.steps[-1].stdout == "filling the cache\n"
    key = result.uses_of("actions/cache")[0].with_["key"]
    assert key.startswith("pip-") and len(key) == len("pip-") + 64  # hashFiles hashed the checked-out pyproject.toml


def test_matrix_expansion_rules() -> None:
    from tests.harness.runner import _expand_matrix

    assert _expand_matrix(None) == [{}]
    combos = _expand_matrix(
        {
            "os": ["linux", "mac"],
            "py": ["3.11", "3.12"],
            "exclude": [{"os": "mac", "py": "3.11"}],
            "include": [{"os": "linux", "py": "3.12", "slow": True}, {"os": "win", "py": "3.12"}],
        }
    )
    assert combos == [
        {"os": "linux", "py": "3.11"},
        {"os": "linux", "py": "3.12", "slow": True},
        {"os": "mac", "py": "3.12"},
        {"os": "win", "py": "3.12"},
    ]
    with pytest.raises(WorkflowError, match="must be a list"):
        _expand_matrix({"os": "linux"})


def test_download_all_artifacts_by_pattern(harness: Harness, tmp_path: Path) -> None:
    up, down = uses("actions/upload-artifact"), uses("actions/download-artifact")
    _workflow(
        tmp_path,
        "w.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          make:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                part: [a, b]
            steps:
              - run: echo ${{{{ matrix.part }}}} > ${{{{ matrix.part }}}}.txt
              - uses: {up}
                with:
                  name: part-${{{{ matrix.part }}}}
                  path: ${{{{ matrix.part }}}}.txt
          join:
            needs: make
            runs-on: ubuntu-latest
            steps:
              - uses: {down}
                with:
                  pattern: part-*
                  path: merged
                  merge-multiple: true
              - uses: {down}
                with:
                  path: separate
              - run: cat merged/a.txt merged/b.txt separate/part-a/a.txt separate/part-b/b.txt
        """,
    )
    result = harness.run("w.yml", "push")
    assert result.ok, result.explain()
    assert result.job("join").steps[2].stdout == "a\nb\na\nb\n"
    assert sorted(result.artifacts) == ["part-a", "part-b"]


def test_background_processes_live_until_the_job_ends(harness: Harness, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        """
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  python -m http.server 0 --bind 127.0.0.1 > "$RUNNER_TEMP/server.log" 2>&1 &
                  echo "SERVER_PID=$!" >> "$GITHUB_ENV"
                  echo started
              - run: kill -0 "$SERVER_PID" && echo still-running
          b:
            needs: a
            runs-on: ubuntu-latest
            steps:
              - run: echo next job
        """,
    )
    result = harness.run("w.yml", "push")
    assert result.ok, result.explain()
    steps = result.job("a").steps
    assert steps[0].stdout == "started\n" and steps[1].stdout == "still-running\n"
    pid = int(steps[1].env["SERVER_PID"])
    assert _gone(pid), "the background server outlived its job"


def _gone(pid: int, attempts: int = 100) -> bool:
    """The process no longer runs (it may linger as a zombie until its new parent reaps it)."""
    import time

    for _ in range(attempts):
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_sync_publishes_later_commits(harness: Harness, git_repo, tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        "w.yml",
        f"on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n      - uses: {CHECKOUT}\n      - run: cat later.txt\n",
    )
    git_repo.commit("feat: later", {"later.txt": "later\n"})
    git_repo.git("tag", "v9.9.9")
    assert not harness.run("w.yml", "push").ok  # the remote is a snapshot from when the harness was made
    harness.sync()
    result = harness.run("w.yml", "push")
    assert result.ok, result.explain()
    assert result.job("a").steps[1].stdout == "later\n"
    assert "v9.9.9" in harness.remote_git("tag")
