"""The workflow harness, for reuse: composite actions, $/ references, reusable workflows of other repositories
(LeadForge's, as callers use them), the permission ceiling of a called workflow, and the uv, docker and
setup-uv stand-ins the LeadForge install relies on."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness, WorkflowError
from tests.workflows.pins import uses

CHECKOUT = uses("actions/checkout")
SHA = "0123456789abcdef0123456789abcdef01234567"
PUSH = load_event("push", ref="refs/heads/main")


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


GREET = """
name: greet
description: says hello
inputs:
  who:
    description: whom
    required: true
  by:
    description: from whom
    default: ${{ github.actor }}
outputs:
  greeting:
    description: the greeting
    value: ${{ steps.say.outputs.text }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        BY: ${{ inputs.by }}
      run: |
        echo "text=hello $WHO from $BY ($STEP_ENV)" >> "$GITHUB_OUTPUT"
        echo "GREETED=$WHO" >> "$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/greet-bin" && printf '#!/bin/sh\\necho greet-tool\\n' > "$RUNNER_TEMP/greet-bin/greet-tool"
        chmod +x "$RUNNER_TEMP/greet-bin/greet-tool" && echo "$RUNNER_TEMP/greet-bin" >> "$GITHUB_PATH"
        echo "path=$GITHUB_ACTION_PATH|${{ github.action_path }}"
    - name: optional
      if: inputs.who == 'nobody'
      shell: bash
      run: exit 1
    - name: sees the env it set
      shell: bash
      run: test "$GREETED" = "${{ inputs.who }}"
"""


def test_composite_actions_run_their_steps_with_inputs_env_and_outputs(git_repo: Repo, tmp_path: Path) -> None:
    _write(git_repo.path, ".github/actions/greet/action.yml", GREET)
    _write(
        git_repo.path,
        ".github/actions/broken/action.yml",
        "name: b\ndescription: b\nruns:\n  using: composite\n  steps:\n    - run: echo no shell\n",
    )
    git_repo.commit("feat: actions")
    workflows = tmp_path / "proj" / ".github" / "workflows"
    _write(
        workflows,
        "w.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: {CHECKOUT}
              - id: hi
                uses: ./.github/actions/greet
                env:
                  STEP_ENV: from-the-step
                with:
                  who: mona
                  extra: ignored
              - run: echo "${{{{ steps.hi.outputs.greeting }}}}|$GREETED|$(greet-tool)"
              - id: again
                uses: ./.github/actions/greet
                with:
                  who: nobody
              - if: failure()
                run: echo "after ${{{{ steps.again.outcome }}}}"
    """,
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=workflows)
    result = harness.run("w.yml", "push", PUSH, actor="octocat")
    job = result.job("a")
    hi = job.step("hi")
    assert hi.outcome == "success" and [s.id or s.name for s in hi.steps] == ["say", "optional", "sees the env it set"]
    assert hi.steps[1].outcome == "skipped"
    assert hi.outputs == {"greeting": "hello mona from octocat (from-the-step)"}
    folder = job.workspace / ".github" / "actions" / "greet"
    assert f"path={folder}|{folder}" in hi.stdout
    assert job.steps[2].stdout.strip() == "hello mona from octocat (from-the-step)|mona|greet-tool"
    assert any(a.level == "warning" and "Unexpected input(s) 'extra'" in a.message for a in result.annotations)
    again = job.step("again")  # the composite's failing step fails the step that uses it
    assert again.outcome == "failure" and again.exit_code == 1 and again.steps[1].outcome == "failure"
    assert job.steps[4].stdout.strip() == "after failure" and not result.ok
    # inner steps can be replaced like any step, by id or name
    replaced = harness.run("w.yml", "push", PUSH, replace_run={"optional": "echo replaced"})
    assert replaced.ok, replaced.explain()
    assert replaced.job("a").step("again").steps[1].replaced
    # a composite run step without shell: is an error, as on GitHub
    _write(
        workflows,
        "b.yml",
        f"on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: {CHECKOUT}\n"
        "      - uses: ./.github/actions/broken\n",
    )
    broken = harness.run("b.yml", "push", PUSH)
    assert not broken.ok and "needs 'shell:'" in broken.job("a").steps[1].error
    _write(workflows, "m.yml", "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ./missing\n")
    missing = harness.run("m.yml", "push", PUSH)
    assert "Can't find 'action.yml'" in missing.job("a").steps[0].error


def test_self_repository_and_other_repository_references(git_repo, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    tools = tmp_path / "tools"  # stands in for acme/tools on GitHub
    _write(tools, ".github/actions/greet/action.yml", GREET)
    _write(
        tools,
        ".github/workflows/shared.yml",
        """
        on:
          workflow_call:
            outputs:
              said:
                value: ${{ jobs.say.outputs.said }}
        permissions: {}
        jobs:
          say:
            runs-on: ubuntu-latest
            permissions:
              contents: read
            outputs:
              said: ${{ steps.hi.outputs.greeting }}
            steps:
              - id: hi
                uses: $/.github/actions/greet
                with:
                  who: ${{ job.workflow_repository }}@${{ job.workflow_sha }}
              - run: echo "$GITHUB_REPOSITORY ${{ job.workflow_file_path }} ${{ job.workflow_ref }}"
    """,
    )
    _write(
        project,
        ".github/workflows/local.yml",
        """
        on: workflow_call
        permissions: {}
        jobs:
          here:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ job.workflow_repository }} ${{ job.workflow_sha }} ${{ job.workflow_file_path }}"
    """,
    )
    workflows = project / ".github" / "workflows"
    _write(
        workflows,
        "caller.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          mine:
            uses: $/.github/workflows/local.yml
          theirs:
            permissions:
              contents: read
            uses: acme/tools/.github/workflows/shared.yml@{SHA}
          unknown:
            uses: someone/else/.github/workflows/x.yml@{SHA}
          after:
            needs: theirs
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{{{ needs.theirs.outputs.said }}}}"
    """,
    )
    harness = Harness(
        git_repo.path,
        root=tmp_path / "gh",
        workflows_dir=workflows,
        repositories={"acme/tools": tools},
        repository="octo-org/app",
    )
    result = harness.run("caller.yml", "push", PUSH, env={"STEP_ENV": "runner"})
    assert result.ok, result.explain()
    sha = result.env["GITHUB_SHA"]
    assert result.ran == ["mine/here", "theirs/say", "after"]
    assert result.job("mine/here").steps[0].stdout.strip() == f"octo-org/app {sha} .github/workflows/local.yml"
    say = result.job("theirs/say")
    assert say.step("hi").outputs["greeting"] == f"hello acme/tools@{SHA} from Codertocat (runner)"
    assert (
        say.steps[1].stdout.strip() == f"octo-org/app .github/workflows/shared.yml acme/tools/.github/workflows/shared.yml@{SHA}"
    )
    inner = say.step("hi").steps[0]
    assert inner.env["GITHUB_ACTION_REPOSITORY"] == "acme/tools" and inner.env["GITHUB_ACTION_REF"] == SHA
    assert Path(inner.env["GITHUB_ACTION_PATH"]) == harness.root / "_actions" / "acme" / "tools" / SHA / ".github/actions/greet"
    assert result.job("after").steps[0].stdout.strip() == f"hello acme/tools@{SHA} from Codertocat (runner)"
    assert result.job("unknown").result == "skipped" and "recorded, not run" in result.job("unknown").reason
    _write(workflows, "bad.yml", "on: push\npermissions: {}\njobs:\n  a:\n    uses: $/.github/workflows/local.yml@main\n")
    with pytest.raises(WorkflowError, match="takes no @ref"):
        harness.run("bad.yml", "push", PUSH)


def test_a_called_workflow_can_only_narrow_the_callers_permissions(git_repo: Repo, tmp_path: Path) -> None:
    workflows = tmp_path / "proj" / ".github" / "workflows"
    _write(
        workflows,
        "called.yml",
        """
        on: workflow_call
        permissions: {}
        jobs:
          reads:
            runs-on: ubuntu-latest
            permissions:
              contents: read
            steps:
              - run: echo "oidc=${ACTIONS_ID_TOKEN_REQUEST_URL:-none}"
          writes:
            if: false
            runs-on: ubuntu-latest
            permissions:
              issues: write
              id-token: write
            steps:
              - run: echo "oidc=${ACTIONS_ID_TOKEN_REQUEST_URL:-none}"
    """,
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=workflows)
    for grant, error in (
        ("      contents: read\n", "job 'writes' is requesting 'id-token: write', but is only allowed 'id-token: none'"),
        (
            "      contents: read\n      issues: read\n      id-token: write\n",
            "'issues: write', but is only allowed 'issues: read'",
        ),
        (None, "job 'reads' is requesting 'contents: read', but is only allowed 'contents: none'"),  # workflow's {} applies
    ):
        block = f"    permissions:\n{grant}" if grant else ""
        _write(
            workflows,
            "caller.yml",
            f"on: push\npermissions: {{}}\njobs:\n  call:\n{block}    uses: ./.github/workflows/called.yml\n",
        )
        with pytest.raises(WorkflowError, match=re.escape(error) + ".*grant it in the calling job's permissions"):
            harness.run("caller.yml", "push", PUSH)  # even though 'writes' would be skipped
    _write(
        workflows,
        "caller.yml",
        "on: push\npermissions: {}\njobs:\n  call:\n    permissions:\n      contents: write\n"
        "      issues: write\n      id-token: write\n    uses: ./.github/workflows/called.yml\n",
    )
    result = harness.run("caller.yml", "push", PUSH)
    assert result.ok, result.explain()
    assert result.job("call/reads").steps[0].stdout.strip() == "oidc=none"  # the job asked for no id-token
    # a job without permissions: gets the caller's grant, id-token included
    _write(
        workflows,
        "called.yml",
        "on: workflow_call\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        '      - run: echo "oidc=${ACTIONS_ID_TOKEN_REQUEST_URL:-none}"\n',
    )
    inherits = harness.run("caller.yml", "push", PUSH)
    assert inherits.job("call/a").steps[0].stdout.strip() == "oidc=https://harness.invalid/oidc-token"


def test_uv_installs_only_leadforge_from_its_lock(git_repo, tmp_path: Path) -> None:
    from leadforge import __version__

    git_repo.commit(
        "feat: a leadforge checkout",
        {
            "lf/pyproject.toml": '[project]\nname = "leadforge"\n[project.optional-dependencies]\nextra1 = []\n',
            "lf/uv.lock": "version = 1\n",
            "other/pyproject.toml": '[project]\nname = "other"\n',
            "other/uv.lock": "version = 1\n",
        },
    )
    workflows = tmp_path / "workflows"
    _write(
        workflows,
        "w.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          a:
            runs-on: ubuntu-latest
            env:
              UV_PROJECT_ENVIRONMENT: ${{{{ runner.temp }}}}/venv
            steps:
              - uses: {CHECKOUT}
              - id: before
                continue-on-error: true
                run: uv --version
              - id: setup
                uses: {uses("astral-sh/setup-uv")}
                with:
                  version: "0.13.9"
              - id: sync
                run: |
                  uv sync --project lf --locked --no-dev --no-editable --extra extra1 --extra scan
                  "$UV_PROJECT_ENVIRONMENT/bin/leadforge" --version
              - id: unlocked
                continue-on-error: true
                run: uv sync --project lf
              - id: other
                continue-on-error: true
                run: uv sync --project other --locked
              - id: typo
                continue-on-error: true
                run: uv sync --project lf --locked --extra visuals
              - id: pip
                run: |
                  uv venv "$RUNNER_TEMP/v2"
                  uv pip install --python "$RUNNER_TEMP/v2/bin/python" 'leadforge[scan]=={__version__}'
              - id: download
                continue-on-error: true
                run: uv pip install leadforge==0.0.1
              - id: build
                continue-on-error: true
                run: uv build
    """,
    )
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=workflows)
    job = harness.run("w.yml", "push", PUSH).job("a")
    assert job.step("before").outcome == "failure"  # uv comes with setup-uv, as on a runner
    assert job.step("setup").outputs["uv-version"] == "0.13.9"
    sync = job.step("sync")
    assert sync.outcome == "success" and sync.stdout.strip().endswith(f"leadforge {__version__}"), sync.stderr
    assert "without --locked or --frozen" in job.step("unlocked").stderr
    assert "is not LeadForge" in job.step("other").stderr
    assert "extra 'visuals' is not defined" in job.step("typo").stderr
    assert job.step("pip").outcome == "success" and "skipped: leadforge" in job.step("pip").stdout
    assert job.step("download").outcome == "failure" and "nothing can be downloaded here" in job.step("download").stderr
    assert "is not emulated (it would download)" in job.step("build").stderr


def test_docker_runs_leadforge_images_with_only_what_the_command_line_passes(harness: Harness, tmp_path: Path) -> None:
    _write(
        tmp_path / "workflows",
        "w.yml",
        """
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            env:
              PASSED: yes
              KEPT_OUT: secret-ish
            steps:
              - id: env
                run: |
                  docker run --rm -v "$GITHUB_WORKSPACE:$GITHUB_WORKSPACE" -w "$GITHUB_WORKSPACE" -e PASSED -e SET=1 \
                    --entrypoint env ghcr.io/leadforge/leadforge:0.1.0
              - id: cli
                run: |
                  docker run --rm -v "$GITHUB_WORKSPACE:$GITHUB_WORKSPACE" -w "$GITHUB_WORKSPACE" \
                    ghcr.io/leadforge/leadforge@sha256:abc --version
              - id: other
                continue-on-error: true
                run: docker run --rm -v "$GITHUB_WORKSPACE:$GITHUB_WORKSPACE" -w "$GITHUB_WORKSPACE" alpine:3 true
              - id: unmounted
                continue-on-error: true
                run: docker run --rm -w /tmp ghcr.io/leadforge/leadforge:0.1.0 --version
              - id: push
                continue-on-error: true
                run: docker push ghcr.io/leadforge/leadforge:0.1.0
    """,
    )
    job = harness.run("w.yml", "push", PUSH).job("a")
    env = dict(line.split("=", 1) for line in job.step("env").stdout.splitlines())
    assert env["PASSED"] == "yes" and env["SET"] == "1" and "KEPT_OUT" not in env and "GITHUB_TOKEN" not in env
    assert job.step("cli").stdout.startswith("leadforge ")
    assert job.step("other").exit_code == 125 and "only LeadForge images are emulated" in job.step("other").stderr
    assert job.step("unmounted").exit_code == 125 and "not inside a mounted volume" in job.step("unmounted").stderr
    assert job.step("push").exit_code == 125 and "'docker push' is not emulated" in job.step("push").stderr
    runs = harness.docker_runs
    assert [r["image"] for r in runs] == ["ghcr.io/leadforge/leadforge:0.1.0", "ghcr.io/leadforge/leadforge@sha256:abc"]
    assert runs[0]["entrypoint"] == "env" and runs[1]["args"] == ["--version"] and runs[1]["workdir"] == str(job.workspace)


@pytest.fixture
def harness(git_repo, tmp_path: Path) -> Harness:
    return Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=tmp_path / "workflows")


def test_publishing_actions_check_oidc_and_their_inputs(harness: Harness, tmp_path: Path) -> None:
    digest = "sha256:" + "a" * 64
    _write(
        tmp_path / "workflows",
        "w.yml",
        f"""
        on: push
        permissions: {{}}
        jobs:
          no-oidc:
            runs-on: ubuntu-latest
            permissions:
              contents: read
            steps:
              - run: mkdir dist && touch dist/x-1.0.tar.gz
              - uses: {uses("pypa/gh-action-pypi-publish")}
          oidc:
            runs-on: ubuntu-latest
            permissions:
              id-token: write
              attestations: write
            steps:
              - id: empty
                continue-on-error: true
                uses: {uses("pypa/gh-action-pypi-publish")}
              - run: mkdir dist && touch dist/x-1.0-py3-none-any.whl
              - id: publish
                uses: {uses("pypa/gh-action-pypi-publish")}
                with:
                  packages-dir: dist/
              - id: subjectless
                continue-on-error: true
                uses: {uses("actions/attest-build-provenance")}
                with:
                  subject-name: ghcr.io/x/y
              - id: attest
                uses: {uses("actions/attest-build-provenance")}
                with:
                  subject-name: ghcr.io/x/y
                  subject-digest: {digest}
    """,
    )
    result = harness.run("w.yml", "push", PUSH)
    assert "needs 'permissions: id-token: write'" in result.job("no-oidc").steps[1].error
    oidc = result.job("oidc")
    assert "no distribution packages" in oidc.step("empty").error
    assert oidc.step("publish").outcome == "success" and oidc.step("attest").outcome == "success"
    assert "subject-digest" in oidc.step("subjectless").error
    assert [c.emulated for c in result.uses_of("pypa/gh-action-pypi-publish")] == [
        False,
        False,
        False,
    ]  # recorded, never uploaded
    assert json.loads(json.dumps(result.uses_of("actions/attest-build-provenance")[1].with_)) == {
        "subject-name": "ghcr.io/x/y",
        "subject-digest": digest,
    }
