"""GitHub issue forms: read a form template, parse the Markdown GitHub renders from it, build a task.

GitHub turns a submitted issue form into Markdown: one ``### <label>`` heading per field, the answer
below it, ``_No response_`` for an empty optional field, ``None`` for an empty dropdown, comma-joined
dropdown choices, and ``- [x] option`` / ``- [ ] option`` lines for checkboxes. ``parse_body`` reads that
back the way the issue-ops parser does (tests compare with its published cases): with a template, keys
are field ids (or slugged labels when a field has no id) and values are typed; without one, keys are
slugged labels and values the raw text. ``read_form`` says more: which heading answered which field
(labels renamed after the issue was opened are matched when that is unambiguous), which fields were not
found, and the sections that match no field, so intake never loses text. Everything here is pure.

Where a section starts is decided by a CommonMark block parser (markdown-it-py), not by a line regex:
only a top-level ``###`` heading starts one, so a ``### `` line inside a fenced code block (```` ``` ````
or ``~~~``, any length and info string), an indented code block, an HTML block (``<!-- ... -->``,
``<pre>``), a list item or a quote stays part of the answer it is in. Why a parser and not a fence
scanner: getting fences right is easy, but HTML blocks (a ``<!--`` comment spans blank lines) and the
ends of list items and quotes (which close a fence opened inside them) are CommonMark's block rules
too, and a scanner that skipped them would still cut answers. The cost is small here: intake reads one
issue per run, GitHub caps a body at 65,536 characters, and inline parsing (emphasis, links) is off.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadforge.tasks.taskfile import ID_RE, PRIORITIES, TYPES, Task

NO_RESPONSE = "_No response_"
FORM_SECTIONS = "form_sections"  # task-file key for the issue's sections that are not fields of the form
_CHECKBOX = re.compile(r"^\s*[-*]\s+\[([ xX]?)\]\s?(.*)$")  # "- []" (no space) counts as unchecked
_FENCE = re.compile(r"^```[^\n`]*\n(.*?)\n?```$", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset(
    {"a", "an", "and", "the", "of", "or", "to", "for", "in", "on", "is", "be", "this", "that", "your", "please"}
)


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


@dataclass(frozen=True, slots=True)
class Section:
    heading: str  # as written after "###" (closing #'s removed)
    text: str  # the answer: the lines up to the next top-level ### heading, trimmed
    line: int  # 1-based line of the heading


def _block_parser() -> Any:
    """CommonMark's block structure only: inline parsing (emphasis, links...) cannot move a heading."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    parser.disable(["inline", "text_join"])
    return parser


_PARSER: list[Any] = []


def _body_lines(body: str) -> list[str]:
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(lines: Sequence[str]) -> list[Any]:
    """The block tokens of the body (one parser, built on first use)."""
    if not _PARSER:
        _PARSER.append(_block_parser())
    return list(_PARSER[0].parse("\n".join(lines)))


def sections(body: str) -> list[tuple[str, str]]:
    """``(label, answer)`` for every top-level ``### label`` heading, in order; text before the first is ignored."""
    return [(s.heading, s.text) for s in _parse(body)[2]]


def _parse(body: str) -> tuple[list[str], list[Any], list[Section]]:
    """The body's lines, its block tokens and its top-level ``###`` sections. An empty ``###``
    heading ends the previous answer and is dropped."""
    lines = _body_lines(body)
    if not any("###" in line for line in lines):
        return lines, [], []
    starts: list[tuple[int, int, str]] = []  # (heading line, first answer line, heading text)
    tokens = _blocks(lines)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h3" and token.level == 0 and token.map:
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            text = inline.content if inline is not None and inline.type == "inline" else ""
            starts.append((token.map[0], token.map[1], text.strip()))
    found = []
    for number, (line, first, heading) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(lines)
        if heading:
            found.append(Section(heading, "\n".join(lines[first:end]).strip("\n").strip(), line + 1))
    return lines, tokens, found


def _closed_fence(token: Any, lines: Sequence[str]) -> bool:
    last = lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
    return bool(token.markup) and last.startswith(token.markup) and not last.strip(token.markup[0])


def _why_hidden(lines: Sequence[str], tokens: Sequence[Any], headings: set[int], label: str) -> str | None:
    """Why a field's ``### label`` line is not a section heading, when the body has one: it sits inside
    a code block (often a fence above it that is never closed), an HTML block, a list or a quote."""
    pattern = re.compile(r"^\s*(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+)?###[ \t]+" + re.escape(label) + r"[ \t#]*$")
    for number, line in enumerate(lines, start=1):
        if number in headings or not pattern.match(line):
            continue
        block = next((t for t in tokens if t.level == 0 and t.map and t.map[0] < number <= t.map[1]), None)
        if block is None:
            return f"line {number} has it, but not as a heading"
        start = block.map[0] + 1
        if block.type == "fence":
            if _closed_fence(block, lines):
                return f"line {number} has it inside the code block of lines {start}-{block.map[1]}"
            return f"line {number} has it inside the code block opened on line {start} with {block.markup}, which is never closed"
        if block.type == "code_block":
            return f"line {number} has it indented by 4 or more spaces, which makes it code"
        if block.type == "html_block":
            return f"line {number} has it inside the HTML block (<!-- comment -->, <pre>, <details>...) from line {start}"
        return f"line {number} has it inside the list or quote that starts on line {start}"
    return None


def _unfence(text: str) -> str:
    match = _FENCE.match(text.strip())
    return match.group(1) if match else text


def _typed(field: FormField, text: str) -> Any:
    if field.type == "dropdown":
        if text in {"None", NO_RESPONSE}:
            return []
        return [part.strip() for part in text.split(", ") if part.strip()]
    if field.type == "checkboxes":
        selected: list[str] = []
        unselected: list[str] = []
        for line in text.split("\n"):
            match = _CHECKBOX.match(line)
            if match:
                (selected if match.group(1) in ("x", "X") else unselected).append(match.group(2).strip())
        return {"selected": selected, "unselected": unselected}
    return _unfence(text)


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower())) - _STOP_WORDS


@dataclass(frozen=True, slots=True)
class FormReading:
    """What a rendered form says, field by field, and what did not fit the template."""

    answers: Mapping[str, Any]  # field key -> typed answer (empty answers left out)
    matched: tuple[tuple[str, str, str], ...] = ()  # (field key, heading as written, rule: label|normalised|words)
    missing: tuple[FormField, ...] = ()  # template fields no heading answered
    unmatched: Mapping[str, str] = field(default_factory=dict)  # slugged heading -> text, for sections no field took
    unmatched_headings: Mapping[str, str] = field(default_factory=dict)  # slugged heading -> heading as written
    hidden: Mapping[str, str] = field(default_factory=dict)  # missing field key -> why its "### label" line is no heading


def _match_headings(found: Sequence[Section], template: Sequence[FormField]) -> dict[int, tuple[FormField, str]]:
    """Which section answers which field: section index -> (field, rule).

    Rules, in order; each field is taken by one section, the first that qualifies:
    1. ``label``: the heading is the field's label.
    2. ``normalised``: the same after lower-casing and dropping punctuation (``Estimate hours`` for
       ``Estimate (hours)``), or the heading is the field's id (``Depends on`` for id ``depends_on``):
       ids outlive label renames, so an issue opened before a rename still has its field.
    3. ``words``: the words of one (without a few stop words) are all among the words of the other,
       in either direction, against the label or the id (``Acceptance`` for ``Acceptance criteria``,
       ``Preferred agent`` for id ``agent``), and the pairing is unambiguous: that section qualifies
       for no other left-over field and that field for no other left-over section.
    No rule pairs sections with fields by position: a heading that sits where a field used to be may
    just as well be text the reporter added (the issue-ops parser's published ``extra`` case).
    """
    chosen: dict[int, tuple[FormField, str]] = {}
    taken: set[str] = set()

    def claim(rule: str, key_of_field: Any, key_of_section: Any) -> None:
        index: dict[str, FormField] = {}
        for f in template:
            if f.key in taken:
                continue
            for k in key_of_field(f):
                index.setdefault(k, f)
        for number, section in enumerate(found):
            if number in chosen:
                continue
            matched = index.get(key_of_section(section))
            if matched is not None and matched.key not in taken:
                chosen[number] = (matched, rule)
                taken.add(matched.key)

    claim("label", lambda f: (f.label,), lambda s: s.heading)
    claim("normalised", lambda f: (slug(f.label), f.key), lambda s: slug(s.heading))
    left_sections = [n for n in range(len(found)) if n not in chosen]
    left_fields = [f for f in template if f.key not in taken]
    candidates: dict[int, list[FormField]] = {}
    by_field: dict[str, list[int]] = {}
    for number in left_sections:
        heading = _words(found[number].heading)
        if not heading:
            continue
        for f in left_fields:
            for names in (_words(f.label), _words(f.key)):
                if names and (heading <= names or names <= heading):
                    candidates.setdefault(number, []).append(f)
                    by_field.setdefault(f.key, []).append(number)
                    break
    for number, fields in candidates.items():
        if len(fields) == 1 and len(by_field[fields[0].key]) == 1:
            chosen[number] = (fields[0], "words")
    return chosen


def read_form(body: str, template: Sequence[FormField]) -> FormReading:
    """The answers of a rendered issue form against ``template``, and what did not fit (see the module docstring)."""
    lines, tokens, found = _parse(body)
    chosen = _match_headings(found, template)
    answers: dict[str, Any] = {}
    matched: list[tuple[str, str, str]] = []
    unmatched: dict[str, str] = {}
    unmatched_headings: dict[str, str] = {}
    keys = {f.key for f in template}
    for number, section in enumerate(found):
        pick = chosen.get(number)
        if pick is None:
            if section.text and section.text not in (NO_RESPONSE, "None"):
                base = slug(section.heading) or "section"
                key, n = base, 1
                while key in keys or key in unmatched:
                    n += 1
                    key = f"{base}_{n}"
                unmatched[key] = section.text
                unmatched_headings[key] = section.heading
            continue
        f, rule = pick
        matched.append((f.key, section.heading, rule))
        text = section.text
        if not text or (text == NO_RESPONSE and f.type in {"input", "textarea"}):
            continue
        answers[f.key] = _typed(f, text)
    answered = {key for key, _, _ in matched}
    missing = tuple(f for f in template if f.key not in answered)
    headings = {section.line for section in found}
    hidden = {f.key: why for f in missing if (why := _why_hidden(lines, tokens, headings, f.label)) is not None}
    return FormReading(answers, tuple(matched), missing, unmatched, unmatched_headings, hidden)


def reading_notes(reading: FormReading, template: Sequence[FormField], *, kept: bool) -> list[str]:
    """Lines for the intake comment: fields not found, renamed labels matched, sections that are not
    fields (``kept``: the task file keeps them under ``form_sections``)."""
    labels = {f.key: f.label for f in template}
    notes = []
    for f in reading.missing:
        note = f"**{f.label}**: not found (no `### {f.label}` heading in the issue"
        why = reading.hidden.get(f.key)
        if why is not None:
            note += f"; {why}"
        else:
            note += "; was the form's label renamed after the issue was opened?"
        notes.append(note + ")" + ("" if f.required else ", left empty"))
    for key, heading, rule in reading.matched:
        if rule not in ("label", "normalised"):
            notes.append(f"`### {heading}` was read as **{labels[key]}** (the form's label has changed)")
        elif rule == "normalised" and slug(heading) != slug(labels[key]):
            notes.append(f"`### {heading}` was read as **{labels[key]}** (the field's id)")
    for key, heading in reading.unmatched_headings.items():
        where = f"; kept in the task file under `{FORM_SECTIONS}.{key}`" if kept else ""
        notes.append(f"`### {heading}` is not a field of the form{where}")
    return notes


def parse_body(body: str, template: Sequence[FormField] | None = None) -> dict[str, Any]:
    """The answers of a rendered issue form (see the module docstring)."""
    if template is None:
        answers: dict[str, Any] = {}
        for label, text in sections(body):
            if text:
                answers[slug(label)] = text
        return answers
    return dict(read_form(body, template).answers)


# ---- the AI-task form ------------------------------------------------------------------------------------

# The fields of .github/ISSUE_TEMPLATE/ai-task.yml; used when a repository has no copy of the form.
AI_TASK_FIELDS: tuple[FormField, ...] = (
    FormField("description", "Description", "textarea", required=True),
    FormField("type", "Type", "dropdown", required=True, options=TYPES),
    FormField(
        "priority", "Priority", "dropdown", required=True, options=("P0 (highest)", "P1 (high)", "P2 (normal)", "P3 (low)")
    ),
    FormField("scope", "Scope", "textarea", required=True),
    FormField("depends_on", "Depends on", "input"),
    FormField("acceptance", "Acceptance criteria", "textarea", required=True),
    FormField("agent", "Preferred agent", "dropdown"),
    FormField("estimate_hours", "Estimate (hours)", "input"),
)
TITLE_PREFIX = re.compile(r"^\s*\[(?:ai[ -]?task|task)\]\s*:?\s*", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]?\]\s+)?|\d+[.)]\s+)")
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
    sections: Mapping[str, str] | None = None,
) -> FormResult:
    """Validate the form's answers into a pending task ``task-<issue>``; errors say which field and why.

    ``sections`` (``FormReading.unmatched``: slugged heading -> text) are the issue's sections that are
    not fields of the form; the task keeps them under ``form_sections`` so no text is lost."""
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
        extra={FORM_SECTIONS: dict(sections)} if sections else {},
    )
    return FormResult(task, ())


def render_form_body(answers: Mapping[str, str], fields: Sequence[FormField] = AI_TASK_FIELDS) -> str:
    """The Markdown GitHub would render for these answers (demo and tests open issues with it)."""
    parts = []
    for form_field in fields:
        value = answers.get(form_field.key, "") or ("None" if form_field.type == "dropdown" else NO_RESPONSE)
        parts.append(f"### {form_field.label}\n\n{value}")
    return "\n\n".join(parts) + "\n"
