"""``leadforge demo``: the whole pipeline, offline, on a throwaway repository.

The runner makes a git repository, scaffolds LeadForge into it, then runs each
area's stage in pipeline order. A stage is a module ``leadforge.<area>.demo``
with one function::

    def run_stage(demo: Demo) -> dict:
        '''Drive this area the way GitHub would, and say what happened.'''
        path = demo.event("issues.opened", **{"issue.body": body})   # a real payload, adapted
        step = demo.cli("task", "intake", event=path)                # `leadforge task intake` as a subprocess
        demo.check(step.code == 0, "intake accepted the issue")      # a failed check fails the demo
        return {"title": "AI task queue", "summary": "...", "facts": {"assigned": 2},
                "artifacts": [demo.artifact(some_file)], "links": {"dashboard": "dashboard/index.html"}}

Stages run in ``STAGE_ORDER``; an area whose stage module does not exist yet is
skipped, so the demo always shows the pipeline as far as it is built. A stage module's
``NEEDS`` lists the optional modules it uses (``leadforge.extras``); without one of them
(an install without that extra) the stage is skipped with a line naming the extra. Every CLI
call, its exit code and output land in ``report.json`` and ``index.html``.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadforge.errors import LeadforgeError
from leadforge.extras import missing

if TYPE_CHECKING:
    from leadforge.app import App

STAGE_ORDER: tuple[tuple[str, str], ...] = (
    ("foundation", "leadforge.demo.foundation"),
    ("tasks", "leadforge.tasks.demo"),
    ("review", "leadforge.review.demo"),
    ("visual", "leadforge.visual.demo"),
    ("release", "leadforge.release.demo"),
    ("deploy", "leadforge.deploy.demo"),
    ("metrics", "leadforge.metrics.demo"),
)

DEMO_REPOSITORY = "demo-org/leadforge-demo"
EVENTS_DIR = Path(__file__).with_name("events")  # real webhook payloads (from GitHub's examples)
# Commits in the demo get fixed identities so its history reads the same on every run.
DEMO_ENV = {
    "GIT_AUTHOR_NAME": "Mona Maintainer",
    "GIT_AUTHOR_EMAIL": "mona@example.com",
    "GIT_COMMITTER_NAME": "Mona Maintainer",
    "GIT_COMMITTER_EMAIL": "mona@example.com",
}


class DemoCheckFailed(LeadforgeError):
    """A stage saw the pipeline do something other than what the demo expects."""


@dataclass(frozen=True, slots=True)
class Step:
    stage: str
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float
    event: str = ""

    def json(self) -> Any:
        """The step's stdout parsed as JSON (for commands run with --json)."""
        return json.loads(self.stdout)


@dataclass
class Demo:
    root: Path  # the throwaway repository
    out: Path  # the report folder
    stage: str = "foundation"
    steps: list[Step] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    _event_counter: int = 0

    @property
    def forge(self) -> Any:
        from leadforge.forge.local import LocalForge

        return LocalForge(self.root, DEMO_REPOSITORY)

    @property
    def git(self) -> Any:
        from leadforge.gitrepo import GitRepo

        return GitRepo(self.root)

    def env(self, event_name: str = "", event_path: str | Path = "", extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "GH_TOKEN"}
        env.update(DEMO_ENV)
        env.update(
            GITHUB_REPOSITORY=DEMO_REPOSITORY,
            GITHUB_EVENT_NAME=event_name,
            GITHUB_EVENT_PATH=str(event_path),
            GITHUB_RUN_ID="1",
            GITHUB_WORKSPACE=str(self.root),
            GITHUB_STEP_SUMMARY=str(self.out / "work" / f"summary-{self.stage}.md"),
            GITHUB_OUTPUT=str(self.out / "work" / f"output-{self.stage}.txt"),
        )
        with contextlib.suppress(LeadforgeError):
            env["GITHUB_SHA"] = self.git.head()
        env.update(extra or {})
        return env

    def event(self, name: str, overrides: dict[str, Any] | None = None, **dotted: Any) -> Path:
        """Write a real payload (``EVENTS_DIR/<name>.json``) adapted to the demo repository.

        ``dotted`` keys use ``__`` for dots (``issue__body="..."``); ``overrides`` takes
        dotted keys as written (``{"issue.body": "..."}``).
        """
        source = EVENTS_DIR / f"{name}.json"
        payload = json.loads(source.read_text(encoding="utf-8"))
        payload = copy.deepcopy(payload)
        owner, repo = DEMO_REPOSITORY.split("/")
        if isinstance(payload.get("repository"), dict):
            payload["repository"].update(full_name=DEMO_REPOSITORY, name=repo, default_branch="main")
            if isinstance(payload["repository"].get("owner"), dict):
                payload["repository"]["owner"]["login"] = owner
        changes = dict(overrides or {})
        changes.update({k.replace("__", "."): v for k, v in dotted.items()})
        for key, value in changes.items():
            set_dotted(payload, key, value)
        self._event_counter += 1
        path = self.out / "work" / "events" / f"{self._event_counter:03d}-{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        return path

    def cli(
        self, *argv: str, event: Path | None = None, event_name: str = "", env: dict[str, str] | None = None, check: bool = True
    ) -> Step:
        """Run ``leadforge <argv>`` in the demo repo (local forge) as a subprocess and record it."""
        if event is not None and not event_name:
            event_name = event.stem.split("-", 1)[1].split(".")[0]
        full = (sys.executable, "-m", "leadforge", "--repo", str(self.root), "--forge", "local", *argv)
        started = time.perf_counter()
        done = subprocess.run(
            full, capture_output=True, text=True, cwd=self.root, env=self.env(event_name, event or "", env), timeout=900
        )
        step = Step(
            self.stage,
            ("leadforge", *argv),
            done.returncode,
            done.stdout,
            done.stderr,
            round(time.perf_counter() - started, 3),
            event.name if event else "",
        )
        self.steps.append(step)
        if check and done.returncode != 0:
            raise DemoCheckFailed(
                f"demo stage {self.stage}: `leadforge {' '.join(argv)}` exited {done.returncode}: "
                f"{(done.stderr.strip().splitlines() or [''])[-1]}"
            )
        return step

    def check(self, condition: bool, what: str) -> None:
        """Record an expectation; a false one fails the demo with ``what``."""
        self.checks.append({"stage": self.stage, "check": what, "ok": bool(condition)})
        if not condition:
            raise DemoCheckFailed(f"demo stage {self.stage}: expected {what}")

    def commit(self, message: str, paths: list[str] | None = None) -> str:
        """Commit changes in the demo repo as the demo maintainer."""
        git = self.git
        git.add(paths or [], all=paths is None)
        env_backup = {k: os.environ.get(k) for k in DEMO_ENV}
        os.environ.update(DEMO_ENV)
        try:
            return git.commit(message, allow_empty=True)
        finally:
            for key, value in env_backup.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def artifact(self, path: str | Path, name: str | None = None) -> str:
        """Copy a file or folder into the report; returns its path relative to the report."""
        source = Path(path)
        target = self.out / "artifacts" / self.stage / (name or source.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        return str(target.relative_to(self.out))


def set_dotted(payload: dict[str, Any], dotted: str, value: Any) -> None:
    node = payload
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def available_stages() -> list[tuple[str, str]]:
    return [(name, module) for name, module in STAGE_ORDER if importlib.util.find_spec(module) is not None]


def make_repository(root: Path) -> None:
    from leadforge.gitrepo import GitRepo

    root.mkdir(parents=True, exist_ok=True)
    git = GitRepo(root)
    git.run("init", "-q", "-b", "main")
    git.run("config", "user.name", DEMO_ENV["GIT_AUTHOR_NAME"])
    git.run("config", "user.email", DEMO_ENV["GIT_AUTHOR_EMAIL"])
    (root / "README.md").write_text("# leadforge-demo\n\nA throwaway repository driven by `leadforge demo`.\n")
    git.add(["README.md"])
    git.commit("chore: initial commit")


REPORT_MARKER = ".leadforge-demo-report"  # written into every report folder; only such folders are replaced


def is_demo_report(folder: Path) -> bool:
    """Whether ``folder`` is a report an earlier ``leadforge demo`` wrote (so it may be replaced)."""
    if (folder / REPORT_MARKER).is_file():
        return True
    try:  # reports written before the marker existed
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and report.get("repository") == DEMO_REPOSITORY and "stages" in report


def prepare_report_dir(report_dir: Path) -> None:
    """Make ``report_dir`` an empty report folder without ever deleting something the demo did not write.

    A missing or empty folder is used as is, an earlier demo report is replaced; anything else (a file, a folder
    with other files, the current folder) is refused with a one-line error.
    """
    if report_dir.is_symlink() or (report_dir.exists() and not report_dir.is_dir()):
        raise LeadforgeError(f"demo: --out {report_dir} exists and is not a folder; choose another --out")
    if report_dir.exists() and any(report_dir.iterdir()):
        if not is_demo_report(report_dir) or report_dir in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
            raise LeadforgeError(
                f"demo: --out {report_dir} is a non-empty folder that is not an earlier demo report; choose a new or empty folder"
            )
        shutil.rmtree(report_dir)
    (report_dir / "work").mkdir(parents=True, exist_ok=True)
    (report_dir / REPORT_MARKER).write_text(
        "written by `leadforge demo`; the folder is replaced on the next run\n", encoding="utf-8"
    )


def run_demo(app: App, *, out: str, keep: bool = False) -> int:
    """Run every available stage; write ``out/index.html`` and ``out/report.json``."""
    from leadforge.demo.report import write_report

    report_dir = (Path.cwd() / out).resolve() if not Path(out).is_absolute() else Path(out)
    prepare_report_dir(report_dir)
    root = Path(tempfile.mkdtemp(prefix="leadforge-demo-")) / "repo"
    make_repository(root)
    demo = Demo(root=root, out=report_dir)
    stages: list[dict[str, Any]] = []
    failed = None
    planned = available_stages()
    with app.out.progress(len(planned), "demo") as bar:
        for name, module in planned:
            demo.stage = name
            started = time.perf_counter()
            result: dict[str, Any]
            try:
                stage_module = importlib.import_module(module)
                skip = missing(f"the {name} stage", *getattr(stage_module, "NEEDS", ()))
                if skip is not None:  # an install without that extra: show the rest of the pipeline
                    result, status = {"title": name, "summary": f"skipped: {skip}"}, "skipped"
                    app.out.info(f"demo: skipped: {skip}")
                else:
                    result = stage_module.run_stage(demo)
                    status = "ok"
            except LeadforgeError as err:
                result, status, failed = {"title": name, "summary": str(err)}, "failed", f"{name}: {err}"
            result = dict(result)
            result.setdefault("title", name)
            for key, empty in (("summary", ""), ("facts", {}), ("links", {}), ("artifacts", [])):
                result.setdefault(key, empty)
            result.update(stage=name, status=status, seconds=round(time.perf_counter() - started, 2))
            stages.append(result)
            bar.advance(f"{name} {status} ({result['seconds']}s)")
            if failed:
                break
    report = {
        "repository": DEMO_REPOSITORY,
        "workdir": str(root),
        "stages": stages,
        "steps": [asdict(s) for s in demo.steps],
        "checks": demo.checks,
        "ok": failed is None,
    }
    write_report(report_dir, report)
    if not keep:
        shutil.rmtree(root.parent, ignore_errors=True)
    skipped = sum(s["status"] == "skipped" for s in stages)
    human = (
        f"demo {'passed' if failed is None else 'FAILED'}: {len(stages)} stage(s){f' ({skipped} skipped)' if skipped else ''}, "
        f"{len(demo.steps)} command(s); report: {report_dir / 'index.html'}"
    )
    if keep:
        human += f"\nrepository kept at {root}"
    app.out.result(
        {
            "ok": failed is None,
            "report": str(report_dir / "index.html"),
            "stages": [{"stage": s["stage"], "status": s["status"]} for s in stages],
        },
        human,
    )
    if failed:
        app.out.info(f"leadforge: error: {failed}")
        return 1
    return 0
