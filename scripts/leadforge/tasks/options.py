"""The ``tasks:`` section of ``.github/leadforge.yml``, read without pydantic.

``dispatch`` must stay fast on a 10,000-task queue, so the queue commands read their section with the
C YAML loader and check it against ``SPEC`` here. ``settings.TasksSettings`` (the pydantic model the
root config, the JSON Schema and the reference file use) is built from the same ``SPEC``, so the two
cannot drift: one table, two readers. Unknown keys and wrong types are errors naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge.config_file import DEFAULT_CONFIG_PATH, read_config_text
from leadforge.errors import ConfigError, InputError
from leadforge.tasks.budget import Budget, budget_from_mapping

PERMISSIONS = ("none", "read", "triage", "write", "maintain", "admin")  # weakest first

# name: (type, default, description). Types: str, int, float, bool, list[str], budget (a mapping, see tasks/budget.py).
SPEC: dict[str, tuple[str, Any, str]] = {
    "profiles_dir": ("str", "profiles", "Folder of agent profiles (one `<agent>.yml` each), relative to the repository root."),
    "intake_label": ("str", "ai-task", "Label the issue form sets; `task intake` ignores issues without it."),
    "needs_info_label": ("str", "needs-info", "Label added to an AI-task issue whose form could not be turned into a task."),
    "min_permission": (
        "str",
        "triage",
        (
            "Least repository permission the person opening or editing an AI-task issue needs for it to be queued "
            "(none, read, triage, write, maintain, admin): agents act on what the queue says."
        ),
    ),
    "branch_prefix": ("str", "ai/", "Prefix of the branch made for an assigned task: `<prefix><id>-<slug>`."),
    "slug_length": ("int", 40, "Longest slug (from the title) in a task branch name."),
    "required_checks": (
        "list[str]",
        [],
        (
            "Check runs / commit statuses that must be green on the merged PR's head. Empty: every completed check "
            "and status present must be green."
        ),
    ),
    "ignore_checks": (
        "list[str]",
        ["ai-task-completion"],
        "Check names never considered by verification (the completion workflow itself).",
    ),
    "allowed_outside_scope": (
        "list[str]",
        [],
        "Globs a task's PR may change besides its declared scope (e.g. CHANGELOG.md).",
    ),
    "verify_commands": (
        "list[str]",
        [],
        (
            "Extra commands run in the repository after a task's PR merges (shell-style words, no shell); any "
            "non-zero exit fails verification."
        ),
    ),
    "verify_timeout_seconds": ("int", 600, "Time limit for each verify command."),
    "stale_after_hours": (
        "float",
        48.0,
        (
            "An in-progress task with no heartbeat (commits on its branch, PR activity, "
            "`task heartbeat`) for this long gets a warning comment."
        ),
    ),
    "requeue_after_hours": ("float", 24.0, "After the warning, this much more silence moves the task back to pending/."),
    "dispatch_after_complete": ("bool", True, "Run dispatch right after a task completes, for what it unblocked."),
    "budget": (
        "budget",
        None,
        (
            "Repository-wide AI cost budget over every agent: {usd_per_month, usd_per_task, tokens_per_month} (each "
            "optional). Dispatch never hands out a task whose expected cost would pass it; see docs/tasks.md#budgets."
        ),
    ),
    "default_estimate_hours": (
        "float",
        2.0,
        "Estimate assumed for a task without `estimate_hours` (expected cost, forecast, critical path).",
    ),
    "budget_label": (
        "str",
        "leadforge-budget",
        "Label of the issue that receives the 80%/95% budget comments (created when missing).",
    ),
    "over_budget_agent": (
        "str",
        "human",
        "Profile a task goes to when its reported cost passes its per-task budget (sweep re-queues it with the reason).",
    ),
    "open_issues": (
        "bool",
        True,
        (
            "Dispatch opens a tracking issue for a hand-written task without `issue` before "
            "handing it off (else only workflow hand-offs can take such a task)."
        ),
    ),
    "issue_label": (
        "str",
        "leadforge-task",
        "Label of the tracking issues dispatch opens for hand-written tasks (not the intake label: the issue is no form).",
    ),
    "recurring_dir": (
        "str",
        "docs/TASKS/recurring",
        "Folder of recurring task templates (`schedule: <cron>`), instantiated by the sweep when due.",
    ),
    "tasks_from_findings": (
        "bool",
        False,
        (
            "`leadforge task from-findings` turns new scan findings on the default "
            "branch into pending tasks (one per rule and file group) and completes them when fixed."
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class TaskOptions:
    profiles_dir: str = "profiles"
    intake_label: str = "ai-task"
    needs_info_label: str = "needs-info"
    min_permission: str = "triage"
    branch_prefix: str = "ai/"
    slug_length: int = 40
    required_checks: tuple[str, ...] = ()
    ignore_checks: tuple[str, ...] = ("ai-task-completion",)
    allowed_outside_scope: tuple[str, ...] = ()
    verify_commands: tuple[str, ...] = ()
    verify_timeout_seconds: int = 600
    stale_after_hours: float = 48.0
    requeue_after_hours: float = 24.0
    dispatch_after_complete: bool = True
    budget: Budget | None = None
    default_estimate_hours: float = 2.0
    budget_label: str = "leadforge-budget"
    over_budget_agent: str = "human"
    open_issues: bool = True
    issue_label: str = "leadforge-task"
    recurring_dir: str = "docs/TASKS/recurring"
    tasks_from_findings: bool = False
    default_branch: str = "main"


def _check(key: str, kind: str, value: Any, where: str) -> Any:
    bad = ConfigError(f"{where}: tasks.{key}: expected {kind.replace('list[str]', 'a list of strings')}, got {value!r}")
    if kind == "str":
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise bad
        return float(value)
    if kind == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        return tuple(value)
    if kind == "budget":
        try:
            return budget_from_mapping(value, f"{where}: tasks.{key}")
        except InputError as err:
            raise ConfigError(str(err)) from None
    raise AssertionError(kind)  # pragma: no cover


def options_from_mapping(section: Any, *, default_branch: str = "main", where: str = DEFAULT_CONFIG_PATH) -> TaskOptions:
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: tasks: must be a mapping of keys")
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in SPEC:
            raise ConfigError(f"{where}: tasks.{key}: unknown key (check the spelling; see docs/leadforge.reference.yml)")
        values[key] = _check(key, SPEC[key][0], value, where)
    if values.get("min_permission", "triage") not in PERMISSIONS:
        raise ConfigError(
            f"{where}: tasks.min_permission: expected one of {', '.join(PERMISSIONS)}, got {values['min_permission']!r}"
        )
    return TaskOptions(default_branch=default_branch, **values)


def load_options(repo: str | Path, config_path: str | None = None) -> TaskOptions:
    """Read ``tasks:`` (and ``default_branch``) from the config file; a missing default file means defaults."""
    import yaml

    path, text = read_config_text(repo, config_path)
    if text is None:
        return TaskOptions()
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(err, 'problem', err)}") from None
    if data is None:
        return TaskOptions()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    branch = data.get("default_branch", "main")
    if not isinstance(branch, str):
        raise ConfigError(f"{path}: default_branch: expected a string, got {branch!r}")
    return options_from_mapping(data.get("tasks"), default_branch=branch, where=str(path))
