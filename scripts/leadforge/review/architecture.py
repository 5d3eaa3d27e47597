"""Architecture rules as data: "modules matching these globs may not import those", checked on
changed Python files by reading their imports with ``ast`` (no regex, so strings and comments
never trip it). Pure: file texts in, findings and notes out."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from leadforge.findings import Finding
from leadforge.review.settings import ArchitectureSettings


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # absolute dotted name
    line: int
    text: str  # the import statement's first line, for the fingerprint


def module_name(path: str, roots: Sequence[str]) -> str | None:
    """``scripts/leadforge/review/plan.py`` -> ``leadforge.review.plan`` (first matching root)."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return None
    for root in roots:
        root_parts = () if root in ("", ".") else PurePosixPath(root).parts
        if pure.parts[: len(root_parts)] == root_parts:
            parts = list(pure.with_suffix("").parts[len(root_parts) :])
            if parts and parts[-1] == "__init__":
                parts.pop()
            if parts and all(p.isidentifier() for p in parts):
                return ".".join(parts)
    return None


def imports_of(source: str, module: str, *, is_package: bool = False, path: str = "<file>") -> list[Import]:
    """Every module ``source`` imports, relative imports resolved against ``module``.
    ``from a import b`` yields ``a`` and ``a.b`` (b may be a submodule). Raises SyntaxError."""
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        text = lines[node.lineno - 1].strip() if isinstance(node, (ast.Import, ast.ImportFrom)) else ""
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, node.lineno, text))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                if node.level > len(base_parts):
                    continue  # beyond the top package (or no package at all): python would fail too
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                found.append(Import(base, node.lineno, text))
            for alias in node.names:
                if alias.name != "*":
                    found.append(Import(f"{base}.{alias.name}" if base else alias.name, node.lineno, text))
    return found


def _matches(name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if fnmatchcase(name, pattern):
            return True
        if pattern.endswith(".*") and name == pattern[:-2]:
            return True
    return False


def _forbidden(name: str, patterns: Iterable[str]) -> bool:
    """Importing ``a.b.c`` imports ``a`` and ``a.b`` too: a pattern forbids a module and everything under it."""
    parts = name.split(".")
    return any(_matches(".".join(parts[:n]), patterns) for n in range(len(parts), 0, -1))


def check(files: Mapping[str, str], settings: ArchitectureSettings) -> tuple[list[Finding], list[str]]:
    """Findings for rule violations in ``files`` (path -> text); notes for files that do not parse."""
    findings: list[Finding] = []
    notes: list[str] = []
    if not settings.rules:
        return findings, notes
    for path, text in sorted(files.items()):
        module = module_name(path, settings.source_roots)
        if module is None:
            continue
        rules = [r for r in settings.rules if _matches(module, r.modules) and not _matches(module, r.except_modules)]
        if not rules:
            continue
        try:
            imports = imports_of(text, module, is_package=path.endswith("__init__.py"), path=path)
        except SyntaxError as err:
            notes.append(f"architecture: {path}:{err.lineno or 0}: cannot parse ({err.msg}); its imports were not checked")
            continue
        seen: set[tuple[str, int]] = set()
        for rule in rules:
            for imp in imports:
                if imp.module == module or not _forbidden(imp.module, rule.may_not_import):
                    continue
                if (rule.name, imp.line) in seen:
                    continue  # `from a import b` matches as a and a.b: one finding per line
                seen.add((rule.name, imp.line))
                why = f" {rule.reason}" if rule.reason else ""
                findings.append(
                    Finding(
                        tool="architecture",
                        rule=rule.name,
                        severity=rule.severity,
                        path=path,
                        line=imp.line,
                        message=f"{module} may not import {imp.module} (rule {rule.name!r}: {', '.join(rule.modules)} "
                        f"may not import {', '.join(rule.may_not_import)}).{why}",
                        help="review.architecture.rules in .github/leadforge.yml",
                        code_line=imp.text,
                    )
                )
    return findings, notes
