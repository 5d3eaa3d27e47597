"""GitHub Actions expressions (``${{ ... }}``): tokenizer, parser and evaluator.

Follows the documented semantics: literals (``null``, booleans, numbers, ``'single ''quoted'' strings'``),
context access (``github.event.issue.title``, ``steps['id'].outputs.x``, ``needs.*.result``), operators
``( ) [ ] . ! < <= > >= == != && ||`` with JavaScript-like ``&&``/``||`` (they return an operand), loose
equality that coerces mismatched types to numbers and compares strings case-insensitively, and the
functions ``contains startsWith endsWith format join toJSON fromJSON case hashFiles`` plus the status
functions ``success always failure cancelled``.

Evaluation errors raise :class:`ExpressionError` naming the expression, the way the runner fails a step.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ExpressionError", "Status", "evaluate", "has_status_function", "interpolate", "is_truthy", "to_string"]


class ExpressionError(ValueError):
    """A malformed expression or a call the evaluator does not support."""


@dataclass(frozen=True)
class Status:
    """What ``success()``/``failure()``/``cancelled()`` see: the state of the job so far."""

    failed: bool = False
    cancelled: bool = False
    blocked: bool = False  # a needed job was skipped: success() is false, failure() too


# ---- tokens ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<num>0x[0-9a-fA-F]+|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected character at {pos} in expression: {text!r}")
        pos = match.end()
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        # "a.b" after a property access is not a number: "-1" after a value is an operator we lack.
        if kind == "num" and tokens and tokens[-1] == ("op", ".") and value[0].isdigit():
            kind = "name"
        tokens.append((kind, value))
    return tokens


# ---- parser (precedence climbing) --------------------------------------------------------------

_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'a value'} in expression: {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        node = self.binary(0)
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"unexpected {extra[1]!r} in expression: {self.text!r}")
        return node

    def binary(self, min_prec: int) -> Any:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in _BINARY:
                return left
            prec = _BINARY[token[1]]
            if prec < min_prec:
                return left
            self.pos += 1
            right = self.binary(prec + 1)
            left = ("bin", token[1], left, right)

    def unary(self) -> Any:
        token = self.peek()
        if token == ("op", "!"):
            self.pos += 1
            return ("not", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            number = float(int(value, 16)) if value.lower().startswith("0x") else float(value)
            return ("lit", number)
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if kind == "op" and value == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return ("lit", lowered == "true")
            if lowered == "null":
                return ("lit", None)
            if self.peek() == ("op", "("):
                self.pos += 1
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.binary(0))
                    while self.peek() == ("op", ","):
                        self.pos += 1
                        args.append(self.binary(0))
                self.take(")")
                return ("call", lowered, args)
            return ("ctx", lowered)
        raise ExpressionError(f"unexpected {value!r} in expression: {self.text!r}")

    def postfix(self, node: Any) -> Any:
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.pos += 1
                kind, value = self.take()
                if kind == "op" and value == "*":
                    node = ("star", node)
                elif kind in ("name", "num"):
                    node = ("prop", node, ("lit", value))
                else:
                    raise ExpressionError(f"bad property access in expression: {self.text!r}")
            elif token == ("op", "["):
                self.pos += 1
                if self.peek() == ("op", "*"):
                    self.pos += 1
                    self.take("]")
                    node = ("star", node)
                else:
                    index = self.binary(0)
                    self.take("]")
                    node = ("prop", node, index)
            else:
                return node


_CACHE: dict[str, Any] = {}


def _parse(text: str) -> Any:
    tree = _CACHE.get(text)
    if tree is None:
        tree = _CACHE[text] = _Parser(text).parse()
    return tree


# ---- values ------------------------------------------------------------------------------------


def is_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value: Any) -> str:
    """How the runner renders a value inside a string (``${{ }}`` in ``run:`` or ``env:``)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def _to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "num"
    if isinstance(value, str):
        return "str"
    return "obj"


def _equal(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        if "obj" in (ka, kb):
            return False
        return _to_number(a) == _to_number(b)
    if ka == "str":
        return a.casefold() == b.casefold()
    if ka == "obj":
        return a is b
    if ka == "num":
        return float(a) == float(b)
    return a == b


def _compare(op: str, a: Any, b: Any) -> bool:
    if _kind(a) == "str" and _kind(b) == "str":
        x: Any = a.casefold()
        y: Any = b.casefold()
    else:
        x, y = _to_number(a), _to_number(b)
        if math.isnan(x) or math.isnan(y):
            return False
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


class _Filtered(list):
    """The result of ``.*``: a following property access applies to every element."""


def _index(container: Any, key: Any) -> Any:
    if isinstance(container, _Filtered):
        out = _Filtered()
        for item in container:
            value = _index(item, key)
            if value is not None:
                out.append(value)
        return out
    if isinstance(container, Mapping):
        if not isinstance(key, str):
            key = to_string(key)
        if key in container:
            return container[key]
        folded = key.casefold()  # context property names are case-insensitive
        for name, value in container.items():
            if isinstance(name, str) and name.casefold() == folded:
                return value
        return None
    if isinstance(container, list):
        if isinstance(key, str) and not key.strip().isdigit():
            return None
        number = _to_number(key)
        if math.isnan(number) or number < 0 or not number.is_integer() or int(number) >= len(container):
            return None
        return container[int(number)]
    return None


# ---- functions -----------------------------------------------------------------------------------


def _format(fmt: Any, *args: Any) -> str:
    text = to_string(fmt)
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{":
            if text.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            end = text.find("}", i)
            if end == -1 or not text[i + 1 : end].isdigit():
                raise ExpressionError(f"format: invalid placeholder in {text!r}")
            index = int(text[i + 1 : end])
            if index >= len(args):
                raise ExpressionError(f"format: placeholder {{{index}}} has no argument in {text!r}")
            out.append(to_string(args[index]))
            i = end + 1
        elif char == "}":
            if text.startswith("}}", i):
                out.append("}")
                i += 2
                continue
            raise ExpressionError(f"format: unmatched '}}' in {text!r}")
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


def _join(items: Any, sep: Any = ",") -> str:
    if isinstance(items, list):
        return to_string(sep).join(to_string(item) for item in items)
    return to_string(items)


def _from_json(text: Any) -> Any:
    try:
        return json.loads(to_string(text))
    except json.JSONDecodeError as err:
        raise ExpressionError(f"fromJSON: invalid JSON {to_string(text)[:60]!r}: {err.msg}") from None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as @actions/glob reads it: ``**/`` is zero or more folders, ``*``/``?`` stay in one folder."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _hash_files(workspace: Path | None, *patterns: Any) -> str:
    """``hashFiles``: SHA-256 over the SHA-256 of each matching file (sorted), '' when nothing matches."""
    if workspace is None:
        return ""
    texts = [to_string(p).removeprefix("./") for p in patterns]
    includes = [_glob_regex(p) for p in texts if not p.startswith("!")]
    excludes = [_glob_regex(p[1:].removeprefix("./")) for p in texts if p.startswith("!")]
    files = []
    for path in sorted(workspace.rglob("*")):
        rel = path.relative_to(workspace).as_posix()
        if (
            path.is_file()
            and ".git" not in rel.split("/")
            and any(r.match(rel) for r in includes)
            and not any(r.match(rel) for r in excludes)
        ):
            files.append(path)
    if not files:
        return ""
    outer = hashlib.sha256()
    for path in files:
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest()


# ---- evaluation --------------------------------------------------------------------------------


class _Evaluator:
    def __init__(self, contexts: Mapping[str, Any], status: Status, workspace: Path | None, text: str) -> None:
        self.contexts = contexts
        self.status = status
        self.workspace = workspace
        self.text = text

    def run(self, node: Any) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ctx":
            name = node[1]
            if name not in self.contexts:
                raise ExpressionError(f"unrecognized named-value '{name}' in expression: {self.text!r}")
            return self.contexts[name]
        if kind == "prop":
            return _index(self.run(node[1]), self.run(node[2]))
        if kind == "star":
            base = self.run(node[1])
            if isinstance(base, _Filtered):
                return _Filtered(
                    v
                    for item in base
                    for v in (item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else [])
                )
            if isinstance(base, Mapping):
                return _Filtered(base.values())
            if isinstance(base, list):
                return _Filtered(base)
            return _Filtered()
        if kind == "not":
            return not is_truthy(self.run(node[1]))
        if kind == "bin":
            op = node[1]
            if op == "&&":
                left = self.run(node[2])
                return self.run(node[3]) if is_truthy(left) else left
            if op == "||":
                left = self.run(node[2])
                return left if is_truthy(left) else self.run(node[3])
            left, right = self.run(node[2]), self.run(node[3])
            if op == "==":
                return _equal(left, right)
            if op == "!=":
                return not _equal(left, right)
            return _compare(op, left, right)
        if kind == "call":
            return self.call(node[1], node[2])
        raise ExpressionError(f"cannot evaluate {self.text!r}")  # pragma: no cover

    def call(self, name: str, arg_nodes: list[Any]) -> Any:
        status_funcs: dict[str, Callable[[], bool]] = {
            "success": lambda: not (self.status.failed or self.status.cancelled or self.status.blocked),
            "always": lambda: True,
            "failure": lambda: self.status.failed,
            "cancelled": lambda: self.status.cancelled,
        }
        if name in status_funcs:
            if arg_nodes:
                raise ExpressionError(f"{name}() takes no arguments: {self.text!r}")
            return status_funcs[name]()
        args = [self.run(arg) for arg in arg_nodes]
        arity = {"contains": 2, "startswith": 2, "endswith": 2, "tojson": 1, "fromjson": 1}
        if name in arity and len(args) != arity[name]:
            raise ExpressionError(f"{name}() takes {arity[name]} arguments, got {len(args)}: {self.text!r}")
        if name == "contains":
            return _contains(args[0], args[1])
        if name == "startswith":
            return to_string(args[0]).casefold().startswith(to_string(args[1]).casefold())
        if name == "endswith":
            return to_string(args[0]).casefold().endswith(to_string(args[1]).casefold())
        if name == "format":
            if not args:
                raise ExpressionError(f"format() needs a format string: {self.text!r}")
            return _format(*args)
        if name == "join":
            if not 1 <= len(args) <= 2:
                raise ExpressionError(f"join() takes 1 or 2 arguments: {self.text!r}")
            return _join(*args)
        if name == "tojson":
            return json.dumps(args[0], indent=2)
        if name == "fromjson":
            return _from_json(args[0])
        if name == "case":
            if len(args) < 3 or len(args) % 2 == 0:
                raise ExpressionError(f"case() takes pairs of (condition, value) and a default: {self.text!r}")
            for index in range(0, len(args) - 1, 2):
                if is_truthy(args[index]):
                    return args[index + 1]
            return args[-1]
        if name == "hashfiles":
            return _hash_files(self.workspace, *args)
        raise ExpressionError(f"unknown function {name}() in expression: {self.text!r}")


def evaluate(
    text: str,
    contexts: Mapping[str, Any],
    *,
    status: Status | None = None,
    workspace: Path | None = None,
) -> Any:
    """Evaluate one expression (the part between ``${{`` and ``}}``, or a bare ``if:`` condition)."""
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    return _Evaluator(contexts, status or Status(), workspace, text).run(_parse(text))


def _scan_end(template: str, start: int) -> int:
    """Index of the ``}}`` closing the expression opened before ``start``, skipping quoted strings."""
    i = start
    while i < len(template):
        if template[i] == "'":
            end = template.find("'", i + 1)
            while end != -1 and template.startswith("''", end):
                end = template.find("'", end + 2)
            if end == -1:
                break
            i = end + 1
            continue
        if template.startswith("}}", i):
            return i
        i += 1
    raise ExpressionError(f"unterminated ${{{{ in {template[:80]!r}")


def interpolate(
    template: Any,
    contexts: Mapping[str, Any],
    *,
    status: Status | None = None,
    workspace: Path | None = None,
) -> Any:
    """Replace every ``${{ expr }}`` in a string; non-strings pass through.

    A value that is exactly one expression keeps the expression's type (``${{ fromJSON('[1]') }}``
    gives a list), like the runner does for ``with:`` and ``strategy`` values.
    """
    if not isinstance(template, str) or "${{" not in template:
        return template
    stripped = template.strip()
    if stripped.startswith("${{"):
        end = _scan_end(stripped, 3)
        if end + 2 == len(stripped):
            return evaluate(stripped[3:end], contexts, status=status, workspace=workspace)
    out: list[str] = []
    pos = 0
    while True:
        start = template.find("${{", pos)
        if start == -1:
            out.append(template[pos:])
            return "".join(out)
        out.append(template[pos:start])
        end = _scan_end(template, start + 3)
        out.append(to_string(evaluate(template[start + 3 : end], contexts, status=status, workspace=workspace)))
        pos = end + 2


_STATUS_CALL = re.compile(r"\b(success|always|failure|cancelled)\s*\(", re.IGNORECASE)


def has_status_function(condition: str) -> bool:
    """True when an ``if:`` names a status function (then it is not implicitly ``success() && ...``)."""
    return bool(_STATUS_CALL.search(condition))
