"""The kustomize adapter: find the renderer, check its version, render overlays.

``kustomize build DIR`` when a standalone kustomize is on PATH (or configured),
otherwise ``kubectl kustomize DIR`` (kubectl bundles kustomize). The output is the
tool's stdout, byte for byte. Failures become one line naming the overlay and the
tool's own message.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from leadforge import proc
from leadforge.deploy import early
from leadforge.errors import InputError, ToolError
from leadforge.tools import INSTALL_HINT, tool_path

# Patterns as strings: ``re`` compiles (and caches) each on first use, so a clean render compiles none but one.
_VERSION_RE = r"v?(\d+)\.(\d+)\.(\d+)"
_KLOG_ERR_RE = r'err="(.*)"\s*$'
_KLOG_BLOCK_RE = r"err=<\s*$"


@dataclass(frozen=True, slots=True)
class Renderer:
    """A resolved renderer: which binary, how to call it, its kustomize version."""

    kind: str  # kustomize | kubectl
    executable: str
    version: str

    def argv(self, directory: str | Path) -> tuple[str, ...]:
        return early.render_argv(self.kind, self.executable, directory)

    @property
    def label(self) -> str:
        return "kustomize build" if self.kind == "kustomize" else "kubectl kustomize"


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(_VERSION_RE, text or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def kubectl_kustomize_version(stdout: str) -> str:
    """The bundled kustomize version from ``kubectl version --client -o json``."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        match = re.search(r"Kustomize Version:\s*(\S+)", stdout)
        return match[1] if match else ""
    return str(data.get("kustomizeVersion", "")) if isinstance(data, dict) else ""


def _relative(text: str, roots: Mapping[str, str]) -> str:
    """Absolute folders in a tool message as repository paths: ``{"/tmp/x": ""}`` turns
    ``/tmp/x/k8s/base/a.yaml`` into ``k8s/base/a.yaml`` (its real path too, /tmp may be a link)."""
    pairs: dict[str, str] = {}
    for root, prefix in roots.items():
        for variant in {str(root).rstrip("/"), os.path.realpath(root).rstrip("/")}:
            if variant:
                pairs[variant] = prefix.strip("/")
    for root in sorted(pairs, key=len, reverse=True):
        prefix = pairs[root]
        text = text.replace(root + "/", prefix + "/" if prefix else "")
        text = text.replace(f"'{root}'", f"'{prefix or '.'}'").replace(f'"{root}"', f'"{prefix or "."}"')
        text = re.sub(rf"{re.escape(root)}(?=[\s:'\"]|$)", prefix or ".", text)
    return text


_MISSING_RE = r"evalsymlink failure on '([^']+)' : lstat \1: ([^':]+)"
_FROM = "accumulating resources from '"
_DIR_ATTEMPTS = ("': recursed accumulation of path '", "': must build at directory: ")


def _accumulation(text: str) -> tuple[list[str], str] | None:
    """kustomize's resource accumulation error as (the chain of resource references, the cause).

    kustomize tries each ``resources:`` entry as a file and then as a folder, and wraps both errors
    (``accumulation err='<as a file>': <as a folder>``) at every level of the tree; the same missing
    path then shows up four times. This keeps the references followed and the one error that matters."""
    for head in ("accumulating resources: accumulation err='" + _FROM, "accumulating resources: " + _FROM):
        if text.startswith(head):
            rest = text[len(head) :]
            break
    else:
        return None
    ref, sep, rest = rest.partition("': ")
    if not sep:
        return None
    if not text.startswith("accumulating resources: accumulation err="):
        return [ref], rest  # a file that exists but does not parse: kustomize returns its error as is
    splits = [i for i in (rest.find(marker) for marker in _DIR_ATTEMPTS) if i >= 0]
    if not splits:
        return [ref], rest
    at = min(splits)
    as_file, as_folder = rest[:at], rest[at + 3 :]
    if as_folder.startswith("recursed accumulation of path '"):
        # a folder after all: the file attempt's complaint is noise, the cause is inside the folder
        inner = as_folder.split("': ", 1)[1] if "': " in as_folder else as_folder
        nested = _accumulation(inner)
        return ([ref, *nested[0]], nested[1]) if nested else ([ref], inner)
    folder_cause = as_folder.removeprefix("must build at directory: ")
    if folder_cause in {f"not a valid directory: {as_file}", as_file} or folder_cause.endswith("file is not directory"):
        return [ref], as_file
    return [ref], f"{as_file} (as a folder: {folder_cause})"


def condense(message: str, roots: Mapping[str, str] | None = None) -> str:
    """A kustomize error as one short line: repository paths instead of absolute (or temporary)
    ones, and each cause once."""
    text = _relative(message, roots or {})
    text = re.sub(_MISSING_RE, r"\1: \2", text)
    chain = _accumulation(text)
    if chain:
        refs, cause = chain
        text = "accumulating resources from " + " > ".join(f"'{r}'" for r in refs) + f": {cause}"
    return text


def tool_message(stderr: str, roots: Mapping[str, str] | None = None) -> str:
    """The tool's own error, without klog's prefix: one line (``roots`` as in ``condense``)."""
    lines = [line.strip() for line in (stderr or "").strip().splitlines() if line.strip()]
    if not lines:
        return "failed without a message"
    for index, line in enumerate(lines):
        match = re.search(_KLOG_ERR_RE, line)
        if match:
            return condense(match[1].replace('\\"', '"'), roots)
        if re.search(_KLOG_BLOCK_RE, line):
            # klog prints a multi-line error as ``err=<`` ... ``>``: join the block into one line.
            block: list[str] = []
            for part in lines[index + 1 :]:
                if part == ">":
                    break
                block.append(part)
            if block:
                return condense(re.sub(r"\s+", " ", " ".join(block)), roots)
    text = [line for line in lines if not _is_warning(line)][-1:] or lines[-1:]
    return condense(text[0].removeprefix("Error: ").removeprefix("error: "), roots)


_WARNING_RE = r"(?i)^(?:#\s*)?warning:\s*"
_KLOG_WARNING_RE = r"^W\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] "


def _is_warning(line: str) -> bool:
    return bool(re.match(_WARNING_RE, line) or re.match(_KLOG_WARNING_RE, line))


def tool_warnings(stderr: str, roots: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """What the tool warned about on a successful run (kustomize's deprecations), each once, in order."""
    seen: dict[str, None] = {}
    for raw in (stderr or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        line = re.sub(_KLOG_WARNING_RE, "", re.sub(_WARNING_RE, "", line))
        seen.setdefault(condense(line, roots), None)
    return tuple(seen)


_VERSIONS: dict[tuple[str, str], str] = {}


def _version_of(kind: str, executable: str) -> str:
    """The kustomize version of a binary: asked once per process, and remembered on disk for that
    exact file (asking kubectl costs as much as half a render)."""
    from leadforge import cache

    key = (kind, executable)
    if key in _VERSIONS:
        return _VERSIONS[key]
    stamp = early.binary_stamp(executable)
    known = cache.get("tool-version", f"{kind}:{stamp}") if stamp else None
    if isinstance(known, str) and known:
        _VERSIONS[key] = known
        return known
    if kind == "kustomize":
        result = proc.run([executable, "version"], check=False, timeout=30)
        version = (result.stdout or result.stderr).strip()
    else:
        result = proc.run([executable, "version", "--client", "-o", "json"], check=False, timeout=30)
        version = kubectl_kustomize_version(result.stdout)
    _VERSIONS[key] = version
    if stamp and result.returncode == 0 and parse_version(version):
        cache.put("tool-version", f"{kind}:{stamp}", version)
    return version


def find_renderer(preference: str = "auto", min_version: str = "5.0.0") -> Renderer:
    """Resolve and version-check the renderer; a clear ``ToolError`` when none fits. A renderer that fits is
    remembered (``early.renderer_key``), so a later ``deploy render`` can start it before loading this."""
    renderer = _find_renderer(preference, min_version)
    from leadforge import cache

    key = early.renderer_key(preference, min_version)
    entry = {
        "kind": renderer.kind,
        "executable": renderer.executable,
        "version": renderer.version,
        "stamp": early.binary_stamp(renderer.executable),
    }
    if entry["stamp"] and cache.get("renderer", key) != entry:
        cache.put("renderer", key, entry)
    return renderer


def _find_renderer(preference: str, min_version: str) -> Renderer:
    wanted = parse_version(min_version) or (5, 0, 0)
    kustomize = tool_path("kustomize") if preference in {"auto", "kustomize"} else None
    if kustomize:
        renderer = Renderer("kustomize", kustomize, _version_of("kustomize", kustomize))
    elif preference == "kustomize":
        raise ToolError(
            "kustomize: command not found (deploy.kustomize is 'kustomize'). Install kustomize v5, or set it to 'auto'."
        )
    else:
        kubectl = tool_path("kubectl")
        if not kubectl:
            raise ToolError(f"kubectl: command not found; it renders the overlays (kubectl kustomize). {INSTALL_HINT['kubectl']}")
        renderer = Renderer("kubectl", kubectl, _version_of("kubectl", kubectl))
    found = parse_version(renderer.version)
    if found is None:
        raise ToolError(
            f"{renderer.label}: cannot tell its kustomize version (got {renderer.version or 'nothing'!r}); need >= {min_version}"
        )
    if found < wanted:
        raise ToolError(
            f"{renderer.label}: kustomize {renderer.version} is too old; LeadForge's overlays need kustomize >= {min_version} "
            f"(v5 syntax). Upgrade kubectl or install kustomize v5."
        )
    return renderer


# kustomize reads the first of these it finds in a folder (and refuses a folder holding more than one).
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file kustomize would read in ``directory``, or None."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def overlay_dir(root: Path, overlays_dir: str, env: str, environments: Sequence[str]) -> Path:
    """``k8s/overlays/ENV`` under ``root``; unknown environments and missing folders are input errors."""
    if env not in environments:
        raise InputError(f"unknown environment '{env}': expected one of {', '.join(environments)} (deploy.environments)")
    path = root / overlays_dir / env
    if kustomization_file(path) is None:
        label = Path(overlays_dir, env).as_posix()
        raise InputError(
            f"{label}: no kustomization file in the overlay folder (kustomization.yaml, kustomization.yml or Kustomization)"
        )
    return path


@dataclass(frozen=True, slots=True)
class Rendered:
    """One render: the tool's stdout byte for byte, and what it warned about on stderr."""

    manifests: bytes
    warnings: tuple[str, ...] = ()


def render_overlay(
    renderer: Renderer,
    directory: Path,
    *,
    label: str | None = None,
    timeout: float = 120.0,
    roots: Mapping[str, str] | None = None,
) -> Rendered:
    """Render ``directory``. ``roots`` maps absolute folders to the repository paths they stand for,
    so messages name ``k8s/base/x.yaml`` rather than a temporary copy of it."""
    name = label or str(directory)
    argv = renderer.argv(directory)
    started = early.collect(argv)
    if started is not None:
        result = proc.collect(started, check=False, text=False, timeout=timeout)
    else:
        result = proc.run(argv, check=False, text=False, timeout=timeout)
    stderr = result.stderr.decode("utf-8", errors="replace")
    if result.returncode != 0:
        raise ToolError(f"{name}: {renderer.label} failed: {tool_message(stderr, roots)}")
    return Rendered(result.stdout, tool_warnings(stderr, roots))


def render(
    renderer: Renderer,
    directory: Path,
    *,
    label: str | None = None,
    timeout: float = 120.0,
    roots: Mapping[str, str] | None = None,
) -> bytes:
    """The tool's stdout for ``directory``, unchanged."""
    return render_overlay(renderer, directory, label=label, timeout=timeout, roots=roots).manifests


class PendingRenders:
    """Renders running in background threads (kubectl waits on its own process, so the caller's Python
    work overlaps the render); ``results()`` waits and raises the first failure in job order."""

    def __init__(
        self, renderer: Renderer, jobs: Sequence[tuple[str, Path, str]], *, timeout: float, roots: Mapping[str, str] | None
    ) -> None:
        import threading

        self._outcomes: dict[str, Rendered | BaseException] = {}
        self._order = [env for env, _path, _label in jobs]
        gate = threading.Semaphore(4)

        def one(env: str, path: Path, label: str) -> None:
            with gate:
                try:
                    self._outcomes[env] = render_overlay(renderer, path, label=label, timeout=timeout, roots=roots)
                except BaseException as err:  # noqa: BLE001 - handed to results()
                    self._outcomes[env] = err

        self._threads = [threading.Thread(target=one, args=job, daemon=True) for job in jobs]
        for thread in self._threads:
            thread.start()

    def results(self) -> dict[str, Rendered]:
        for thread in self._threads:
            thread.join()
        rendered: dict[str, Rendered] = {}
        for env in self._order:
            outcome = self._outcomes[env]
            if isinstance(outcome, BaseException):
                raise outcome
            rendered[env] = outcome
        return rendered


def render_many(
    renderer: Renderer, jobs: Sequence[tuple[str, Path, str]], *, timeout: float = 120.0, roots: Mapping[str, str] | None = None
) -> dict[str, Rendered]:
    """Render ``(env, directory, label)`` jobs in parallel; the first failure (in job order) is raised."""
    return PendingRenders(renderer, jobs, timeout=timeout, roots=roots).results()
