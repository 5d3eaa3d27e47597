"""The workflow runner: jobs in ``needs`` order, steps in bash, results you can assert on.

See the package docstring (``tests/harness/__init__.py``) for the API and an example.
"""

from __future__ import annotations

import contextlib
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
from tests.harness.shims import write_shims
from tests.harness.triggers import Decision, should_run

__all__ = ["PROJECT_ROOT", "Annotation", "Harness", "JobResult", "RunResult", "StepResult", "WorkflowError", "load_workflow"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKEN = "ghs_harnessFakeToken0000000000000000000000"  # pragma: allowlist secret # nosemgrep
DEFAULT_STEP_TIMEOUT = 300.0


class WorkflowError(Exception):
    """The workflow file cannot be run by the harness (malformed, or uses something unsupported)."""


@dataclass(frozen=True)
class Source:
    """Where a workflow or action file comes from: ``root`` holds the repository's files at that commit, and
    ``repository``/``sha``/``ref`` are what GitHub reports for it (``job.workflow_*``, ``github.action_*``)."""

    root: Path
    repository: str
    sha: str
    ref: str = ""


# what a copy of a source tree leaves out when the folder is not a git repository
_UNCOPIED = {".git", ".venv", ".venv-tools", "node_modules", "__pycache__", ".pytest_cache", ".leadforge"}


def _tree_files(root: Path) -> list[str]:
    """The files a checkout of ``root`` holds: tracked and untracked-but-not-ignored ones in a git work tree (so
    uncommitted edits count, as they do for the workflow files the harness reads), else every file on disk."""
    done = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=root, capture_output=True)
    if done.returncode == 0 and (root / ".git").exists():
        return sorted({p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p})
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _UNCOPIED]
        files += [os.path.relpath(os.path.join(folder, n), root) for n in names]
    return sorted(files)


def _copy_tree(root: Path, dest: Path) -> None:
    for rel in _tree_files(root):
        source, target = root / rel, dest / rel
        if not os.path.lexists(source):
            continue  # tracked but deleted in the work tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        elif source.is_file():
            shutil.copy2(source, target)


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
    steps: list[StepResult] = field(default_factory=list)  # a composite action's own steps, as they ran

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
                lines.append(
                    f"  step {step.id or step.name}: {step.outcome} exit={step.exit_code}{' ' + step.error if step.error else ''}"
                )
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

        annotations.append(
            Annotation(
                level=command,
                message=_unescape(data),
                file=props.get("file"),
                line=_number(props, "line"),
                end_line=_number(props, "endLine"),
                col=_number(props, "col"),
                title=props.get("title"),
                job=job,
                step=step,
            )
        )
    return annotations, masks


def _number(props: Mapping[str, str], key: str) -> int | None:
    value = props.get(key)
    return int(value) if value and value.isdigit() else None


# ---- the harness ---------------------------------------------------------------------------------


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
        repositories: Mapping[str, str | os.PathLike[str]] | None = None,
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
            proc = subprocess.run(
                ["git", "clone", "--quiet", "--bare", str(source), str(self.remote)], capture_output=True, text=True
            )
            if proc.returncode != 0:
                raise WorkflowError(f"cannot clone {source}: {proc.stderr.strip()}")
        self.shims = self.root / "shims"
        self.uv_bin = self.root / "uv-bin"  # on PATH once astral-sh/setup-uv ran
        self.docker_log = self.root / "docker-runs.jsonl"
        self.pipx_bin = self.home / ".local" / "bin"  # where pipx puts tools; on PATH like on GitHub's runners
        self._write_shims()
        self._runs = 0
        mapping = {"*/leadforge": PROJECT_ROOT} if repositories is None else repositories
        self.repositories = {str(k).lower(): Path(v).resolve() for k, v in mapping.items()}
        self._trees: dict[tuple[Path, str, str], Path] = {}

    # -- environment ---------------------------------------------------------------------------

    def _write_shims(self) -> None:
        tools = os.environ.get("LEADFORGE_TOOLS", str(PROJECT_ROOT / ".venv-tools"))
        write_shims(
            self.shims,
            self.uv_bin,
            {
                "PYTHON": str(Path(sys.prefix) / "bin" / "python"),
                "SHIMS": str(self.shims),
                "TOOLS": tools,
                "PIPXBIN": str(self.pipx_bin),
                "VENVBIN": str(Path(sys.prefix) / "bin"),
                "DOCKERLOG": str(self.docker_log),
            },
        )

    # -- other repositories: reusable workflows and actions ------------------------------------------

    def local_repository(self, repository: str) -> Path | None:
        """The folder standing in for ``owner/name`` (``repositories=``; default: any ``*/leadforge`` is this project)."""
        key = repository.lower()
        name = key.partition("/")[2]
        return self.repositories.get(key) or self.repositories.get(f"*/{name}")

    def action_tree(self, source: Source) -> Path:
        """The runner's download of ``source`` for actions (``_actions/<owner>/<repo>/<ref>``): a copy, made once."""
        key = (source.root, source.repository.lower(), source.sha)
        if key not in self._trees:
            owner, _, name = source.repository.partition("/")
            dest = self.root / "_actions" / (owner or "local") / (name or "repo") / (source.sha or "HEAD")
            if not dest.exists():
                _copy_tree(source.root, dest)
            self._trees[key] = dest
        return self._trees[key]

    @property
    def docker_runs(self) -> list[dict[str, Any]]:
        """Every ``docker run`` the docker shim emulated: image, entrypoint, args, env names, user, workdir, volumes."""
        if not self.docker_log.exists():
            return []
        return [json.loads(line) for line in self.docker_log.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _base_path(self) -> str:
        venv_bin = str(Path(sys.prefix) / "bin")
        system = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return os.pathsep.join([str(self.shims), venv_bin, str(self.pipx_bin), *system])

    # -- git -------------------------------------------------------------------------------------

    def _rev(self, ref: str) -> str | None:
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=self.remote, capture_output=True, text=True
        )
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
        data: dict[str, Any] = json.loads(json.dumps(payload))  # our own copy, JSON-clean
        self._runs += 1
        run_dir = self.root / f"run-{self._runs}-{path.stem}"
        run_dir.mkdir(parents=True, exist_ok=True)

        if default_payload:
            # the fixture's ref/cron belong to someone else's repo/workflow: use ours
            if event in ("push", "workflow_dispatch"):
                data["ref"] = f"refs/heads/{self._default_branch()}"
            if event == "schedule":
                crons = [e.get("cron") for e in (on.get("schedule") or []) if isinstance(e, dict)] if isinstance(on, dict) else []
                data["schedule"] = crons[0] if crons else data.get("schedule", "")
        if inputs is None and event == "workflow_dispatch" and not default_payload:
            inputs = data.get("inputs") or {}
        resolved_inputs = self._inputs(on, event, inputs)
        if event == "workflow_dispatch":
            data["inputs"] = {k: v if isinstance(v, str) else to_string(v) for k, v in resolved_inputs.items()}

        if self.repository:
            self._retarget(data, self.repository)
        repository = self.repository or str((data.get("repository") or {}).get("full_name") or "octo-org/octo-repo")
        if align_payload and event in _PULL_EVENTS:
            self._pull_refs(data)
        git_ref = ref or self._event_ref(event, data)
        git_sha = sha or self._rev(git_ref) or self._rev("HEAD") or ""
        if align_payload and event == "push":
            self._align_push(data, git_sha)
        event_path = run_dir / "event.json"
        event_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        if changed_files is None and align_payload and event in _PULL_EVENTS:
            changed_files = self._pull_changed_files(data)
        decision = should_run(on, event, {**data, "ref": git_ref} if event == "push" else data, changed_files=changed_files)

        github = self._github_context(doc, path, event, data, repository, git_ref, git_sha, event_path, actor)
        base_env = self._base_env(github, run_dir) | dict(env or {})
        result = RunResult(
            workflow=path,
            event=event,
            payload=data,
            decision=decision,
            jobs=[],
            uses=[],
            annotations=[],
            artifacts_dir=self.artifacts,
            masks=[v for v in self.secrets.values() if v],
            env=base_env,
        )
        try:
            result.concurrency = _concurrency(
                doc.get("concurrency"), {"github": github, "inputs": resolved_inputs, "vars": self.vars}
            )
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
            source=Source(self.workflows_dir.parent.parent, repository, git_sha, git_ref),
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
        identity = {
            "GIT_AUTHOR_NAME": "GitHub",
            "GIT_AUTHOR_EMAIL": "noreply@github.com",
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@github.com",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        commit = self._git(
            "commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", f"Merge {head_sha} into {base_sha}", env=identity
        )
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
        listed = (
            self._git("rev-list", "--reverse", "--max-count=20", span)
            if self._rev(before)
            else self._git("rev-list", "--max-count=1", sha)
        )
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
        added: list[str] = []
        modified: list[str] = []
        removed: list[str] = []
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
        return {
            "group": to_string(interpolate(value.get("group", ""), contexts)),
            "cancel-in-progress": is_truthy(cancel) if not isinstance(cancel, str) else cancel == "true",
        }
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
    combos: list[dict[str, Any]] = (
        [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())] if axes else []
    )
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


_LEVELS = {"none": 0, "read": 1, "write": 2}
_LEVEL_NAMES = {0: "none", 1: "read", 2: "write"}


@dataclass(frozen=True)
class _Grant:
    """A ``permissions:`` value: a level for every scope (``read-all``/``write-all``/``{}``) plus named scopes."""

    default: int
    scopes: dict[str, int]

    @staticmethod
    def parse(value: Any, where: str) -> _Grant:
        if value in ("read-all", "write-all"):
            return _Grant(1 if value == "read-all" else 2, {})
        if value is None or value == {}:
            return _Grant(0, {})
        if not isinstance(value, dict):
            raise WorkflowError(f"{where}: permissions must be read-all, write-all or a mapping, got {value!r}")
        scopes = {}
        for scope, level in value.items():
            if str(level) not in _LEVELS:
                raise WorkflowError(f"{where}: permissions.{scope}: {level!r} is not none, read or write")
            scopes[str(scope)] = _LEVELS[str(level)]
        return _Grant(0, scopes)

    def level(self, scope: str) -> int:
        return self.scopes.get(scope, self.default)

    def narrowed(self, other: _Grant) -> _Grant:
        """What a job asking for ``other`` gets under this ceiling."""
        names = set(self.scopes) | set(other.scopes)
        return _Grant(min(self.default, other.default), {s: min(self.level(s), other.level(s)) for s in names})

    def excess(self, requested: _Grant) -> list[tuple[str, int, int]]:
        """``(scope, requested, allowed)`` for every scope ``requested`` asks above this ceiling."""
        names = sorted(set(requested.scopes) | set(self.scopes) | ({"*"} if requested.default > self.default else set()))
        return [(s, requested.level(s), self.level(s)) for s in names if requested.level(s) > self.level(s)]


@dataclass
class _Frame:
    """Steps being run: a job's, or a composite action's (which shares its job's workspace, GITHUB_ENV and PATH)."""

    job_id: str
    workspace: Path
    temp: Path
    contexts: dict[str, Any]  # for expressions; "steps" and "env" change as the steps run
    env_ctx: dict[str, str]  # workflow + job env (a composite: plus the env of the step that uses it)
    file_env: dict[str, str]  # set through GITHUB_ENV: shared with the composite actions the job runs
    extra_path: list[str]  # added through GITHUB_PATH: shared likewise
    summary_parts: list[str]
    defaults: Mapping[str, Any]
    job_timeout: float | None
    where: str  # how messages name these steps: "jobs.<id>" or "<action>/action.yml"
    source: Source  # what "$/" resolves to here
    job_status: dict[str, Any]
    action_env: dict[str, str] = field(default_factory=dict)  # GITHUB_ACTION_PATH & co. inside a composite action
    composite: bool = False
    depth: int = 0


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
    source: Source | None = None  # where this workflow file comes from (job.workflow_*, "$/")
    ceiling: _Grant | None = None  # a called workflow's jobs get at most what the calling job was granted
    depth: int = 0  # reusable-workflow nesting

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

    def _source(self) -> Source:
        if self.source is not None:
            return self.source
        return Source(self.harness.workflows_dir.parent.parent, self.github["repository"], self.github["sha"], self.github["ref"])

    def _workflow_identity(self) -> dict[str, str]:
        """``job.workflow_*``: the repository, commit and file of the workflow that defines the job (for a called
        workflow, the called file: not the caller, which is what ``github.*`` keeps describing)."""
        source = self._source()
        try:
            file_path = self.path.resolve().relative_to(source.root.resolve()).as_posix()
        except ValueError:
            file_path = f".github/workflows/{self.path.name}"
        ref = source.ref or source.sha
        return {
            "workflow_repository": source.repository,
            "workflow_sha": source.sha,
            "workflow_file_path": file_path,
            "workflow_ref": f"{source.repository}/{file_path}@{ref}",
        }

    def _grant(self, job: Mapping[str, Any], job_id: str) -> _Grant | None:
        """The token permissions a job runs with (None: the repository default, unknown here)."""
        value = job.get("permissions", self.doc.get("permissions"))
        if value is None and "permissions" not in job and "permissions" not in self.doc:
            return self.ceiling
        requested = _Grant.parse(value, f"{self.path.name}: jobs.{job_id}")
        return self.ceiling.narrowed(requested) if self.ceiling is not None else requested

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

        if job.get("uses"):
            called = self._called_workflow(job_id, job)
            if called is not None:
                # GitHub checks a called workflow's permissions when the run starts, whether or not its jobs run
                self._check_called_permissions(job_id, job, *called)
                if runs:
                    self._run_reusable(job_id, job, contexts, *called)
                    return
            elif runs:
                action, _, ref = str(job["uses"]).partition("@")
                call = UsesCall(job_id, name, action, ref, dict(job.get("with") or {}), self.run_dir, emulated=False)
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

    def _evaluate_env(self, values: Any, ctx: dict[str, Any], where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in _str_map(values, where).items():
            try:
                out[str(key)] = to_string(interpolate(value, ctx))  # sees the outer env, not its siblings
            except ExpressionError as err:
                raise WorkflowError(f"{self.path.name}: {where}.{key}: {err}") from None
        return out

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
        runner = {
            "os": "Linux",
            "arch": "X64",
            "name": "workflow-harness",
            "temp": str(temp),
            "tool_cache": str(h.root / "toolcache"),
            "environment": "github-hosted",
        }
        strategy_ctx = {"fail-fast": True, "job-index": index, "job-total": total, "max-parallel": total}
        job_status: dict[str, Any] = {"status": "success", **self._workflow_identity()}
        contexts = self._contexts(
            github=github, needs=needs_ctx, matrix=combo, strategy=strategy_ctx, runner=runner, job=job_status
        )
        name = str(interpolate(job.get("name") or job_id, contexts))

        workflow_env = self._evaluate_env(self.doc.get("env"), contexts, "env")
        contexts["env"] = dict(workflow_env)
        job_env = self._evaluate_env(job.get("env"), contexts, f"jobs.{job_id}.env")
        env_ctx = {**workflow_env, **job_env}
        defaults = {**((self.doc.get("defaults") or {}).get("run") or {}), **((job.get("defaults") or {}).get("run") or {})}
        action_env: dict[str, str] = {}
        grant = self._grant(job, job_id)
        if grant is not None and grant.level("id-token") >= _LEVELS["write"]:
            # as on GitHub: a job may request an OIDC token only when it was granted id-token: write
            action_env = {
                "ACTIONS_ID_TOKEN_REQUEST_URL": "https://harness.invalid/oidc-token",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "harness-oidc",
            }
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            raise WorkflowError(f"{self.path.name}: job {job_id} has no steps")
        frame = _Frame(
            job_id=job_id,
            workspace=workspace,
            temp=temp,
            contexts=contexts,
            env_ctx=env_ctx,
            file_env={},
            extra_path=[],
            summary_parts=[],
            defaults=defaults,
            job_timeout=_minutes(job.get("timeout-minutes"), contexts) * 60 or None,
            where=f"jobs.{job_id}",
            source=self._source(),
            job_status=job_status,
            action_env=action_env,
        )
        results, failed = self._run_steps(frame, steps)

        contexts["env"] = {**env_ctx, **frame.file_env}
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
            summary="".join(frame.summary_parts),
            continue_on_error=bool(coe),
            environment=environment,
            concurrency=concurrency,
        )
        self.result.jobs.append(job_result)
        return job_result

    # -- steps (of a job, or of a composite action) ------------------------------------------------

    def _run_steps(self, frame: _Frame, steps: list[Any]) -> tuple[list[StepResult], bool]:
        h = self.harness
        contexts = frame.contexts
        steps_ctx: dict[str, dict[str, Any]] = {}
        results: list[StepResult] = []
        failed = False
        for number, step in enumerate(steps, start=1):
            where = f"{frame.where}.steps[{number - 1}]"
            if not isinstance(step, dict):
                raise WorkflowError(f"{self.path.name}: {where} must be a mapping")
            step_id = step.get("id")
            label = str(
                step.get("name")
                or str(step.get("uses") or "").partition("@")[0]
                or (str(step.get("run", "")).strip().splitlines() or [""])[0]
                or f"step {number}"
            )
            contexts["steps"] = steps_ctx
            contexts["env"] = {**frame.env_ctx, **frame.file_env}
            if not frame.composite:
                frame.job_status["status"] = "failure" if failed else "success"
            status = Status(failed=failed)
            sr = StepResult(
                id=str(step_id) if step_id is not None else None,
                name=label,
                kind="uses" if "uses" in step else "run",
                uses=step.get("uses"),
            )
            results.append(sr)
            step_env: dict[str, str] = {}
            try:
                label = to_string(interpolate(label, contexts))
                sr.name = label
                step_env = self._evaluate_env(step.get("env"), contexts, f"{where}.env")
                contexts["env"] = {**frame.env_ctx, **frame.file_env, **step_env}
                condition = step.get("if")
                if condition is None or condition == "":
                    runs = not failed
                else:
                    text = _strip_braces(str(condition))
                    expr = text if has_status_function(text) else f"success() && ({text})"
                    runs = is_truthy(evaluate(expr, contexts, status=status, workspace=frame.workspace))
            except (ExpressionError, WorkflowError) as err:
                sr.outcome = sr.conclusion = "failure"
                sr.error = str(err)
                self.result.annotations.append(Annotation("error", f"{label}: {err}", job=frame.job_id, step=label))
                failed = True
                continue
            if not runs:
                sr.outcome = sr.conclusion = "skipped"
                if step_id is not None:
                    steps_ctx[str(step_id)] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue

            step_files = {
                "GITHUB_OUTPUT": frame.temp / f"output_{uuid.uuid4().hex}",
                "GITHUB_ENV": frame.temp / f"env_{uuid.uuid4().hex}",
                "GITHUB_PATH": frame.temp / f"path_{uuid.uuid4().hex}",
                "GITHUB_STEP_SUMMARY": frame.temp / f"summary_{uuid.uuid4().hex}",
            }
            for file in step_files.values():
                file.write_text("", encoding="utf-8")
            process_env = {
                **self.base_env,
                "GITHUB_JOB": frame.job_id,
                "GITHUB_WORKSPACE": str(frame.workspace),
                "GITHUB_ACTION": str(step_id or f"__run_{number}"),
                "RUNNER_TEMP": str(frame.temp),
                **frame.action_env,
                **{k: str(v) for k, v in step_files.items()},
                **frame.env_ctx,
                **frame.file_env,
                **step_env,
            }
            if frame.extra_path:
                process_env["PATH"] = os.pathsep.join([*reversed(frame.extra_path), process_env["PATH"]])
            sr.env = dict(process_env)
            timeout = _minutes(step.get("timeout-minutes"), contexts) * 60 or frame.job_timeout or h.step_timeout
            timeout = min(timeout, h.step_timeout)
            try:
                if "uses" in step:
                    self._uses_step(sr, step, frame, label, process_env, step_env)
                elif "run" in step:
                    if frame.composite and not step.get("shell"):
                        raise StepFailed(f"{frame.where}: steps[{number - 1}]: a composite action's run step needs 'shell:'")
                    self._run_step(sr, step, contexts, frame.defaults, frame.workspace, process_env, timeout, frame.job_id, label)
                else:
                    raise WorkflowError(f"{self.path.name}: {where} has neither run nor uses")
            except (ExpressionError, StepFailed) as err:
                sr.outcome = "failure"
                sr.error = str(err)
                self.result.annotations.append(Annotation("error", str(err), job=frame.job_id, step=label))

            if sr.outcome == "success" or "run" in step:
                try:
                    new_outputs = _parse_file_commands(_read(step_files["GITHUB_OUTPUT"]))
                    sr.outputs.update(new_outputs)
                    for key, value in _parse_file_commands(_read(step_files["GITHUB_ENV"])).items():
                        if key.upper().startswith(("GITHUB_", "RUNNER_")) or key.upper() == "NODE_OPTIONS":
                            # the runner keeps its own variables fixed
                            message = f"Can't set {key} with GITHUB_ENV"
                            self.result.annotations.append(Annotation("warning", message, job=frame.job_id, step=label))
                            continue
                        frame.file_env[key] = value
                except StepFailed as err:
                    sr.outcome = "failure"
                    sr.error = str(err)
                for line in _read(step_files["GITHUB_PATH"]).splitlines():
                    if line.strip():
                        frame.extra_path.append(line.strip())
                sr.summary = _read(step_files["GITHUB_STEP_SUMMARY"])
                if sr.summary:
                    frame.summary_parts.append(sr.summary if sr.summary.endswith("\n") else sr.summary + "\n")
            if not sr.steps:  # a composite action's steps had their workflow commands read already
                annotations, masks = _workflow_commands(sr.stdout + "\n" + sr.stderr, frame.job_id, label)
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
        return results, failed

    # -- reusable workflows ------------------------------------------------------------------------

    def _called_workflow(self, job_id: str, job: Mapping[str, Any]) -> tuple[Path, Source] | None:
        """The file and source of a job-level ``uses:`` the harness can run (None: another repository, recorded).

        ``./.github/workflows/x.yml`` and ``$/.github/workflows/x.yml`` are this workflow's repository at the same
        commit; ``owner/repo/.github/workflows/x.yml@ref`` is read from ``Harness(repositories=)`` when it names one."""
        target = str(job["uses"])
        source = self._source()
        if target.startswith(("./", "$/")):
            if target.startswith("$/") and "@" in target:
                raise WorkflowError(f"{self.path.name}: jobs.{job_id}.uses: a $/ reference takes no @ref ({target})")
            rel = target[2:]
            here = source.root.resolve() == self.harness.workflows_dir.parent.parent.resolve()
            if here and rel.startswith(".github/workflows/"):
                path = (self.harness.workflows_dir / rel[len(".github/workflows/") :]).resolve()
            else:
                path = (source.root / rel).resolve()
            called_source = source
        else:
            spec, _, ref = target.partition("@")
            parts = spec.split("/")
            if len(parts) < 3 or not ref:
                raise WorkflowError(f"{self.path.name}: jobs.{job_id}.uses: {target} is not owner/repo/path@ref")
            repository = "/".join(parts[:2])
            root = self.harness.local_repository(repository)
            if root is None:
                return None
            path = (root / "/".join(parts[2:])).resolve()
            called_source = Source(root, repository, ref, ref)
        if not path.is_file():
            raise WorkflowError(f"{self.path.name}: jobs.{job_id}.uses: {target} not found ({path})")
        return path, called_source

    def _check_called_permissions(self, job_id: str, job: Mapping[str, Any], path: Path, source: Source) -> None:
        """A called workflow can only narrow the calling job's permissions: a job asking for more fails the run."""
        ceiling = self._grant(job, job_id)
        if ceiling is None:
            return
        doc = load_workflow(path)
        for inner_id, inner in (doc.get("jobs") or {}).items():
            if not isinstance(inner, dict) or inner.get("uses"):
                continue
            value = inner.get("permissions", doc.get("permissions"))
            if value is None:
                continue
            for scope, asked, allowed in ceiling.excess(_Grant.parse(value, f"{path.name}: jobs.{inner_id}")):
                shown = "all scopes" if scope == "*" else scope
                raise WorkflowError(
                    f"{self.path.name}: jobs.{job_id} calls {path.name}, whose job '{inner_id}' is requesting '{shown}: "
                    f"{_LEVEL_NAMES[asked]}', but is only allowed '{shown}: {_LEVEL_NAMES[allowed]}': grant it in the "
                    f"calling job's permissions (a called workflow can only narrow them)"
                )

    def _run_reusable(self, job_id: str, job: dict[str, Any], contexts: dict[str, Any], path: Path, source: Source) -> None:
        """A job that calls a reusable workflow: its jobs run here as ``<job_id>/<inner job>``."""
        target = str(job["uses"])
        if self.depth >= 4:
            raise WorkflowError(f"{self.path.name}: jobs.{job_id}: reusable workflows nest at most four levels deep")
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
                secrets.update(
                    {str(k): to_string(interpolate(v, contexts)) for k, v in _str_map(spec, f"jobs.{job_id}.secrets").items()}
                )
        except ExpressionError as err:
            raise WorkflowError(f"{self.path.name}: jobs.{job_id}: {err}") from None
        declared_secrets = (triggers.get("workflow_call") or {}).get("secrets") or {}
        if spec != "inherit":
            unknown = sorted(set(secrets) - {"GITHUB_TOKEN"} - set(declared_secrets))
            if unknown:
                raise WorkflowError(f"{self.path.name}: jobs.{job_id} passes secrets {unknown} that {path.name} does not declare")
            for name, secret_spec in declared_secrets.items():
                if (secret_spec or {}).get("required") and not secrets.get(str(name)):
                    raise WorkflowError(f"{self.path.name}: jobs.{job_id}: secret {name!r} is required by {path.name}")
        action, _, ref = target.partition("@")
        call = UsesCall(job_id, str(job.get("name") or job_id), action, ref, with_, self.run_dir, emulated=True)
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
            source=source,
            ceiling=self._grant(job, job_id),
            depth=self.depth + 1,
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

    # -- uses: steps -------------------------------------------------------------------------------

    def _resolve_action(self, uses: str, frame: _Frame) -> tuple[Path, Source] | None:
        """The folder of an action the harness runs itself (``./x``, ``$/x``, or ``owner/repo[/x]@ref`` of a
        repository in ``Harness(repositories=)``) and the source ``$/`` means inside it; None for other actions."""
        if uses.startswith("./"):
            return (frame.workspace / uses[2:]).resolve(), frame.source
        if uses.startswith("$/"):
            if "@" in uses:
                raise StepFailed(f"{uses}: a $/ reference takes no @ref (it is the running commit)")
            tree = self.harness.action_tree(frame.source)
            return (tree / uses[2:]).resolve(), Source(tree, frame.source.repository, frame.source.sha, frame.source.ref)
        spec, _, ref = uses.partition("@")
        parts = spec.split("/")
        if spec.startswith("docker://") or len(parts) < 2 or not ref:
            return None
        repository = "/".join(parts[:2])
        root = self.harness.local_repository(repository)
        if root is None:
            return None
        tree = self.harness.action_tree(Source(root, repository, ref, ref))
        return (tree / "/".join(parts[2:])).resolve(), Source(tree, repository, ref, ref)

    def _uses_step(
        self,
        sr: StepResult,
        step: dict[str, Any],
        frame: _Frame,
        label: str,
        process_env: dict[str, str],
        step_env: dict[str, str],
    ) -> None:
        uses = str(step["uses"])
        action, _, ref = uses.partition("@")
        given = _str_map(step.get("with"), f"{label}.with")
        with_ = {str(k): interpolate(v, frame.contexts, workspace=frame.workspace) for k, v in given.items()}
        call = UsesCall(
            job=frame.job_id,
            step=str(step.get("id") or label),
            action=action,
            ref=ref,
            with_=with_,
            workspace=frame.workspace,
            emulated=False,
        )
        self.result.uses.append(call)
        resolved = self._resolve_action(uses, frame)
        if resolved is not None:
            call.emulated = True
            call.outputs = self._run_action(sr, resolved, with_, frame, label, step_env)
            sr.outputs.update(call.outputs)
            return
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
            add_path=frame.extra_path.append,
            uv_bin=self.harness.uv_bin,
        )
        try:
            outputs = emulate(ctx)
        finally:
            for message in warnings:
                self.result.annotations.append(Annotation("warning", message, job=frame.job_id, step=label))
                sr.stderr += f"::warning::{message}\n"
        call.outputs = dict(outputs)
        sr.outputs.update(outputs)
        sr.stdout += f"workflow harness: {'emulated' if call.emulated else 'recorded (not run)'} {action}\n"

    def _run_action(
        self,
        sr: StepResult,
        resolved: tuple[Path, Source],
        with_: dict[str, Any],
        frame: _Frame,
        label: str,
        step_env: dict[str, str],
    ) -> dict[str, str]:
        """Run a composite action's steps for real (inputs, env, outputs, ``github.action_path``); record others."""
        folder, source = resolved
        manifest = next((folder / n for n in ("action.yml", "action.yaml") if (folder / n).is_file()), None)
        if manifest is None:
            raise StepFailed(
                f"Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '{folder}'. "
                "Did you forget to run actions/checkout before running your local action?"
            )
        from ruamel.yaml import YAMLError

        try:
            doc = parse_yaml(manifest.read_text(encoding="utf-8"))
        except YAMLError as err:
            raise StepFailed(f"{manifest}: invalid YAML: {err}") from None
        runs = (doc or {}).get("runs") or {}
        if runs.get("using") != "composite":
            sr.stdout += f"workflow harness: recorded (not run) {runs.get('using')} action {manifest}\n"
            return {}
        if frame.depth >= 9:
            raise StepFailed(f"{manifest}: composite actions nest at most ten levels deep")
        declared = {str(k).lower(): v or {} for k, v in (doc.get("inputs") or {}).items()}
        given = {str(k).lower(): v for k, v in with_.items()}
        unexpected = sorted(set(given) - set(declared))
        if unexpected:
            message = f"Unexpected input(s) {', '.join(repr(u) for u in unexpected)}, valid inputs are {sorted(declared)}"
            self.result.annotations.append(Annotation("warning", message, job=frame.job_id, step=label))
        inputs: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                inputs[name] = to_string(given[name])
            else:
                try:
                    inputs[name] = to_string(interpolate(spec.get("default", ""), frame.contexts, workspace=frame.workspace))
                except ExpressionError as err:
                    raise StepFailed(f"{manifest}: inputs.{name}.default: {err}") from None
        inside = source.root.resolve() in (folder, *folder.parents)
        repository, ref = (source.repository, source.ref or source.sha) if inside else ("", "")
        github = dict(
            frame.contexts["github"], action_path=str(folder), action_repository=repository, action_ref=ref, action=label
        )
        contexts = dict(frame.contexts, github=github, inputs=inputs, steps={})
        inner = _Frame(
            job_id=frame.job_id,
            workspace=frame.workspace,
            temp=frame.temp,
            contexts=contexts,
            env_ctx={**frame.env_ctx, **step_env},
            file_env=frame.file_env,
            extra_path=frame.extra_path,
            summary_parts=frame.summary_parts,
            defaults={},
            job_timeout=frame.job_timeout,
            where=next(
                (manifest.relative_to(b).as_posix() for b in (frame.workspace, source.root) if manifest.is_relative_to(b)),
                str(manifest),
            ),
            source=source,
            job_status=frame.job_status,
            composite=True,
            depth=frame.depth + 1,
            action_env={
                **frame.action_env,
                "GITHUB_ACTION_PATH": str(folder),
                "GITHUB_ACTION_REPOSITORY": repository,
                "GITHUB_ACTION_REF": ref,
            },
        )
        steps = runs.get("steps")
        if not isinstance(steps, list):
            raise StepFailed(f"{manifest}: runs.steps must be a list")
        results, failed = self._run_steps(inner, steps)
        sr.steps = results
        sr.stdout += "".join(r.stdout for r in results)
        sr.stderr += "".join(r.stderr for r in results)
        if failed:
            sr.outcome = "failure"
            bad = next((r for r in results if r.conclusion == "failure"), None)
            sr.exit_code = bad.exit_code if bad else None
            which = bad.id or bad.name if bad else "?"
            sr.error = f"{manifest.parent.name}: step {which} failed" + (f": {bad.error}" if bad and bad.error else "")
        outputs: dict[str, str] = {}
        for key, spec in (doc.get("outputs") or {}).items():
            try:
                outputs[str(key)] = to_string(interpolate((spec or {}).get("value", ""), contexts))
            except ExpressionError as err:
                raise StepFailed(f"{manifest}: outputs.{key}: {err}") from None
        return outputs

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
            proc = subprocess.Popen(
                argv, cwd=cwd, env=process_env, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file, start_new_session=True
            )
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
            self.result.annotations.append(
                Annotation("error", f"Process completed with exit code {proc.returncode}.", job=job_id, step=label)
            )


def _read(path: Path) -> str:
    """A file the step may have written ('' when empty or missing), decoded leniently."""
    try:
        if os.path.getsize(path) == 0:
            return ""
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _strip_braces(text: str) -> str:
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1:
        return text[3:-2].strip()
    return text
