"""The OpenAPI subset the double checks every request and response against.

Loads ``tests/fixtures/openapi/github-subset.json`` (see ``derive.py`` there), routes a
method + path to its operation, validates path/query parameters, request bodies and
response bodies with ``jsonschema``, and synthesises minimal valid instances of a schema
(``Spec.skeleton``) that the double fills in with its state.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "openapi" / "github-subset.json"


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    parameters: list[dict[str, Any]]
    request_body: dict[str, Any] | None
    responses: dict[str, Any]
    servers: list[str]
    regex: re.Pattern[str] = field(init=False)
    literal_segments: int = field(init=False)

    def __post_init__(self) -> None:
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", self.path):
            if piece.startswith("{"):
                name = piece[1:-1]
                # a trailing git ref or file path spans segments (heads/main, docs/a.md)
                spans = name in ("ref", "path") and self.path.endswith(piece)
                pattern += f"(?P<{name}>{'.+' if spans else '[^/]+'})"
            else:
                pattern += re.escape(piece)
        self.regex = re.compile(pattern + r"\Z")
        self.literal_segments = sum(1 for seg in self.path.split("/") if seg and "{" not in seg)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


class Spec:
    def __init__(self, fixture: Path = FIXTURE) -> None:
        data = json.loads(fixture.read_text(encoding="utf-8"))
        self.components = data["components"]
        self.operations = [
            Operation(
                op["operationId"], op["method"], op["path"], op["parameters"], op["requestBody"], op["responses"], op["servers"]
            )
            for op in data["operations"]
        ]
        self.by_id = {op.operation_id: op for op in self.operations}
        self.by_key = {op.key: op for op in self.operations}
        self._validators: dict[int, jsonschema.protocols.Validator] = {}
        self._skeletons: dict[str, Any] = {}

    # ---- routing -------------------------------------------------------------------------------
    def find(self, ref: str, method: str | None = None) -> Operation:
        """An operation by ``operationId``, ``"METHOD /path"`` or (with ``method``) its path template."""
        if ref in self.by_id:
            return self.by_id[ref]
        key = f"{method.upper()} {ref}" if method else ref
        if key in self.by_key:
            return self.by_key[key]
        raise KeyError(f"apidouble: no operation {key!r} in the OpenAPI subset (add it to derive.py)")

    def route(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """(operation, path params, path_known). ``path_known`` is True when another method serves the path."""
        candidates = []
        for op in self.operations:
            found = op.regex.match(path)
            if found:
                candidates.append((op, found.groupdict()))
        candidates = [c for c in candidates if not self._path_errors(*c)]
        candidates.sort(key=lambda c: -c[0].literal_segments)
        for op, params in candidates:
            if op.method == method:
                return op, params, True
        return None, {}, bool(candidates)

    # ---- validation ----------------------------------------------------------------------------
    def _validator(self, schema: dict[str, Any]) -> jsonschema.protocols.Validator:
        validator = self._validators.get(id(schema))
        if validator is None:
            root = {"allOf": [schema], "components": self.components}
            validator = jsonschema.Draft202012Validator(root)
            self._validators[id(schema)] = validator
        return validator

    def errors(self, schema: dict[str, Any] | None, instance: Any, where: str) -> list[str]:
        if schema is None:
            return []
        found = sorted(self._validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
        messages = []
        for error in found[:5]:
            at = "/".join(str(p) for p in error.absolute_path) or "(root)"
            messages.append(f"{where} at {at}: {_short(error)}")
        return messages

    def _path_errors(self, op: Operation, params: dict[str, str]) -> list[str]:
        errors = []
        for param in op.parameters:
            if param["in"] == "path" and param["name"] in params:
                value = _coerce(params[param["name"]], param["schema"])
                errors += self.errors(param["schema"], value, f"path parameter {param['name']}")
        return errors

    def check_query(self, op: Operation, query: dict[str, list[str]]) -> list[str]:
        known = {p["name"]: p for p in op.parameters if p["in"] == "query"}
        errors = []
        for name, values in query.items():
            if name not in known:
                errors.append(f"query parameter {name!r} is not defined for {op.operation_id}")
                continue
            for value in values:
                errors += self.errors(known[name]["schema"], _coerce(value, known[name]["schema"]), f"query parameter {name}")
        for name, param in known.items():
            if param["required"] and name not in query:
                errors.append(f"required query parameter {name!r} missing")
        return errors

    def check_body(self, op: Operation, body: Any, present: bool) -> list[str]:
        spec = op.request_body
        if spec is None:
            return [f"{op.operation_id} takes no request body"] if present and body not in (None, {}, b"") else []
        if not present:
            return ["request body is required"] if spec["required"] else []
        if spec["contentType"] != "application/json":
            return []
        return self.errors(spec["schema"], body, "request body")

    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        code = str(status)
        if code not in op.responses:
            return [f"status {status} is not a documented response of {op.operation_id}"]
        schema = op.responses[code]
        if schema is None:
            return [] if body in (None, b"", "") else [f"status {status} of {op.operation_id} has no body"]
        return self.errors(schema, body, f"response {status}")

    # ---- synthesis -----------------------------------------------------------------------------
    def skeleton(self, name: str) -> Any:
        """A minimal instance of ``components.schemas[name]``: required fields only, plain values."""
        if name not in self._skeletons:
            self._skeletons[name] = self._synth({"$ref": f"#/components/schemas/{name}"}, 0)
        return copy.deepcopy(self._skeletons[name])

    def skeleton_at(self, name: str, *path: str) -> Any:
        """A minimal instance of a property schema inside ``name`` (``skeleton_at("pull-request", "base", "repo")``)."""
        node: dict[str, Any] = self.components["schemas"][name]
        for prop in path:
            node = self._deref(node)
            if "anyOf" in node:
                node = next(o for o in node["anyOf"] if o.get("type") != "null")
            node = self._deref(node)["properties"][prop]
        node = self._deref(node)
        if "anyOf" in node:
            node = self._deref(next(o for o in node["anyOf"] if o.get("type") != "null"))
        if isinstance(node.get("type"), list):
            node = {**node, "type": next(t for t in node["type"] if t != "null")}
        return self._synth(node, 0)

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.components["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def _synth(self, schema: dict[str, Any], depth: int) -> Any:
        if "$ref" in schema:
            return self._synth(self.components["schemas"][schema["$ref"].rsplit("/", 1)[-1]], depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self._synth(part, depth)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if o.get("type") != "null"]
                return self._synth(options[0], depth) if options else None
        kind = schema.get("type")
        if isinstance(kind, list):
            if "null" in kind:
                return None
            kind = kind[0]
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "object" or (kind is None and "properties" in schema):
            props = schema.get("properties", {})
            return {name: self._synth(props.get(name, {}), depth) for name in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return 0
        if kind == "boolean":
            return False
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return "2026-01-01T00:00:00Z"
            if fmt in ("uri", "uri-template", "url"):
                return "https://example.invalid/"
            if fmt == "email":
                return "nobody@example.invalid"
            return "0" * int(schema.get("minLength", 0))
        return None


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(value)
        except ValueError:
            return value
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _short(error: jsonschema.ValidationError) -> str:
    text = error.message
    if len(text) > 300:  # the message embeds the whole instance: name the rule instead
        text = f"breaks {error.validator}={json.dumps(error.validator_value)[:200]}"
    return text


_SPEC: Spec | None = None


def spec() -> Spec:
    """The shared, parsed subset (loaded once per process)."""
    global _SPEC
    if _SPEC is None:
        _SPEC = Spec()
    return _SPEC


__all__ = ["FIXTURE", "Operation", "Spec", "spec"]
