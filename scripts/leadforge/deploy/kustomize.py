"""The kustomize adapter: find the renderer, check its version, render overlays.

``kustomize build DIR`` when a standalone kustomize is on PATH (or configured),
otherwise ``kubectl kustomize DIR`` (kubectl bundles kustomize). The output is the
tool's stdout, byte for byte. Failures become one line naming the overlay and the
tool's own message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from leadforge import proc
from leadforge.errors import InputError, ToolError
from leadforge.tools import INSTALL_HINT, tool_path

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_KLOG_ERR_RE = re.compile(r'err="(.*)"\s*$')
_KLOG_BLOCK_RE = re.compile(r"err=<\s*$")


@dataclass(frozen=True, slots=True)
class Renderer:
    """A resolved renderer: which binary, how to call it, its kustomize version."""

    kind: str  # kustomize | kubectl
    executable: str
    version: str

    def argv(self, directory: str | Path) -> tuple[str, ...]:
        if self.kind == "kustomize":
            return (self.executable, "build", str(directory))
        return (self.executable, "kustomize", str(directory))

    @property
    def label(self) -> str:
        return "kustomize build" if self.kind == "kustomize" else "kubectl kustomize"


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION_RE.search(text or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def kubectl_kustomize_version(stdout: str) -> str:
    """The bundled kustomize version from ``kubectl version --client -o json``."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        match = re.search(r"Kustomize Version:\s*(\S+)", stdout)
        return match[1] if match else ""
    return str(data.get("kustomizeVersion", "")) if isinstance(data, dict) else ""


def tool_message(stderr: str) -> str:
    """The tool's own error, without klog's prefix: one line."""
    lines = [line.strip() for line in (stderr or "").strip().splitlines() if line.strip()]
    if not lines:
        return "failed without a message"
    for index, line in enumerate(lines):
        match = _KLOG_ERR_RE.search(line)
        if match:
            return match[1].replace('\\"', '"')
        if _KLOG_BLOCK_RE.search(line):
            # klog prints a multi-line error as ``err=<`` ... ``>``: join the block into one line.
            block: list[str] = []
            for part in lines[index + 1:]:
                if part == ">":
                    break
                block.append(part)
            if block:
                return re.sub(r"\s+", " ", " ".join(block))
    text = lines[-1]
    return text.removeprefix("Error: ").removeprefix("error: ")


_VERSIONS: dict[tuple[str, str], str] = {}


def _version_of(kind: str, executable: str) -> str:
    """The kustomize version of a binary, asked once per process."""
    key = (kind, executable)
    if key not in _VERSIONS:
        if kind == "kustomize":
            result = proc.run([executable, "version"], check=False, timeout=30)
            _VERSIONS[key] = (result.stdout or result.stderr).strip()
        else:
            result = proc.run([executable, "version", "--client", "-o", "json"], check=False, timeout=30)
            _VERSIONS[key] = kubectl_kustomize_version(result.stdout)
    return _VERSIONS[key]


def find_renderer(preference: str = "auto", min_version: str = "5.0.0") -> Renderer:
    """Resolve and version-check the renderer; a clear ``ToolError`` when none fits."""
    wanted = parse_version(min_version) or (5, 0, 0)
    kustomize = tool_path("kustomize") if preference in {"auto", "kustomize"} else None
    if kustomize:
        renderer = Renderer("kustomize", kustomize, _version_of("kustomize", kustomize))
    elif preference == "kustomize":
        raise ToolError("kustomize: command not found (deploy.kustomize is 'kustomize'). Install kustomize v5, or set it to 'auto'.")
    else:
        kubectl = tool_path("kubectl")
        if not kubectl:
            raise ToolError(f"kubectl: command not found; it renders the overlays (kubectl kustomize). {INSTALL_HINT['kubectl']}")
        renderer = Renderer("kubectl", kubectl, _version_of("kubectl", kubectl))
    found = parse_version(renderer.version)
    if found is None:
        raise ToolError(f"{renderer.label}: cannot tell its kustomize version (got {renderer.version or 'nothing'!r}); need >= {min_version}")
    if found < wanted:
        raise ToolError(
            f"{renderer.label}: kustomize {renderer.version} is too old; LeadForge's overlays need kustomize >= {min_version} "
            f"(v5 syntax). Upgrade kubectl or install kustomize v5."
        )
    return renderer


def overlay_dir(root: Path, overlays_dir: str, env: str, environments: Sequence[str]) -> Path:
    """``k8s/overlays/ENV`` under ``root``; unknown environments and missing folders are input errors."""
    if env not in environments:
        raise InputError(f"unknown environment '{env}': expected one of {', '.join(environments)} (deploy.environments)")
    path = root / overlays_dir / env
    if not (path / "kustomization.yaml").is_file() and not (path / "kustomization.yml").is_file():
        raise InputError(f"{overlays_dir}/{env}: no kustomization.yaml in the overlay folder")
    return path


def render(renderer: Renderer, directory: Path, *, label: str | None = None, timeout: float = 120.0) -> bytes:
    """The tool's stdout for ``directory``, unchanged."""
    name = label or str(directory)
    result = proc.run(renderer.argv(directory), check=False, text=False, timeout=timeout)
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace") if isinstance(result.stderr, bytes) else result.stderr
        raise ToolError(f"{name}: {renderer.label} failed: {tool_message(stderr)}")
    return result.stdout if isinstance(result.stdout, bytes) else result.stdout.encode()


def render_many(renderer: Renderer, jobs: Sequence[tuple[str, Path, str]], *, timeout: float = 120.0) -> dict[str, bytes]:
    """Render ``(env, directory, label)`` jobs in parallel; the first failure (in job order) is raised."""
    if not jobs:
        return {}
    with ThreadPoolExecutor(max_workers=min(len(jobs), 4)) as pool:
        futures = [(env, pool.submit(render, renderer, path, label=label, timeout=timeout)) for env, path, label in jobs]
        results: dict[str, bytes] = {}
        errors: list[BaseException] = []
        for env, future in futures:
            try:
                results[env] = future.result()
            except ToolError as err:
                errors.append(err)
    if errors:
        raise errors[0]
    return results
