"""The workflow runner: jobs in ``needs`` order, steps in bash, results you can assert on.

See the package docstring (``tests/harness/__init__.py``) for the API and an example.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.actions import StepFailed, UsesCall, UsesContext, emulate
from tests.harness.expressions import ExpressionError, Status, evaluate, has_status_function, interpolate, is_truthy, to_string
from tests.harness.triggers import Decision, should_run

__all__ = ["Harness", "RunResult", "JobResult", "StepResult", "Annotation", "WorkflowError", "PROJECT_ROOT", "load_workflow"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKEN = "ghs_harnessFakeToken0000000000000000000000"  # pragma: allowlist secret # nosemgrep
DEFAULT_STEP_TIMEOUT = 300.0


class WorkflowError(Exception):
    """The workflow file cannot be run by the harness (malformed, or uses something unsupported)."""


# ---- results -------------------------------------------------------------------------------------


@dataclass
class Annotation:
    level: str  # error | warning | notice | debug
    message: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    col: int | None = None
    title: str | None = None
    job: str = ""
    step: str = ""


@dataclass
class StepResult:
    id: str | None
    name: str
    kind: str  # "run" | "uses"
    uses: str | None = None
    command: str | None = None  # the script after ${{ }} substitution (or the replacement)
    replaced: bool = False  # the test replaced this step's run: script
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    outcome: str = "success"  # success | failure | skipped
    conclusion: str = "success"  # like outcome, but continue-on-error turns failure into success
    summary: str = ""
    env: dict[str, str] = field(default_factory=dict)  # the environment the step ran with
    error: str = ""  # why the harness failed the step (expression error, emulation failure, timeout)

    @property
    def ok(self) -> bool:
        return self.conclusion != "failure"

    @property
    def output(self) -> str:
        """stdout and stderr together (what the log shows)."""
        return self.stdout + self.stderr


@dataclass
class JobResult:
    id: str
    name: str
    matrix: dict[str, Any]
    result: str  # success | failure | skipped
    steps: list[StepResult]
    outputs: dict[str, str]
    workspace: Path
    summary: str
    reason: str = ""  # why the job was skipped
    continue_on_error: bool = False
    environment: dict[str, str] | None = None  # evaluated ``environment:`` (name, url)
    concurrency: dict[str, Any] | None = None  # evaluated job ``concurrency:`` (group, cancel-in-progress)

    @property
    def ok(self) -> bool:
        return self.result != "failure" or self.continue_on_error

    def step(self, key: str) -> StepResult:
        """A step by ``id``, else by ``name``; KeyError lists what exists."""
        for step in self.steps:
            if step.id == key:
                return step
        for step in self.steps:
            if step.name == key:
                return step
        raise KeyError(f"job {self.id!r} has no step {key!r}; steps: {[s.id or s.name for s in self.steps]}")


@dataclass
class RunResult:
    workflow: Path
    event: str
    payload: dict[str, Any]
    decision: Decision
    jobs: list[JobResult]
    uses: list[UsesCall]
    annotations: list[Annotation]
    artifacts_dir: Path
    masks: list[str]
    env: dict[str, str]  # the GITHUB_* base environment of the run
    concurrency: dict[str, Any] | None = None  # evaluated workflow ``concurrency:`` (group, cancel-in-progress)

    @property
    def triggered(self) -> bool:
        return self.decision.runs

    @property
    def ok(self) -> bool:
        """The workflow was triggered and no job failed."""
        return self.triggered and all(job.ok for job in self.jobs)

    def job(self, key: str) -> JobResult:
        """The job with id (or name) ``key``; for a matrix job, its only/first combination."""
        for job in self.jobs:
            if job.id == key:
                return job
        for job in self.jobs:
            if job.name == key:
                return job
        raise KeyError(f"no job {key!r} in run of {self.workflow.name}; jobs: {[j.id for j in self.jobs]}")

    def matrix_jobs(self, key: str) -> list[JobResult]:
        return [job for job in self.jobs if job.id == key]

    @property
    def ran(self) -> list[str]:
        """Ids of jobs that ran (not skipped), in order."""
        return [job.id for job in self.jobs if job.result != "skipped"]

    @property
    def summary(self) -> str:
        return "".join(job.summary for job in self.jobs)

    @property
    def artifacts(self) -> dict[str, Path]:
        if not self.artifacts_dir.exists():
            return {}
        return {p.name: p for p in sorted(self.artifacts_dir.iterdir()) if p.is_dir()}

    def uses_of(self, action: str) -> list[UsesCall]:
        """The recorded ``uses:`` calls of one action (``owner/repo[/path]``)."""
        return [call for call in self.uses if call.action.lower() == action.lower()]

    def errors(self) -> list[Annotation]:
        return [a for a in self.annotations if a.level == "error"]

    @property
    def log(self) -> str:
        """Every step's output with secrets and ``::add-mask::`` values replaced by ``***``."""
        text = "".join(f"## {job.id} / {step.name}\n{step.stdout}{step.stderr}" for job in self.jobs for step in job.steps)
        for value in sorted(self.masks, key=len, reverse=True):
            text = text.replace(value, "***")
        return text

    def explain(self) -> str:
        """A readable account of the run, for assertion messages: ``assert r.ok, r.explain()``."""
        lines = [f"workflow {self.workflow.name} on {self.event}: {self.decision.reason}"]
        for job in self.jobs:
            label = f"{job.id} {job.matrix}" if job.matrix else job.id
            lines.append(f"job {label}: {job.result}{' (' + job.reason + ')' if job.reason else ''}")
            for step in job.steps:
                lines.append(f"  step {step.id or step.name}: {step.outcome} exit={step.exit_code}{' ' + step.error if step.error else ''}")
                if step.outcome == "failure":
                    for stream in (step.stdout, step.stderr):
                        tail = stream.strip().splitlines()[-30:]
                        lines.extend("    | " + line for line in tail)
        text = "\n".join(lines)
        for value in sorted(self.masks, key=len, reverse=True):
            text = text.replace(value, "***")
        return text


# ---- loading -------------------------------------------------------------------------------------


def parse_yaml(text: str) -> Any:
    """YAML 1.2, as GitHub reads workflows: ``on``/``yes``/``no`` are strings, not booleans."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow file (YAML 1.2, like GitHub)."""
    from ruamel.yaml import YAMLError

    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except YAMLError as err:
        raise WorkflowError(f"{path}: invalid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise WorkflowError(f"{path}: a workflow must be a mapping")
    if not isinstance(doc.get("jobs"), dict) or not doc["jobs"]:
        raise WorkflowError(f"{path}: no jobs")
    return doc


def _parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` and ``name<<DELIM`` blocks, as written to GITHUB_OUTPUT / GITHUB_ENV."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise StepFailed(f"file command {name!r}: delimiter {delimiter!r} not found")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise StepFailed(f"invalid file command line: {line!r}")
    return values


_COMMAND = re.compile(r"^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$")


def _unescape(text: str, prop: bool = False) -> str:
    text = text.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%25", "%")


def _workflow_commands(text: str, job: str, step: str) -> tuple[list[Annotation], list[str]]:
    annotations: list[Annotation] = []
    masks: list[str] = []
    for raw in text.splitlines():
        match = _COMMAND.match(raw.strip())
        if not match:
            continue
        command, props_text, data = match.group(1), match.group(2) or "", match.group(3)
        if command == "add-mask":
            if data:
                masks.append(_unescape(data))
            continue
        if command not in ("error", "warning", "notice", "debug"):
            continue
        props: dict[str, str] = {}
        for part in filter(None, props_text.split(",")):
            key, _, value = part.partition("=")
            props[key.strip()] = _unescape(value, prop=True)

        def number(key: str) -> int | None:
            value = props.get(key)
            return int(value) if value and value.isdigit() else None

        annotations.append(
            Annotation(
                level=command,
                message=_unescape(data),
                file=props.get("file"),
                line=number("line"),
                end_line=number("endLine"),
                col=number("col"),
                title=props.get("title"),
                job=job,
                step=step,
            )
        )
    return annotations, masks


# ---- the harness ---------------------------------------------------------------------------------


_PIP_SHIM = r"""#!@PYTHON@
# workflow-harness pip shim: installing the project (".", ".[dev]", "leadforge==<installed version>") is a
# no-op when that leadforge is already importable; anything else goes to the real pip.
import importlib.metadata
import os
import re
import sys

PYTHON = "@PYTHON@"
FLAGS = {"-e", "--editable", "-U", "--upgrade", "-q", "--quiet", "-v", "--verbose", "--no-deps", "--user",
         "--no-cache-dir", "--disable-pip-version-check", "--break-system-packages", "--no-input", "--progress-bar",
         "--upgrade-strategy", "--prefer-binary", "--no-build-isolation"}


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def satisfied(spec):
    spec = spec.strip().strip("'\"")
    workspace = os.environ.get("GITHUB_WORKSPACE", "")
    base = re.sub(r"\[[^\]]*\]$", "", spec).rstrip("/")
    if base in ("", ".", workspace.rstrip("/")) or (workspace and os.path.abspath(base) == os.path.abspath(workspace)):
        return installed("leadforge") is not None
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?(?:==([^,;\s]+))?", spec)
    if not match:
        return False
    name, _, version = match.groups()
    have = installed(name)
    if name.lower() in ("pip", "setuptools", "wheel"):
        return have is not None and version is None
    return name.lower() == "leadforge" and have is not None and (version is None or version == have)


args = sys.argv[1:]
if args[:1] == ["install"]:
    rest = args[1:]
    specs = [a for a in rest if not a.startswith("-")]
    flags = [a.split("=", 1)[0] for a in rest if a.startswith("-")]
    if specs and all(f in FLAGS for f in flags) and all(satisfied(s) for s in specs):
        print(f"workflow harness: 'pip {' '.join(args)}' skipped: leadforge {installed('leadforge')} is already installed in {sys.prefix}")
        sys.exit(0)
os.execv(PYTHON, [PYTHON, "-m", "pip", *args])
"""

_PIPX_SHIM = r"""#!@PYTHON@
# workflow-harness pipx shim: `pipx install <tool spec>` links a tool this machine already has (the project's
# .venv-tools/<tool>/bin, else PATH) into the runner's bin folder; it never downloads.
import os
import re
import shutil
import sys

TOOLS = "@TOOLS@"
BIN = "@PIPXBIN@"
SHIMS = "@SHIMS@"
args = sys.argv[1:]
if args[:1] != ["install"]:
    sys.exit(f"workflow harness: 'pipx {' '.join(args)}' is not emulated (only 'pipx install <tool>')")
specs = [a for a in args[1:] if not a.startswith("-")]
if not specs:
    sys.exit("pipx install: no package given")
for spec in specs:
    name = re.match(r"[A-Za-z0-9_.-]+", spec.strip("'\"")).group(0)
    candidates = [os.path.join(TOOLS, name, "bin", name)]
    search = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p not in (BIN, SHIMS))
    found = next((c for c in candidates if os.access(c, os.X_OK)), None) or shutil.which(name, path=search)
    if not found:
        sys.exit(f"workflow harness: pipx cannot download {spec!r} here; install {name} with ./setup.sh first")
    os.makedirs(BIN, exist_ok=True)
    link = os.path.join(BIN, name)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(found, link)
    print(f"workflow harness: 'pipx install {spec}' linked the installed {name} ({found})")
"""

_PYTHON_SHIM = r"""#!/bin/bash
# workflow-harness python shim: routes `python -m pip` through the pip shim.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; exec "@SHIMS@/pip" "$@"; fi
exec @PYTHON@ "$@"
"""


class Harness:
    """Runs workflows of this project against a test repository. One instance = one "GitHub".

    ``repo``: a git repository (a work tree or bare); the harness clones it into a bare *remote*
    (``harness.remote``) that checkout clones from and workflow pushes go to.
    ``root``: a scratch folder (pytest's ``tmp_path``). ``secrets``/``vars``: the ``secrets.*``/``vars.*``
    contexts (``GITHUB_TOKEN`` defaults to a fake token). ``api_url``/``server_url``: where
    ``GITHUB_API_URL``/``GITHUB_SERVER_URL`` point. ``api_double``: a started ``tests.apidouble``
    ``GitHubDouble``; sets ``api_url``, ``server_url``, ``repository`` and ``secrets.GITHUB_TOKEN`` from it.
    ``env``: extra runner environment (like variables set on the runner machine). ``repository``:
    ``owner/name`` (default: from the payload, else ``octo-org/octo-repo``); when set, the payload's
    ``repository.full_name``/``name``/``owner.login`` are rewritten to match, so env and payload agree.
    """

    def __init__(
        self,
        repo: str | os.PathLike[str],
        *,
        root: str | os.PathLike[str] | None = None,
        secrets: Mapping[str, str] | None = None,
        vars: Mapping[str, str] | None = None,
        api_url: str | None = None,
        server_url: str | None = None,
        api_double: Any = None,
        env: Mapping[str, str] | None = None,
        repository: str | None = None,
        workflows_dir: str | os.PathLike[str] | None = None,
        step_timeout: float = DEFAULT_STEP_TIMEOUT,
    ) -> None:
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="wf-harness-"))
        self.root.mkdir(parents=True, exist_ok=True)
        token = DEFAULT_TOKEN
        if api_double is not None:
            api_url = api_url or api_double.url
            server_url = server_url or api_double.server_url
            repository = repository or api_double.repository
            token = api_double.token
        self.secrets = {"GITHUB_TOKEN": token, **(secrets or {})}
        self.vars = dict(vars or {})
        self.api_url = api_url
        self.server_url = server_url
        self.extra_env = dict(env or {})
        self.repository = repository
        self.workflows_dir = Path(workflows_dir) if workflows_dir else PROJECT_ROOT / ".github" / "workflows"
        self.step_timeout = step_timeout
        self.artifacts = self.root / "artifacts"
        self.artifacts.mkdir(exist_ok=True)
        self.home = self.root / "home"
        self.home.mkdir(exist_ok=True)
        self.remote = self.root / "remote.git"
        source = Path(repo).resolve()
        self.source = source
        if not self.remote.exists():
            proc = subprocess.run(["git", "clone", "--quiet", "--bare", str(source), str(self.remote)], capture_output=True, text=True)
            if proc.returncode != 0:
                raise WorkflowError(f"cannot clone {source}: {proc.stderr.strip()}")
        self.shims = self.root / "shims"
        self.pipx_bin = self.home / ".local" / "bin"  # where pipx puts tools; on PATH like on GitHub's runners
        self._write_shims()
        self._runs = 0

    # -- environment ---------------------------------------------------------------------------

    def _write_shims(self) -> None:
        self.shims.mkdir(exist_ok=True)
        python = str(Path(sys.prefix) / "bin" / "python")
        tools = os.environ.get("LEADFORGE_TOOLS", str(PROJECT_ROOT / ".venv-tools"))
        shims = (("pip", _PIP_SHIM), ("pip3", _PIP_SHIM), ("pipx", _PIPX_SHIM), ("python", _PYTHON_SHIM), ("python3", _PYTHON_SHIM))
        for name, text in shims:
            path = self.shims / name
            text = text.replace("@PYTHON@", python).replace("@SHIMS@", str(self.shims))
            text = text.replace("@TOOLS@", tools).replace("@PIPXBIN@", str(self.pipx_bin))
            path.write_text(text, encoding="utf-8")
            path.chmod(0o755)

    def _base_path(self) -> str:
        venv_bin = str(Path(sys.prefix) / "bin")
        system = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return os.pathsep.join([str(self.shims), venv_bin, str(self.pipx_bin), *system])

    # -- git -------------------------------------------------------------------------------------

    def _rev(self, ref: str) -> str | None:
        proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=self.remote, capture_output=True, text=True)
        return proc.stdout.strip() or None

    def _default_branch(self) -> str:
        proc = subprocess.run(["git", "symbolic-ref", "--short", "HEAD"], cwd=self.remote, capture_output=True, text=True)
        return proc.stdout.strip() or "main"

    def sync(self) -> None:
        """Copy the source repo's branches and tags into the remote again, like pushing them to GitHub.

        The remote is a snapshot taken when the harness was made; call this after committing more in the
        source repo. Refs a workflow pushed are overwritten when the source has the same ref.
        """
        done = self._git("fetch", "--quiet", "--force", "--tags", str(self.source), "+refs/heads/*:refs/heads/*")
        if done.returncode != 0:
            raise WorkflowError(f"cannot sync the harness remote from {self.source}: {done.stderr.strip()}")

    def remote_git(self, *args: str) -> str:
        """Run git in the remote (what workflows pushed to) and return stdout: ``remote_git("log", "--oneline")``."""
        done = self._git(*args)
        if done.returncode != 0:
            raise WorkflowError(f"git {' '.join(args)} in the harness remote failed: {done.stderr.strip()}")
        return done.stdout

    def remote_file(self, path: str, ref: str | None = None) -> str:
        """A file as committed in the remote on ``ref`` (default: the default branch)."""
        return self.remote_git("show", f"{ref or self._default_branch()}:{path}")

    # -- running ---------------------------------------------------------------------------------

    def workflow_path(self, workflow: str | os.PathLike[str]) -> Path:
        path = Path(workflow)
        if not path.is_absolute():
            path = self.workflows_dir / path
        if not path.is_file():
            raise WorkflowError(f"workflow {path} not found")
        return path

    def run(
        self,
        workflow: str | os.PathLike[str],
        event: str,
        payload: Mapping[str, Any] | None = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        ref: str | None = None,
        sha: str | None = None,
        changed_files: Iterable[str] | None = None,
        replace_run: Mapping[str, str] | None = None,
        jobs: Iterable[str] | None = None,
        actor: str | None = None,
        env: Mapping[str, str] | None = None,
        align_payload: bool = True,
    ) -> RunResult:
        """Run ``workflow`` (a file name under ``.github/workflows/`` or a path) for ``event``.

        ``payload`` defaults to the event's fixture (``tests/fixtures/events``). ``inputs`` fills
        ``inputs.*`` (and ``github.event.inputs`` for ``workflow_dispatch``), with the workflow's
        declared defaults. ``ref``/``sha`` override ``GITHUB_REF``/``GITHUB_SHA`` (defaults: from
        the payload, and the commit that ref names in the remote, else the remote's HEAD).
        ``replace_run`` maps a step id or name to a script that replaces its ``run:`` (recorded as
        ``StepResult.replaced``). ``jobs`` limits which job ids run (with their ``needs``).
        ``env`` adds runner environment for this run only. ``align_payload`` (default on) makes the
        payload's commit SHAs real: for pull requests whose ``head.ref``/``base.ref`` branches exist in the
        repo, ``head.sha``/``base.sha`` become those commits and ``refs/pull/<n>/head`` and ``.../merge``
        (a real merge commit, as GitHub makes) are created, so ``GITHUB_SHA`` is the merge commit; for
        pushes, ``after``/``head_commit.id`` (and ``before``, when it is not a commit here) follow the
        pushed ref. SHAs that already name commits in the repo are kept.
        """
        from tests.fixtures.events import DEFAULT_FOR_EVENT, load_event

        path = self.workflow_path(workflow)
        doc = load_workflow(path)
        on = doc.get("on")
        default_payload = payload is None
        if payload is None:
            if event not in DEFAULT_FOR_EVENT:
                raise WorkflowError(f"no default payload for event {event!r}: pass payload=")
            payload = load_event(DEFAULT_FOR_EVENT[event])
        payload = json.loads(json.dumps(payload))  # our own copy, JSON-clean
        self._runs += 1
        run_dir = self.root / f"run-{self._runs}-{path.stem}"
        run_dir.mkdir(parents=True, exist_ok=True)

        if default_payload:
            # the fixture's ref/cron belong to someone else's repo/workflow: use ours
            if event in ("push", "workflow_dispatch"):
                payload["ref"] = f"refs/heads/{self._default_branch()}"
            if event == "schedule":
                crons = [e.get("cron") for e in (on.get("schedule") or []) if isinstance(e, dict)] if isinstance(on, dict) else []
                payload["schedule"] = crons[0] if crons else payload.get("schedule", "")
        if inputs is None and event == "workflow_dispatch" and not default_payload:
            inputs = payload.get("inputs") or {}
        resolved_inputs = self._inputs(on, event, inputs)
        if event == "workflow_dispatch":
            payload["inputs"] = {k: v if isinstance(v, str) else to_string(v) for k, v in resolved_inputs.items()}

        if self.repository:
            self._retarget(payload, self.repository)
        repository = self.repository or str((payload.get("repository") or {}).get("full_name") or "octo-org/octo-repo")
        if align_payload and event in _PULL_EVENTS:
            self._pull_refs(payload)
        git_ref = ref or self._event_ref(event, payload)
        git_sha = sha or self._rev(git_ref) or self._rev("HEAD") or ""
        if align_payload and event == "push":
            self._align_push(payload, git_sha)
        event_path = run_dir / "event.json"
        event_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        if changed_files is None and align_payload and event in _PULL_EVENTS:
            changed_files = self._pull_changed_files(payload)
        decision = should_run(on, event, {**payload, "ref": git_ref} if event == "push" else payload, changed_files=changed_files)

        github = self._github_context(doc, path, event, payload, repository, git_ref, git_sha, event_path, actor)
        base_env = self._base_env(github, run_dir) | dict(env or {})
        result = RunResult(
            workflow=path,
            event=event,
            payload=payload,
            decision=decision,
            jobs=[],
            uses=[],
            annotations=[],
            artifacts_dir=self.artifacts,
            masks=[v for v in self.secrets.values() if v],
            env=base_env,
        )
        try:
            result.concurrency = _concurrency(doc.get("concurrency"), {"github": github, "inputs": resolved_inputs, "vars": self.vars})
        except ExpressionError as err:
            raise WorkflowError(f"{path.name}: concurrency: {err}") from None
        if not decision.runs:
            return result
        state = _RunState(
            harness=self,
            doc=doc,
            path=path,
            github=github,
            inputs=resolved_inputs,
            base_env=base_env,
            run_dir=run_dir,
            result=result,
            replace_run=dict(replace_run or {}),
            uploaded=set(),
            secrets=dict(self.secrets),
        )
        state.run_jobs(set(jobs) if jobs is not None else None)
        return result

    @staticmethod
    def _retarget(payload: dict[str, Any], repository: str) -> None:
        repo = payload.get("repository")
        if not isinstance(repo, dict):
            return
        owner, _, name = repository.partition("/")
        repo["full_name"] = repository
        repo["name"] = name
        if isinstance(repo.get("owner"), dict):
            repo["owner"]["login"] = owner

    @staticmethod
    def _inputs(on: Any, event: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """``inputs.*`` for ``workflow_dispatch``/``workflow_call``: declared defaults, then ``given``, typed.

        Like GitHub: unknown inputs and missing required ones are errors, ``choice`` values must be options,
        ``boolean`` inputs are booleans and ``number`` inputs numbers in the ``inputs`` context.
        """
        config = on.get(event) if isinstance(on, dict) and event in ("workflow_dispatch", "workflow_call") else None
        specs = (config.get("inputs") if isinstance(config, dict) else None) or {}
        given = dict(given or {})
        if not specs:
            return given
        unknown = sorted(set(given) - set(specs))
        if unknown:
            raise WorkflowError(f"unexpected inputs {unknown} for the {event} trigger (declared: {sorted(specs)})")
        values: dict[str, Any] = {}
        for name, spec in specs.items():
            spec = spec or {}
            kind = spec.get("type", "string")
            if name in given:
                value = given[name]
            elif "default" in spec:
                value = spec["default"]
            elif spec.get("required"):
                raise WorkflowError(f"input {name!r} is required by the {event} trigger: pass inputs={{'{name}': ...}}")
            else:
                value = False if kind == "boolean" else ""
            if kind == "boolean" and isinstance(value, str):
                if value.lower() not in ("true", "false"):
                    raise WorkflowError(f"input {name!r}: {value!r} is not a boolean")
                value = value.lower() == "true"
            elif kind == "number" and isinstance(value, str) and value != "":
                try:
                    value = float(value)
                except ValueError:
                    raise WorkflowError(f"input {name!r}: {value!r} is not a number") from None
            if kind == "choice" and value not in (spec.get("options") or []):
                raise WorkflowError(f"input {name!r}: {value!r} is not one of {spec.get('options')}")
            values[name] = value
        return values

    def _event_ref(self, event: str, payload: Mapping[str, Any]) -> str:
        if event in ("push", "workflow_dispatch") and payload.get("ref"):
            return str(payload["ref"])
        if event in _PULL_EVENTS and event != "pull_request_target":
            number = (payload.get("pull_request") or {}).get("number") or payload.get("number")
            return f"refs/pull/{number}/merge"
        if event == "pull_request_target":
            base = ((payload.get("pull_request") or {}).get("base") or {}).get("ref")
            return f"refs/heads/{base or self._default_branch()}"
        if event == "release" and (payload.get("release") or {}).get("tag_name"):
            return f"refs/tags/{payload['release']['tag_name']}"
        if event == "workflow_run" and (payload.get("workflow_run") or {}).get("head_branch"):
            return f"refs/heads/{self._default_branch()}"
        return f"refs/heads/{self._default_branch()}"

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.remote, capture_output=True, text=True, env={**os.environ, **(env or {})})

    def _pull_refs(self, payload: dict[str, Any]) -> None:
        """Make ``refs/pull/<n>/head`` and ``refs/pull/<n>/merge`` from the PR's branches, like GitHub."""
        pull = payload.get("pull_request")
        if not isinstance(pull, dict):
            return
        number = pull.get("number") or payload.get("number")
        head, base = pull.get("head") or {}, pull.get("base") or {}
        head_sha = self._rev(str(head.get("sha") or "")) if head.get("sha") else None
        head_sha = head_sha or (self._rev(f"refs/heads/{head.get('ref')}") if head.get("ref") else None)
        base_sha = self._rev(str(base.get("sha") or "")) if base.get("sha") else None
        base_sha = base_sha or (self._rev(f"refs/heads/{base.get('ref')}") if base.get("ref") else None)
        if not (number and head_sha and base_sha):
            return
        head["sha"], base["sha"] = head_sha, base_sha
        self._git("update-ref", f"refs/pull/{number}/head", head_sha)
        merged = self._git("merge-tree", "--write-tree", base_sha, head_sha)
        if merged.returncode != 0:
            self._git("update-ref", "-d", f"refs/pull/{number}/merge")
            pull["mergeable"] = False
            return
        tree = merged.stdout.split()[0]
        when = str(pull.get("updated_at") or "2026-01-01T00:00:00Z")
        identity = {"GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com", "GIT_COMMITTER_NAME": "GitHub",
                    "GIT_COMMITTER_EMAIL": "noreply@github.com", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        commit = self._git("commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", f"Merge {head_sha} into {base_sha}", env=identity)
        if commit.returncode != 0:
            raise WorkflowError(f"cannot make the merge commit of pull request #{number}: {commit.stderr.strip()}")
        merge_sha = commit.stdout.strip()
        self._git("update-ref", f"refs/pull/{number}/merge", merge_sha)
        pull["merge_commit_sha"] = merge_sha
        pull["mergeable"] = True

    def _align_push(self, payload: dict[str, Any], sha: str) -> None:
        if not sha or (payload.get("after") and self._rev(str(payload["after"]))):
            return
        if payload.get("deleted"):
            return
        payload["after"] = sha
        if not (payload.get("before") and self._rev(str(payload["before"]))):
            payload["before"] = self._rev(f"{sha}^") or "0" * 40
        before = str(payload["before"])
        span = f"{before}..{sha}" if self._rev(before) else sha
        listed = self._git("rev-list", "--reverse", "--max-count=20", span) if self._rev(before) else self._git("rev-list", "--max-count=1", sha)
        repo_url = f"{self.server_url or 'https://github.com'}/{(payload.get('repository') or {}).get('full_name', '')}"
        commits = [self._commit_payload(c, repo_url) for c in listed.stdout.split()]
        payload["commits"] = commits
        payload["head_commit"] = commits[-1] if commits else None
        if isinstance(payload.get("repository"), dict) and payload["ref"].startswith("refs/heads/"):
            payload["compare"] = f"{repo_url}/compare/{before[:12]}...{sha[:12]}"

    def _commit_payload(self, sha: str, repo_url: str) -> dict[str, Any]:
        """One entry of a push payload's ``commits`` list, from the real commit."""
        fields = self._git("show", "-s", "--format=%T%x00%an%x00%ae%x00%cn%x00%ce%x00%aI%x00%B", sha).stdout.split("\x00")
        tree, an, ae, cn, ce, date, message = (fields + [""] * 7)[:7]
        changes = self._git("diff-tree", "--root", "--no-commit-id", "--name-status", "-r", "--no-renames", sha).stdout
        added, modified, removed = [], [], []
        for line in changes.splitlines():
            status, _, path = line.partition("\t")
            {"A": added, "D": removed}.get(status[:1], modified).append(path)
        return {
            "id": sha,
            "tree_id": tree,
            "distinct": True,
            "message": message.rstrip("\n"),
            "timestamp": date,
            "url": f"{repo_url}/commit/{sha}",
            "author": {"name": an, "email": ae, "username": an},
            "committer": {"name": cn, "email": ce, "username": cn},
            "added": added,
            "removed": removed,
            "modified": modified,
        }

    def _pull_changed_files(self, payload: Mapping[str, Any]) -> list[str] | None:
        pull = payload.get("pull_request") or {}
        base, head = (pull.get("base") or {}).get("sha"), (pull.get("head") or {}).get("sha")
        if not (base and head and self._rev(str(base)) and self._rev(str(head))):
            return None
        done = self._git("diff", "--name-only", f"{base}...{head}")
        return done.stdout.split("\n")[:-1] if done.returncode == 0 else None

    def _github_context(
        self,
        doc: Mapping[str, Any],
        path: Path,
        event: str,
        payload: Mapping[str, Any],
        repository: str,
        ref: str,
        sha: str,
        event_path: Path,
        actor: str | None,
    ) -> dict[str, Any]:
        owner = repository.split("/")[0]
        pull = payload.get("pull_request") or {}
        pr_event = event in ("pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment")
        ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
        ref_name = ref.split("/", 2)[2] if ref.startswith(("refs/heads/", "refs/tags/")) else ref.removeprefix("refs/")
        if ref.startswith("refs/pull/"):
            ref_name = ref[len("refs/pull/") :]  # "<n>/merge", as GitHub reports it
        login = actor or str((payload.get("sender") or {}).get("login") or "octocat")
        run_id = str(7_000_000_000 + self._runs)
        return {
            "event": payload,
            "event_name": event,
            "event_path": str(event_path),
            "repository": repository,
            "repository_owner": owner,
            "repository_id": str((payload.get("repository") or {}).get("id") or "1"),
            "sha": sha,
            "ref": ref,
            "ref_name": ref_name,
            "ref_type": ref_type,
            "ref_protected": False,
            "head_ref": str((pull.get("head") or {}).get("ref") or "") if pr_event else "",
            "base_ref": str((pull.get("base") or {}).get("ref") or "") if pr_event else "",
            "run_id": run_id,
            "run_number": str(self._runs),
            "run_attempt": "1",
            "actor": login,
            "triggering_actor": login,
            "workflow": str(doc.get("name") or f".github/workflows/{path.name}"),
            "workflow_ref": f"{repository}/.github/workflows/{path.name}@{ref}",
            "server_url": self.server_url or "https://github.com",
            "api_url": self.api_url or "https://api.github.com",
            "graphql_url": (self.api_url or "https://api.github.com").rstrip("/") + "/graphql",
            "token": self.secrets.get("GITHUB_TOKEN", ""),  # pragma: allowlist secret
            "retention_days": "90",
            "secret_source": "Actions",
            "job": "",
            "workspace": "",
            "action": "",
        }

    def _base_env(self, github: Mapping[str, Any], run_dir: Path) -> dict[str, str]:
        env = {
            "PATH": self._base_path(),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_EVENT_PATH": github["event_path"],
            "GITHUB_REPOSITORY": github["repository"],
            "GITHUB_REPOSITORY_OWNER": github["repository_owner"],
            "GITHUB_REPOSITORY_ID": github["repository_id"],
            "GITHUB_SHA": github["sha"],
            "GITHUB_REF": github["ref"],
            "GITHUB_REF_NAME": github["ref_name"],
            "GITHUB_REF_TYPE": github["ref_type"],
            "GITHUB_HEAD_REF": github["head_ref"],
            "GITHUB_BASE_REF": github["base_ref"],
            "GITHUB_RUN_ID": github["run_id"],
            "GITHUB_RUN_NUMBER": github["run_number"],
            "GITHUB_RUN_ATTEMPT": github["run_attempt"],
            "GITHUB_ACTOR": github["actor"],
            "GITHUB_TRIGGERING_ACTOR": github["triggering_actor"],
            "GITHUB_WORKFLOW": github["workflow"],
            "GITHUB_WORKFLOW_REF": github["workflow_ref"],
            "GITHUB_SERVER_URL": github["server_url"],
            "GITHUB_API_URL": github["api_url"],
            "GITHUB_GRAPHQL_URL": github["graphql_url"],
            "GITHUB_RETENTION_DAYS": github["retention_days"],
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "workflow-harness",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_TOOL_CACHE": str(self.root / "toolcache"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        for passthrough in ("TZ", "PLAYWRIGHT_BROWSERS_PATH"):
            if passthrough in os.environ:
                env[passthrough] = os.environ[passthrough]
        return env | self.extra_env


def _minutes(value: Any, contexts: Mapping[str, Any]) -> float:
    """``timeout-minutes`` (a number or an expression); 0 when unset."""
    if value is None or value == "":
        return 0.0
    try:
        return float(to_string(interpolate(value, contexts)) if isinstance(value, str) else value)
    except (ValueError, ExpressionError) as err:
        raise WorkflowError(f"timeout-minutes: {value!r} is not a number ({err})") from None


def _concurrency(value: Any, contexts: Mapping[str, Any]) -> dict[str, Any] | None:
    """``concurrency:`` evaluated: a string is the group; ``cancel-in-progress`` defaults to false."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"group": to_string(interpolate(value, contexts)), "cancel-in-progress": False}
    if isinstance(value, dict):
        cancel = interpolate(value.get("cancel-in-progress", False), contexts)
        return {"group": to_string(interpolate(value.get("group", ""), contexts)), "cancel-in-progress": is_truthy(cancel) if not isinstance(cancel, str) else cancel == "true"}
    raise WorkflowError(f"concurrency must be a string or mapping, got {value!r}")


_PULL_EVENTS = ("pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment")


def _str_map(values: Any, what: str) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise WorkflowError(f"{what} must be a mapping")
    return dict(values)


def _expand_matrix(matrix: Any) -> list[dict[str, Any]]:
    if not matrix:
        return [{}]
    if not isinstance(matrix, dict):
        raise WorkflowError(f"strategy.matrix must be a mapping, got {matrix!r}")
    include = list(matrix.get("include") or [])
    exclude = list(matrix.get("exclude") or [])
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    for key, values in axes.items():
        if not isinstance(values, list):
            raise WorkflowError(f"strategy.matrix.{key} must be a list")
    combos: list[dict[str, Any]] = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())] if axes else []
    combos = [c for c in combos if not any(all(c.get(k) == v for k, v in ex.items()) for ex in exclude)]
    for extra in include:
        matched = False
        for combo in combos:
            if all(combo.get(k) == v for k, v in extra.items() if k in axes):
                combo.update({k: v for k, v in extra.items() if k not in axes or combo.get(k) == v})
                matched = True
        if not matched:
            combos.append(dict(extra))
    return combos or [{}]


@dataclass
class _RunState:
    harness: Harness
    doc: dict[str, Any]
    path: Path
    github: dict[str, Any]
    inputs: dict[str, Any]
    base_env: dict[str, str]
    run_dir: Path
    result: RunResult
    replace_run: dict[str, str]
    uploaded: set[str]
    secrets: dict[str, str] = field(default_factory=dict)
    prefix: str = ""  # "<caller job>/" for the jobs of a called (reusable) workflow
    needs_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    replaced_used: set[str] = field(default_factory=set)
    process_groups: list[int] = field(default_factory=list)  # of the current job's steps: killed when it ends

    # -- ordering --------------------------------------------------------------------------------

    def _needs(self, job: Mapping[str, Any]) -> list[str]:
        needs = job.get("needs") or []
        return [needs] if isinstance(needs, str) else [str(n) for n in needs]

    def _order(self, only: set[str] | None) -> list[str]:
        jobs: dict[str, Any] = self.doc["jobs"]
        wanted = set(jobs)
        if only is not None:
            unknown = only - set(jobs)
            if unknown:
                raise WorkflowError(f"{self.path.name}: no jobs {sorted(unknown)}; jobs: {sorted(jobs)}")
            wanted = set()
            stack = list(only)
            while stack:
                name = stack.pop()
                if name not in wanted:
                    wanted.add(name)
                    stack.extend(self._needs(jobs[name]))
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise WorkflowError(f"{self.path.name}: dependency cycle at job {name!r}")
            if name not in jobs:
                raise WorkflowError(f"{self.path.name}: a job needs unknown job {name!r}")
            visiting.add(name)
            for dep in self._needs(jobs[name]):
                visit(dep)
            visiting.discard(name)
            order.append(name)

        for name in jobs:  # file order, dependencies first
            if name in wanted:
                visit(name)
        return order

    def run_jobs(self, only: set[str] | None) -> None:
        for job_id in self._order(only):
            self._run_job_id(job_id)
        unused = set(self.replace_run) - self.replaced_used
        if unused:
            raise WorkflowError(f"replace_run names steps that did not run: {sorted(unused)}")

    # -- contexts --------------------------------------------------------------------------------

    def _contexts(self, **extra: Any) -> dict[str, Any]:
        base = {
            "github": self.github,
            "inputs": self.inputs,
            "vars": self.harness.vars,
            "secrets": self.secrets,
            "env": {},
            "needs": {},
            "matrix": {},
            "strategy": {},
            "steps": {},
            "job": {},
            "runner": {},
        }
        base.update(extra)
        return base

    # -- jobs ------------------------------------------------------------------------------------

    def _run_job_id(self, job_id: str) -> None:
        job = self.doc["jobs"][job_id]
        if not isinstance(job, dict):
            raise WorkflowError(f"{self.path.name}: job {job_id!r} must be a mapping")
        needs = self._needs(job)
        needs_ctx = {name: self.needs_results.get(name, {"result": "skipped", "outputs": {}}) for name in needs}
        status = Status(
            failed=any(n["result"] == "failure" for n in needs_ctx.values()),
            cancelled=False,
            blocked=any(n["result"] == "skipped" for n in needs_ctx.values()),
        )
        contexts = self._contexts(needs=needs_ctx)
        name = str(job.get("name") or job_id)
        condition = job.get("if")
        runs, reason = True, ""
        try:
            if condition is None or condition == "":
                runs = not (status.failed or status.blocked)
                reason = "" if runs else "a needed job did not succeed"
            else:
                text = str(condition)
                expr = text if has_status_function(text) else f"success() && ({_strip_braces(text)})"
                runs = is_truthy(evaluate(_strip_braces(expr), contexts, status=status))
                reason = "" if runs else f"if: {text} was false"
        except ExpressionError as err:
            raise WorkflowError(f"{self.path.name}: job {job_id} if: {err}") from None

        if job.get("uses") and runs:
            if str(job["uses"]).startswith("./"):
                self._run_reusable(job_id, job, contexts)
                return
            call = UsesCall(job_id, name, str(job["uses"]).split("@")[0], str(job["uses"]).partition("@")[2], dict(job.get("with") or {}), self.run_dir, emulated=False)
            self.result.uses.append(call)
            runs, reason = False, f"reusable workflow {job['uses']} from another repository is recorded, not run"
        if not runs:
            self.result.jobs.append(JobResult(self.prefix + job_id, name, {}, "skipped", [], {}, self.run_dir, "", reason))
            self.needs_results[job_id] = {"result": "skipped", "outputs": {}}
            return

        strategy = job.get("strategy") or {}
        try:
            matrix = interpolate(strategy.get("matrix"), contexts) if strategy else None
            if isinstance(matrix, dict):
                matrix = {k: interpolate(v, contexts) for k, v in matrix.items()}
        except ExpressionError as err:
            raise WorkflowError(f"{self.path.name}: job {job_id} strategy: {err}") from None
        combos = _expand_matrix(matrix)
        results: list[JobResult] = []
        for index, combo in enumerate(combos):
            try:
                results.append(self._run_job(job_id, job, combo, index, len(combos), needs_ctx))
            finally:
                # the runner's orphan clean-up: whatever the job's steps left running ends with the job
                while self.process_groups:
                    _kill_group(self.process_groups.pop())
        final = "failure" if any(r.result == "failure" and not r.continue_on_error for r in results) else "success"
        outputs: dict[str, str] = {}
        for r in results:
            outputs.update(r.outputs)
        self.needs_results[job_id] = {"result": final, "outputs": outputs}

    def _run_job(
        self, job_id: str, job: dict[str, Any], combo: dict[str, Any], index: int, total: int, needs_ctx: dict[str, Any]
    ) -> JobResult:
        h = self.harness
        suffix = f"-{index}" if total > 1 else ""
        job_dir = self.run_dir / f"{job_id}{suffix}"
        workspace = job_dir / "workspace"
        temp = job_dir / "temp"
        workspace.mkdir(parents=True, exist_ok=True)
        temp.mkdir(parents=True, exist_ok=True)
        github = dict(self.github, job=job_id, workspace=str(workspace))
        runner = {"os": "Linux", "arch": "X64", "name": "workflow-harness", "temp": str(temp), "tool_cache": str(h.root / "toolcache"), "environment": "github-hosted"}
        strategy_ctx = {"fail-fast": True, "job-index": index, "job-total": total, "max-parallel": total}
        job_status = {"status": "success"}
        contexts = self._contexts(github=github, needs=needs_ctx, matrix=combo, strategy=strategy_ctx, runner=runner, job=job_status)
        name = str(interpolate(job.get("name") or job_id, contexts))

        def evaluate_env(values: Any, ctx: dict[str, Any], where: str) -> dict[str, str]:
            out: dict[str, str] = {}
            for key, value in _str_map(values, where).items():
                try:
                    out[str(key)] = to_string(interpolate(value, ctx))  # sees the outer env, not its siblings
                except ExpressionError as err:
                    raise WorkflowError(f"{self.path.name}: {where}.{key}: {err}") from None
            return out

        workflow_env = evaluate_env(self.doc.get("env"), contexts, "env")
        contexts["env"] = dict(workflow_env)
        job_env = evaluate_env(job.get("env"), contexts, f"jobs.{job_id}.env")
        env_ctx = {**workflow_env, **job_env}
        defaults = {**((self.doc.get("defaults") or {}).get("run") or {}), **((job.get("defaults") or {}).get("run") or {})}

        steps_ctx: dict[str, dict[str, Any]] = {}
        file_env: dict[str, str] = {}
        extra_path: list[str] = []
        results: list[StepResult] = []
        summary_parts: list[str] = []
        failed = False
        job_timeout = _minutes(job.get("timeout-minutes"), contexts) * 60 or None
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            raise WorkflowError(f"{self.path.name}: job {job_id} has no steps")

        for number, step in enumerate(steps, start=1):
            if not isinstance(step, dict):
                raise WorkflowError(f"{self.path.name}: jobs.{job_id}.steps[{number - 1}] must be a mapping")
            step_id = step.get("id")
            label = str(step.get("name") or str(step.get("uses") or "").partition("@")[0] or (str(step.get("run", "")).strip().splitlines() or [""])[0] or f"step {number}")
            contexts["steps"] = steps_ctx
            contexts["env"] = {**env_ctx, **file_env}
            job_status["status"] = "failure" if failed else "success"
            status = Status(failed=failed)
            sr = StepResult(id=str(step_id) if step_id is not None else None, name=label, kind="uses" if "uses" in step else "run", uses=step.get("uses"))
            results.append(sr)
            try:
                label = to_string(interpolate(label, contexts))
                sr.name = label
                step_env = evaluate_env(step.get("env"), contexts, f"jobs.{job_id}.steps[{number - 1}].env")
                contexts["env"] = {**env_ctx, **file_env, **step_env}
                condition = step.get("if")
                if condition is None or condition == "":
                    runs = not failed
                else:
                    text = _strip_braces(str(condition))
                    expr = text if has_status_function(text) else f"success() && ({text})"
                    runs = is_truthy(evaluate(expr, contexts, status=status, workspace=workspace))
            except (ExpressionError, WorkflowError) as err:
                sr.outcome = sr.conclusion = "failure"
                sr.error = str(err)
                self.result.annotations.append(Annotation("error", f"{label}: {err}", job=job_id, step=label))
                failed = True
                continue
            if not runs:
                sr.outcome = sr.conclusion = "skipped"
                if step_id is not None:
                    steps_ctx[str(step_id)] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue

            step_files = {
                "GITHUB_OUTPUT": temp / f"output_{uuid.uuid4().hex}",
                "GITHUB_ENV": temp / f"env_{uuid.uuid4().hex}",
                "GITHUB_PATH": temp / f"path_{uuid.uuid4().hex}",
                "GITHUB_STEP_SUMMARY": temp / f"summary_{uuid.uuid4().hex}",
            }
            for file in step_files.values():
                file.write_text("", encoding="utf-8")
            process_env = {
                **self.base_env,
                "GITHUB_JOB": job_id,
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_ACTION": str(step_id or f"__run_{number}"),
                "RUNNER_TEMP": str(temp),
                **{k: str(v) for k, v in step_files.items()},
                **env_ctx,
                **file_env,
                **step_env,
            }
            if extra_path:
                process_env["PATH"] = os.pathsep.join([*reversed(extra_path), process_env["PATH"]])
            sr.env = dict(process_env)
            timeout = _minutes(step.get("timeout-minutes"), contexts) * 60 or job_timeout or h.step_timeout
            timeout = min(timeout, h.step_timeout)
            try:
                if "uses" in step:
                    self._uses_step(sr, step, contexts, workspace, job_id, label, process_env)
                elif "run" in step:
                    self._run_step(sr, step, contexts, defaults, workspace, process_env, timeout, job_id, label)
                else:
                    raise WorkflowError(f"{self.path.name}: jobs.{job_id}.steps[{number - 1}] has neither run nor uses")
            except (ExpressionError, StepFailed) as err:
                sr.outcome = "failure"
                sr.error = str(err)
                self.result.annotations.append(Annotation("error", str(err), job=job_id, step=label))

            if sr.outcome == "success" or "run" in step:
                try:
                    new_outputs = _parse_file_commands(_read(step_files["GITHUB_OUTPUT"]))
                    sr.outputs.update(new_outputs)
                    for key, value in _parse_file_commands(_read(step_files["GITHUB_ENV"])).items():
                        if key.upper().startswith(("GITHUB_", "RUNNER_")) or key.upper() == "NODE_OPTIONS":
                            # the runner keeps its own variables fixed
                            self.result.annotations.append(Annotation("warning", f"Can't set {key} with GITHUB_ENV", job=job_id, step=label))
                            continue
                        file_env[key] = value
                except StepFailed as err:
                    sr.outcome = "failure"
                    sr.error = str(err)
                for line in _read(step_files["GITHUB_PATH"]).splitlines():
                    if line.strip():
                        extra_path.append(line.strip())
                sr.summary = _read(step_files["GITHUB_STEP_SUMMARY"])
                if sr.summary:
                    summary_parts.append(sr.summary if sr.summary.endswith("\n") else sr.summary + "\n")
            annotations, masks = _workflow_commands(sr.stdout + "\n" + sr.stderr, job_id, label)
            self.result.annotations.extend(annotations)
            self.result.masks.extend(masks)

            continue_on_error = step.get("continue-on-error", False)
            if isinstance(continue_on_error, str):
                continue_on_error = is_truthy(interpolate(continue_on_error, contexts))
            sr.conclusion = "success" if sr.outcome == "failure" and continue_on_error else sr.outcome
            if sr.conclusion == "failure":
                failed = True
            if step_id is not None:
                steps_ctx[str(step_id)] = {"outputs": dict(sr.outputs), "outcome": sr.outcome, "conclusion": sr.conclusion}

        contexts["steps"] = steps_ctx
        contexts["env"] = {**env_ctx, **file_env}
        outputs: dict[str, str] = {}
        for key, value in _str_map(job.get("outputs"), f"jobs.{job_id}.outputs").items():
            try:
                outputs[str(key)] = to_string(interpolate(value, contexts))
            except ExpressionError as err:
                raise WorkflowError(f"{self.path.name}: jobs.{job_id}.outputs.{key}: {err}") from None
        try:
            environment = job.get("environment")
            if isinstance(environment, str):
                environment = {"name": to_string(interpolate(environment, contexts))}
            elif isinstance(environment, dict):
                environment = {str(k): to_string(interpolate(v, contexts)) for k, v in environment.items()}
            concurrency = _concurrency(job.get("concurrency"), contexts)
        except ExpressionError as err:
            raise WorkflowError(f"{self.path.name}: jobs.{job_id} environment/concurrency: {err}") from None
        coe = job.get("continue-on-error", False)
        if isinstance(coe, str):
            coe = is_truthy(interpolate(coe, contexts))
        job_result = JobResult(
            id=self.prefix + job_id,
            name=name,
            matrix=combo,
            result="failure" if failed else "success",
            steps=results,
            outputs=outputs,
            workspace=workspace,
            summary="".join(summary_parts),
            continue_on_error=bool(coe),
            environment=environment,
            concurrency=concurrency,
        )
        self.result.jobs.append(job_result)
        return job_result

    def _run_reusable(self, job_id: str, job: dict[str, Any], contexts: dict[str, Any]) -> None:
        """A job that calls ``./.github/workflows/x.yml``: its jobs run here as ``<job_id>/<inner job>``."""
        target = str(job["uses"])
        path = (self.harness.workflows_dir.parent.parent / target[2:]).resolve()
        if not path.is_file():
            raise WorkflowError(f"{self.path.name}: jobs.{job_id}.uses: {target} not found")
        doc = load_workflow(path)
        on = doc.get("on")
        triggers = on if isinstance(on, dict) else {str(t): {} for t in ([on] if isinstance(on, str) else on or [])}
        if "workflow_call" not in triggers:
            raise WorkflowError(f"{path.name} has no workflow_call trigger (called by {self.path.name} jobs.{job_id})")
        try:
            with_ = {str(k): interpolate(v, contexts) for k, v in _str_map(job.get("with"), f"jobs.{job_id}.with").items()}
            spec = job.get("secrets")
            if spec == "inherit":
                secrets = dict(self.secrets)
            else:
                secrets = {"GITHUB_TOKEN": self.secrets.get("GITHUB_TOKEN", "")}
                secrets.update({str(k): to_string(interpolate(v, contexts)) for k, v in _str_map(spec, f"jobs.{job_id}.secrets").items()})
        except ExpressionError as err:
            raise WorkflowError(f"{self.path.name}: jobs.{job_id}: {err}") from None
        call = UsesCall(job_id, str(job.get("name") or job_id), target, "", with_, self.run_dir, emulated=True)
        self.result.uses.append(call)
        child = _RunState(
            harness=self.harness,
            doc=doc,
            path=path,
            github=self.github,
            inputs=Harness._inputs(triggers, "workflow_call", with_),
            base_env=self.base_env,
            run_dir=self.run_dir / job_id,
            result=self.result,
            replace_run=self.replace_run,
            uploaded=self.uploaded,
            secrets=secrets,
            prefix=f"{self.prefix}{job_id}/",
            replaced_used=self.replaced_used,
        )
        child.run_dir.mkdir(parents=True, exist_ok=True)
        for inner in child._order(None):
            child._run_job_id(inner)
        jobs_ctx = child.needs_results
        outputs: dict[str, str] = {}
        declared = (triggers.get("workflow_call") or {}).get("outputs") or {}
        for key, value in declared.items():
            try:
                outputs[str(key)] = to_string(interpolate((value or {}).get("value"), child._contexts(jobs=jobs_ctx)))
            except ExpressionError as err:
                raise WorkflowError(f"{path.name}: on.workflow_call.outputs.{key}: {err}") from None
        call.outputs = outputs
        final = "failure" if any(r["result"] == "failure" for r in jobs_ctx.values()) else "success"
        self.needs_results[job_id] = {"result": final, "outputs": outputs}

    # -- steps -----------------------------------------------------------------------------------

    def _uses_step(
        self, sr: StepResult, step: dict[str, Any], contexts: dict[str, Any], workspace: Path, job_id: str, label: str, process_env: dict[str, str]
    ) -> None:
        uses = str(step["uses"])
        action, _, ref = uses.partition("@")
        with_ = {str(k): interpolate(v, contexts, workspace=workspace) for k, v in _str_map(step.get("with"), f"{label}.with").items()}
        call = UsesCall(job=job_id, step=str(step.get("id") or label), action=action, ref=ref, with_=with_, workspace=workspace, emulated=False)
        self.result.uses.append(call)
        warnings: list[str] = []
        ctx = UsesContext(
            call=call,
            remote=self.harness.remote,
            repository=self.github["repository"],
            sha=self.github["sha"],
            ref=self.github["ref"],
            artifacts=self.harness.artifacts,
            uploaded_this_run=self.uploaded,
            warn=warnings.append,
            env=process_env,
        )
        try:
            outputs = emulate(ctx)
        finally:
            for message in warnings:
                self.result.annotations.append(Annotation("warning", message, job=job_id, step=label))
                sr.stderr += f"::warning::{message}\n"
        call.outputs = dict(outputs)
        sr.outputs.update(outputs)
        sr.stdout += f"workflow harness: {'emulated' if call.emulated else 'recorded (not run)'} {action}\n"

    def _run_step(
        self,
        sr: StepResult,
        step: dict[str, Any],
        contexts: dict[str, Any],
        defaults: Mapping[str, Any],
        workspace: Path,
        process_env: dict[str, str],
        timeout: float,
        job_id: str,
        label: str,
    ) -> None:
        replacement = None
        for key in (sr.id, sr.name, label):
            if key is not None and key in self.replace_run:
                replacement = self.replace_run[key]
                self.replaced_used.add(key)
                break
        if replacement is not None:
            script = replacement
            sr.replaced = True
        else:
            script = to_string(interpolate(str(step["run"]), contexts, workspace=workspace))
        sr.command = script
        shell = step.get("shell") or defaults.get("shell")
        shell = to_string(interpolate(shell, contexts)) if shell else None
        workdir = step.get("working-directory") or defaults.get("working-directory")
        cwd = workspace
        if workdir:
            cwd = workspace / to_string(interpolate(workdir, contexts))
            if not cwd.is_dir():
                raise StepFailed(f"working-directory {workdir!r} does not exist in the workspace")
        temp = Path(process_env["RUNNER_TEMP"])
        suffix = ".py" if shell == "python" else ".sh"
        script_path = temp / f"{uuid.uuid4().hex}{suffix}"
        script_path.write_text(script, encoding="utf-8")
        if shell is None:
            argv = ["bash", "-e", str(script_path)]
        elif shell == "bash":
            argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_path)]
        elif shell == "sh":
            argv = ["sh", "-e", str(script_path)]
        elif shell == "python":
            argv = ["python", str(script_path)]
        elif "{0}" in shell:
            argv = [part.replace("{0}", str(script_path)) for part in shell.split()]
        else:
            raise StepFailed(f"shell {shell!r} is not supported by the workflow harness")
        binary = shutil.which(argv[0], path=process_env["PATH"])
        if binary is None:
            raise StepFailed(f"shell {argv[0]!r} not found on PATH")
        argv[0] = binary
        # Output goes to files and the step ends when its shell exits, as on a runner: a background process it
        # started (a local server, say) keeps running until the job ends, then its process group is killed.
        out_path, err_path = script_path.with_suffix(".out"), script_path.with_suffix(".err")
        with open(out_path, "wb") as out_file, open(err_path, "wb") as err_file:
            proc = subprocess.Popen(argv, cwd=cwd, env=process_env, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file, start_new_session=True)
        self.process_groups.append(proc.pid)
        # a blocking wait with a watchdog (Popen.wait(timeout=) polls with sleeps, slowing every step)
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        watchdog = threading.Timer(timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
        sr.stdout = _read(out_path)
        sr.stderr = _read(err_path)
        if timed_out.is_set():
            sr.exit_code = None
            sr.outcome = "failure"
            raise StepFailed(f"the step timed out after {timeout:.0f}s")
        sr.exit_code = proc.returncode
        if proc.returncode != 0:
            sr.outcome = "failure"
            self.result.annotations.append(Annotation("error", f"Process completed with exit code {proc.returncode}.", job=job_id, step=label))


def _read(path: Path) -> str:
    """A file the step may have written ('' when empty or missing), decoded leniently."""
    try:
        if os.path.getsize(path) == 0:
            return ""
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _strip_braces(text: str) -> str:
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1:
        return text[3:-2].strip()
    return text
