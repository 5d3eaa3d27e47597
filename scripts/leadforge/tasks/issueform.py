"""GitHub issue forms: read a form template, parse the Markdown GitHub renders from it, build a task.

GitHub turns a submitted issue form into Markdown: one ``### <label>`` heading per field, the answer
below it, ``_No response_`` for an empty optional field, ``None`` for an empty dropdown, comma-joined
dropdown choices, and ``- [x] option`` / ``- [ ] option`` lines for checkboxes. ``parse_body`` reads that
back the way the issue-ops parser does (tests compare with its published cases): with a template, keys
are field ids (or slugged labels when a field has no id) and values are typed; without one, keys are
slugged labels and values the raw text. Everything here is pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadforge.tasks.taskfile import ID_RE, PRIORITIES, TYPES, Task

NO_RESPONSE = "_No response_"
_HEADING = re.compile(r"^###[ \t]+(\S.*?)[ \t]*#*[ \t]*$")
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[([ xX])\]\s?(.*)$")
_FENCE = re.compile(r"^```[^\n`]*\n(.*?)\n?```$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FormField:
    key: str  # the id, or the slugged label
    label: str
    type: str  # input | textarea | dropdown | checkboxes
    required: bool = False
    multiple: bool = False
    options: tuple[str, ...] = ()


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def parse_template(data: Any) -> tuple[FormField, ...]:
    """The answerable fields of an issue-form template (already loaded from YAML)."""
    fields = []
    body = data.get("body", []) if isinstance(data, dict) else []
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, dict) or item.get("type") == "markdown":
            continue
        attributes = item.get("attributes") or {}
        label = str(attributes.get("label", "")).strip()
        if not label:
            continue
        options = []
        for option in attributes.get("options") or []:
            options.append(str(option.get("label", "")) if isinstance(option, dict) else str(option))
        validations = item.get("validations") or {}
        fields.append(
            FormField(
                key=str(item.get("id") or slug(label)),
                label=label,
                type=str(item.get("type", "input")),
                required=bool(validations.get("required", False)),
                multiple=bool(attributes.get("multiple", False)),
                options=tuple(options),
            )
        )
    return tuple(fields)


def sections(body: str) -> list[tuple[str, str]]:
    """``(label, answer)`` for every ``### label`` heading, in order; text before the first is ignored."""
    found: list[tuple[str, list[str]]] = []
    for line in (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _HEADING.match(line)
        if match:
            found.append((match.group(1).strip(), []))
        elif line.startswith("###") and not line[3:].strip():
            found.append(("", []))  # an empty heading ends the previous answer and is dropped
        elif found:
            found[-1][1].append(line)
    return [(label, "\n".join(lines).strip("\n").strip()) for label, lines in found if label]


def _unfence(text: str) -> str:
    match = _FENCE.match(text.strip())
    return match.group(1) if match else text


def _typed(field: FormField, text: str) -> Any:
    if field.type == "dropdown":
        if text in {"None", NO_RESPONSE}:
            return []
        return [part.strip() for part in text.split(", ") if part.strip()]
    if field.type == "checkboxes":
        selected, unselected = [], []
        for line in text.split("\n"):
            match = _CHECKBOX.match(line)
            if match:
                (selected if match.group(1) in "xX" else unselected).append(match.group(2).strip())
        return {"selected": selected, "unselected": unselected}
    return _unfence(text)


def parse_body(body: str, template: Sequence[FormField] | None = None) -> dict[str, Any]:
    """The answers of a rendered issue form (see the module docstring)."""
    answers: dict[str, Any] = {}
    if template is None:
        for label, text in sections(body):
            if text:
                answers[slug(label)] = text
        return answers
    by_label = {f.label: f for f in template}
    for label, text in sections(body):
        field = by_label.get(label)
        if field is None or not text:
            continue
        if text == NO_RESPONSE and field.type in {"input", "textarea"}:
            continue
        answers[field.key] = _typed(field, text)
    return answers


# ---- the AI-task form ------------------------------------------------------------------------------------

# The fields of .github/ISSUE_TEMPLATE/ai-task.yml; used when a repository has no copy of the form.
AI_TASK_FIELDS: tuple[FormField, ...] = (
    FormField("description", "Description", "textarea", required=True),
    FormField("type", "Type", "dropdown", required=True, options=TYPES),
    FormField("priority", "Priority", "dropdown", required=True,
              options=("P0 (highest)", "P1 (high)", "P2 (normal)", "P3 (low)")),
    FormField("scope", "Scope", "textarea", required=True),
    FormField("depends_on", "Depends on", "input"),
    FormField("acceptance", "Acceptance criteria", "textarea", required=True),
    FormField("agent", "Preferred agent", "dropdown"),
    FormField("estimate_hours", "Estimate (hours)", "input"),
)
TITLE_PREFIX = re.compile(r"^\s*\[(?:ai[ -]?task|task)\]\s*:?\s*", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")
_DEP_SPLIT = re.compile(r"[\s,;]+")
_HOURS_UNIT = re.compile(r"\s*(?:h|hrs?|hours?)\s*$")


def _lines(text: str) -> list[str]:
    """One entry per line, without bullets, checkboxes or backticks."""
    out = []
    for line in _unfence(text).split("\n"):
        line = _BULLET.sub("", line).strip().strip("`").strip()
        if line and line != NO_RESPONSE:
            out.append(line)
    return out


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "").strip()


@dataclass(frozen=True, slots=True)
class FormResult:
    task: Task | None
    errors: tuple[str, ...]


def task_from_form(
    answers: Mapping[str, Any],
    *,
    issue: int,
    title: str,
    created: str,
    agents: Sequence[str] | None = None,
) -> FormResult:
    """Validate the form's answers into a pending task ``task-<issue>``; errors say which field and why."""
    errors: list[str] = []
    clean_title = TITLE_PREFIX.sub("", title or "").strip()
    if not clean_title:
        errors.append("Title: write what the task is about in the issue title")
    description = str(answers.get("description") or "").strip()
    if not description:
        errors.append("Description: required; say what should change and why")
    kind = _first(answers.get("type")).lower()
    if kind not in TYPES:
        errors.append(f"Type: choose one of {', '.join(TYPES)}" + (f" (got {kind!r})" if kind else ""))
    priority_text = _first(answers.get("priority"))
    priority = priority_text.split()[0].upper() if priority_text else ""
    if priority not in PRIORITIES:
        errors.append(f"Priority: choose one of {', '.join(PRIORITIES)}" + (f" (got {priority_text!r})" if priority_text else ""))
    scope = _lines(str(answers.get("scope") or ""))
    if not scope:
        errors.append("Scope: list the paths or globs the task may change, one per line (e.g. src/api/**)")
    for glob in scope:
        if glob.startswith("/") or ".." in glob.split("/") or any(c in glob for c in "\t\0"):
            errors.append(f"Scope: {glob!r} must be a path or glob relative to the repository root")
    depends: list[str] = []
    for token in _DEP_SPLIT.split(str(answers.get("depends_on") or "")):
        token = token.strip().strip("`")
        if not token or token.lower() in {NO_RESPONSE.lower(), "none", "-", "and", "&"}:
            continue
        bare = token.lstrip("#")
        if bare.isdigit():
            depends.append(f"task-{int(bare)}")
        elif ID_RE.match(bare):
            depends.append(bare)
        else:
            errors.append(f"Depends on: {token!r} is not an issue number (#12) or a task id (task-12)")
    if f"task-{issue}" in depends:
        errors.append("Depends on: a task cannot depend on itself")
    acceptance = _lines(str(answers.get("acceptance") or ""))
    if not acceptance:
        errors.append("Acceptance criteria: list at least one, one per line")
    agent = _first(answers.get("agent")).strip() or "auto"
    agent = agent.split()[0].lower() if agent else "auto"
    if agent != "auto" and agents is not None and agent not in agents:
        errors.append(f"Preferred agent: no profile named {agent!r} (choose auto or one of {', '.join(agents) or 'none'})")
    estimate: float | None = None
    estimate_text = str(answers.get("estimate_hours") or "").strip()
    if estimate_text and estimate_text != NO_RESPONSE:
        try:
            estimate = float(_HOURS_UNIT.sub("", estimate_text.lower()).strip())
            if not math.isfinite(estimate) or estimate < 0:
                raise ValueError
        except ValueError:
            errors.append(f"Estimate (hours): {estimate_text!r} is not a number of hours")
            estimate = None
    if errors:
        return FormResult(None, tuple(errors))
    task = Task(
        id=f"task-{issue}",
        title=clean_title,
        state="pending",
        issue=issue,
        priority=priority,
        type=kind,
        agent=agent,
        depends_on=tuple(dict.fromkeys(depends)),
        scope=tuple(dict.fromkeys(scope)),
        acceptance=tuple(acceptance),
        estimate_hours=estimate,
        created=created,
        body=description.rstrip() + "\n",
    )
    return FormResult(task, ())


def render_form_body(answers: Mapping[str, str], fields: Sequence[FormField] = AI_TASK_FIELDS) -> str:
    """The Markdown GitHub would render for these answers (demo and tests open issues with it)."""
    parts = []
    for field in fields:
        value = answers.get(field.key, "")
        parts.append(f"### {field.label}\n\n{value if value else ('None' if field.type == 'dropdown' else NO_RESPONSE)}")
    return "\n\n".join(parts) + "\n"
