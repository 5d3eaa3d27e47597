"""The GitHub Actions runtime, read once into a ``Context``.

Pure functions render what Actions expects (output blocks, annotations); thin
methods append them to the files Actions gave us. Outside Actions the same calls
are harmless: outputs and summaries go nowhere unless their paths are set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leadforge.errors import InputError


@dataclass(frozen=True, slots=True)
class Context:
    """What the run knows about where it is: event, repository, commit, files to write."""

    event_name: str = ""
    event_path: str = ""
    repository: str = ""
    sha: str = ""
    ref: str = ""
    run_id: str = ""
    actor: str = ""
    workspace: str = ""
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    output_path: str = ""
    summary_path: str = ""
    token: str = field(default="", repr=False)
    in_actions: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Context:
        env = os.environ if env is None else env
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event_path=env.get("GITHUB_EVENT_PATH", ""),
            repository=env.get("GITHUB_REPOSITORY", ""),
            sha=env.get("GITHUB_SHA", ""),
            ref=env.get("GITHUB_REF", ""),
            run_id=env.get("GITHUB_RUN_ID", ""),
            actor=env.get("GITHUB_ACTOR", ""),
            workspace=env.get("GITHUB_WORKSPACE", ""),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
            output_path=env.get("GITHUB_OUTPUT", ""),
            summary_path=env.get("GITHUB_STEP_SUMMARY", ""),
            token=env.get("GITHUB_TOKEN", "") or env.get("GH_TOKEN", ""),
            in_actions=env.get("GITHUB_ACTIONS", "") == "true",
        )

    @property
    def ref_name(self) -> str:
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.ref.startswith(prefix):
                return self.ref[len(prefix) :]
        return self.ref

    @property
    def run_url(self) -> str:
        if not (self.repository and self.run_id):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def event(self) -> dict[str, Any]:
        """The webhook payload; a clear error when it is missing or not a JSON object."""
        return load_event(self.event_path)


def load_event(path: str | os.PathLike[str]) -> dict[str, Any]:
    if not path:
        raise InputError("GITHUB_EVENT_PATH is not set: pass the event payload file (e.g. GITHUB_EVENT_PATH=event.json)")
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: event payload file not found (GITHUB_EVENT_PATH)") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read event payload: {err.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: event payload is not UTF-8 text (GITHUB_EVENT_PATH should name the JSON payload)") from None
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: event payload is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(payload, dict):
        raise InputError(f"{path}: event payload must be a JSON object, got {type(payload).__name__}")
    return payload


def require(payload: Mapping[str, Any], dotted: str, source: str = "event payload") -> Any:
    """``payload['a']['b']`` for ``'a.b'``, or a one-line error naming the missing field."""
    node: Any = payload
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node or node[part] is None:
            raise InputError(f"{source}: missing field '{dotted}'")
        node = node[part]
    return node


# ---- what Actions reads from us: pure renderers -------------------------------------------


def format_output(name: str, value: str, delimiter: str | None = None) -> str:
    """One ``$GITHUB_OUTPUT`` entry; multi-line values use the heredoc form."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    if not delimiter:
        import uuid  # here, not at the top: uuid imports platform, a tenth of `release notes`' start-up

        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    if delimiter in value:
        raise ValueError("output value contains its delimiter")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    end_line: int | None = None,
    title: str | None = None,
) -> str:
    """A workflow command such as ``::error file=a.py,line=3::message``."""
    if level not in {"error", "warning", "notice", "debug"}:
        raise ValueError(f"unknown annotation level {level!r}")
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
    if line:
        props.append(f"line={line}")
    if end_line:
        props.append(f"endLine={end_line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_escape_data(message)}"


def format_mask(value: str) -> str:
    return f"::add-mask::{_escape_data(value)}"


# ---- thin writers ----------------------------------------------------------------------------


@dataclass
class ActionsIO:
    """Appends outputs and summaries to the files Actions gave us; prints workflow commands."""

    context: Context
    # stderr: the runner reads workflow commands there too, and stdout stays clean for --json.
    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def set_output(self, name: str, value: str) -> None:
        if self.context.output_path:
            with open(self.context.output_path, "a", encoding="utf-8") as handle:
                handle.write(format_output(name, value))

    def summary(self, markdown: str) -> None:
        if self.context.summary_path:
            with open(self.context.summary_path, "a", encoding="utf-8") as handle:
                handle.write(markdown.rstrip("\n") + "\n")

    def annotate(self, level: str, message: str, **where: Any) -> None:
        if self.context.in_actions:
            print(format_annotation(level, message, **where), file=self.stream, flush=True)

    def mask(self, value: str) -> None:
        if self.context.in_actions and value:
            print(format_mask(value), file=self.stream, flush=True)
