"""Workflow harness: run this project's GitHub Actions workflows locally, for tests.

It loads a workflow from ``.github/workflows/``, decides whether it fires for an event (``on:`` with
``types``/``branches``/``tags``/``paths`` filters, ``workflows:`` for ``workflow_run``, crons for
``schedule``), orders the jobs by ``needs:``, evaluates job and step ``if:``, and runs each ``run:``
step with bash exactly as a Linux runner does (``bash -e {0}``, or ``bash --noprofile --norc -eo
pipefail {0}`` for ``shell: bash``) in a fresh per-job workspace, with:

* the runner environment: ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH`` (the payload as a file),
  ``GITHUB_REPOSITORY``, ``GITHUB_SHA``, ``GITHUB_REF`` (+ ``_NAME``/``_TYPE``), ``GITHUB_HEAD_REF``,
  ``GITHUB_BASE_REF``, ``GITHUB_RUN_ID``, ``GITHUB_WORKSPACE``, ``GITHUB_OUTPUT``, ``GITHUB_ENV``,
  ``GITHUB_PATH``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_ACTIONS=true``, ``CI=true``, ``RUNNER_TEMP``,
  ``GITHUB_API_URL`` (the API double when you pass ``api_url=``) and a clean ``HOME``. As on GitHub,
  ``GITHUB_TOKEN`` is *not* in the environment unless the workflow maps ``secrets.GITHUB_TOKEN``;
* ``env:`` at workflow, job and step level; ``GITHUB_ENV``/``GITHUB_PATH`` carried to later steps;
  ``id:`` + ``GITHUB_OUTPUT`` as ``steps.<id>.outputs``; job ``outputs:`` passed on as ``needs``;
  ``working-directory``, ``defaults.run``, ``continue-on-error``, ``timeout-minutes``, simple matrices;
  a step ends when its shell exits (background processes live until the job ends, then are killed);
* ``${{ }}`` expressions (``tests/harness/expressions.py``): the ``github``, ``env``, ``inputs``,
  ``vars``, ``secrets``, ``steps``, ``needs``, ``matrix``, ``strategy``, ``job``, ``runner`` contexts,
  operators ``! == != < <= > >= && ||``, ``.*`` filters, and ``contains``, ``startsWith``,
  ``endsWith``, ``format``, ``join``, ``toJSON``, ``fromJSON``, ``case``, ``hashFiles``, ``success``,
  ``always``, ``failure``, ``cancelled``;
* ``uses:`` steps replaced by what they set up (``tests/harness/actions.py``): checkout clones the
  harness's bare *remote* (a copy of your repo, so workflow pushes land there), setup-python/node are
  no-ops (PATH starts with this project's ``.venv/bin``; ``pip install .`` of the project is a no-op
  shim because it is already installed editable), upload/download-artifact use a local store shared by
  every run of one ``Harness``; anything else (upload-sarif, cache, cloud credentials) is recorded in
  ``result.uses`` with its evaluated ``with:`` inputs;
* workflow commands parsed from step output: ``::error file=,line=::`` etc. into
  ``result.annotations``, ``::add-mask::`` into ``result.masks`` (``result.log`` is masked).

Example::

    from tests.fixtures.events import load_event
    from tests.harness import Harness

    def test_task_intake_comments(git_repo, tmp_path):
        harness = Harness(git_repo.path, root=tmp_path / "gh")
        payload = load_event("issues.labeled", **{"label.name": "task", "issue.body": "### Goal\\nx"})
        result = harness.run("tasks.yml", "issues", payload)
        assert result.ok, result.explain()
        assert result.ran == ["intake"]
        step = result.job("intake").step("queue")        # by step id, else name
        assert step.outputs["task"] == "1"
        assert "queued" in result.summary
        assert not result.errors()
        sarif = result.uses_of("github/codeql-action/upload-sarif")   # recorded, not run
        # sarif[0].path("sarif_file") is the SARIF file in that job's workspace

Knobs on ``Harness.run``: ``payload`` (default: the event's fixture), ``inputs`` (workflow_dispatch /
workflow_call inputs, declared defaults applied), ``ref``/``sha`` (override ``GITHUB_REF``/``SHA``),
``changed_files`` (for ``paths`` filters; push payloads use their commit lists), ``jobs`` (run only
these job ids and their needs), ``env`` (runner environment for this run), ``replace_run`` (step id or
name -> a script that replaces that step's ``run:``, flagged ``StepResult.replaced``; use it only for
steps that cannot run here, such as a full machine set-up, and say why in the test), ``align_payload``
(default on: pull request payloads get real ``head.sha``/``base.sha`` from the branches they name, plus
``refs/pull/<n>/head`` and a real ``refs/pull/<n>/merge`` commit that becomes ``GITHUB_SHA``, and their
``paths`` filters see the real diff; push payloads get ``after``/``before`` of the pushed ref and ``commits``
listing the real commits; SHAs that already are commits in the repo are kept).

Knobs on ``Harness(...)``: ``secrets``, ``vars``, ``env`` (runner environment), ``repository``
(``owner/name``; the payload's repository is rewritten to match), ``api_double`` (a started
``tests.apidouble.server.GitHubDouble``: sets ``GITHUB_API_URL``/``GITHUB_SERVER_URL``, the repository and
``secrets.GITHUB_TOKEN``), ``api_url``/``server_url`` (the same by hand), ``workflows_dir``, ``step_timeout``.
``harness.remote`` is the bare repository standing in for GitHub's copy: assert on what workflows pushed
(``harness.remote_git("log", "--oneline")``, ``harness.remote_file("docs/x.md")``). It is a snapshot of ``repo``'s
commits when the harness is made: ``harness.sync()`` copies later commits (like a push to GitHub).
Shims on PATH: ``pip install .``/``python -m pip install .``/``pip install leadforge==<installed>`` are no-ops
when leadforge is importable; ``pipx install <tool>`` links the tool ``./setup.sh`` put in ``.venv-tools``.

Reuse runs for real: composite actions (``./x``, ``$/x``, ``owner/repo[/x]@ref`` of a repository in
``Harness(repositories=)``, default ``{"*/leadforge": <this project>}``) run their steps with ``inputs``, ``env``,
``outputs`` and ``github.action_path`` (``StepResult.steps``); reusable workflows (``./``, ``$/`` and those
repositories) run their jobs as ``<caller job>/<job>``, with ``job.workflow_*`` naming the called file, and fail
the run when a called job asks for more permissions than the calling job grants. ``astral-sh/setup-uv`` puts a
uv shim on PATH (``uv sync --locked`` of LeadForge links the environment to this venv); ``docker run`` of a
LeadForge image runs ``leadforge`` here (``harness.docker_runs``); see ``tests/harness/shims.py``.

Not emulated (by design): services/containers, JavaScript and Docker actions' code, reusable workflows and
actions of other repositories (a job-level ``uses:`` is recorded and the job reported skipped), concurrency (runs
are sequential), ``hashFiles`` globbing beyond fnmatch, and the real network: point ``api_url`` at the
API double or make the workflow use the local forge.
"""

from tests.harness.actions import StepFailed, UsesCall
from tests.harness.expressions import ExpressionError, evaluate, interpolate
from tests.harness.runner import (
    DEFAULT_TOKEN,
    PROJECT_ROOT,
    Annotation,
    Harness,
    JobResult,
    RunResult,
    StepResult,
    WorkflowError,
    load_workflow,
)
from tests.harness.triggers import Decision, filter_match, should_run

__all__ = [
    "DEFAULT_TOKEN",
    "PROJECT_ROOT",
    "Annotation",
    "Decision",
    "ExpressionError",
    "Harness",
    "JobResult",
    "RunResult",
    "StepFailed",
    "StepResult",
    "UsesCall",
    "WorkflowError",
    "evaluate",
    "filter_match",
    "interpolate",
    "load_workflow",
    "run_workflow",
    "should_run",
]


def run_workflow(workflow, event, payload=None, *, repo, root, **options):
    """One-shot: ``Harness(repo, root=root, <harness options>).run(workflow, event, payload, <run options>)``."""
    harness_keys = {"secrets", "vars", "api_url", "env", "repository", "workflows_dir", "step_timeout", "repositories"}
    harness_options = {k: options.pop(k) for k in list(options) if k in harness_keys}
    return Harness(repo, root=root, **harness_options).run(workflow, event, payload, **options)
