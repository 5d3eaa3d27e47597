"""`deploy apply`: pull mode (commit rendered manifests for Argo CD / Flux) and push mode (kubectl).

Plans are pure (``pull_files``, ``push_plan``); ``run_push`` and the worktree
helper are the effects.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadforge import proc
from leadforge.deploy.manifests import key_of
from leadforge.errors import GitError, ToolError
from leadforge.gitrepo import GitRepo
from leadforge.tools import INSTALL_HINT, tool_path

ROLLOUT_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
KUSTOMIZATION = (
    "# Rendered by `leadforge deploy apply --mode pull`; do not edit: change k8s/overlays and re-run.\n"
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - manifests.yaml\n"
)


def pull_files(rendered: bytes) -> dict[str, bytes]:
    """What a deploy branch (or rendered/ENV/) holds: the manifests and a kustomization Argo CD/Flux can build."""
    return {"manifests.yaml": rendered, "kustomization.yaml": KUSTOMIZATION.encode()}


def pull_message(env: str, source_sha: str, source_ref: str) -> str:
    return (
        f"deploy({env}): rendered manifests of {source_sha[:12]}"
        + (f" ({source_ref})" if source_ref else "")
        + (f"\n\nSource-Commit: {source_sha}\n")
    )


def remote_branch_start(git: GitRepo, remote: str | None, branch: str) -> str | None:
    """Where ``branch`` should start: the remote's tip (fetched), else the local branch, else None (orphan)."""
    if remote:
        fetched = git.run("fetch", "-q", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}", check=False)
        if fetched.ok:
            return f"{remote}/{branch}"
    if git.ref_exists(f"refs/heads/{branch}"):
        return git.rev_parse(f"refs/heads/{branch}")
    return None


def write_files(tree: Path, folder: str, files: Mapping[str, bytes]) -> list[str]:
    from leadforge.fsutil import atomic_write

    written = []
    for name, data in files.items():
        rel = f"{folder}/{name}" if folder else name
        target = tree / rel
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
        written.append(rel)
    return written


# ---- push mode ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    argv: tuple[str, ...]
    purpose: str  # apply | rollout | undo


@dataclass(frozen=True, slots=True)
class PushPlan:
    env: str
    namespace: str
    apply: Step
    rollouts: tuple[Step, ...]
    undos: tuple[Step, ...]
    env_vars: Mapping[str, str]


def main_namespace(objects: Sequence[Mapping[str, Any]]) -> str:
    """The environment's namespace: the one most objects live in."""
    counts = Counter(key_of(o).namespace for o in objects if key_of(o).namespace)
    return counts.most_common(1)[0][0] if counts else "default"


def push_plan(
    env: str,
    objects: Sequence[Mapping[str, Any]],
    manifest: str,
    *,
    kubectl: str = "kubectl",
    applyset: str = "leadforge",
    field_manager: str = "leadforge",
    timeout: str = "300s",
) -> PushPlan:
    namespace = main_namespace(objects)
    apply = Step(
        (
            kubectl,
            "apply",
            "--server-side",
            f"--field-manager={field_manager}",
            "--prune",
            f"--applyset={applyset}-{env}",
            "--namespace",
            namespace,
            "-f",
            manifest,
        ),
        "apply",
    )
    rollouts, undos = [], []
    for obj in objects:
        key = key_of(obj)
        if key.kind in ROLLOUT_KINDS:
            ns = key.namespace or namespace
            ref = f"{key.kind.lower()}/{key.name}"
            rollouts.append(Step((kubectl, "rollout", "status", ref, "--namespace", ns, f"--timeout={timeout}"), "rollout"))
            undos.append(Step((kubectl, "rollout", "undo", ref, "--namespace", ns), "undo"))
    return PushPlan(env, namespace, apply, tuple(rollouts), tuple(undos), {"KUBECTL_APPLYSET": "true"})


def find_kubeconfig(env: Mapping[str, str]) -> str | None:
    """The kubeconfig kubectl would use, or None when there is none."""
    configured = env.get("KUBECONFIG", "")
    if configured:
        existing = [p for p in configured.split(os.pathsep) if p and Path(p).is_file()]
        return os.pathsep.join(existing) if existing else None
    default = Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"
    return str(default) if default.is_file() else None


def kubectl_path() -> str:
    path = tool_path("kubectl")
    if not path:
        raise ToolError(f"kubectl: command not found; push mode runs kubectl apply. {INSTALL_HINT['kubectl']}")
    return path


def _message(result: proc.Result) -> str:
    from leadforge.deploy.kustomize import tool_message

    return tool_message(result.stderr or result.stdout)


def run_push(plan: PushPlan, overlay: str, kubeconfig: str, *, say: Any = None) -> dict[str, Any]:
    """Apply, wait for each rollout, undo every rollout when one fails. Raises ``ToolError`` on failure."""
    env = {**plan.env_vars, "KUBECONFIG": kubeconfig}
    result = proc.run(plan.apply.argv, env=env, check=False, timeout=600)
    if not result.ok:
        raise ToolError(f"{overlay}: kubectl apply failed: {_message(result)}")
    applied = [line for line in result.stdout.splitlines() if line.strip()]
    for step, undo in zip(plan.rollouts, plan.undos, strict=True):
        workload = f"{step.argv[3]} -n {step.argv[5]}"
        if say:
            say(f"waiting: rollout of {workload}")
        status = proc.run(step.argv, env=env, check=False, timeout=3600)
        if not status.ok:
            # Only the workload that failed goes back: undoing one this apply did not change would
            # roll it to an older revision.
            back = proc.run(undo.argv, env=env, check=False, timeout=300)
            outcome = f"rolled back {workload}" if back.ok else f"rollback of {workload} failed too: {_message(back)}"
            raise ToolError(f"{overlay}: {workload} did not become ready ({_message(status)}); {outcome}")
    return {"applied": applied, "rollouts": [f"{s.argv[3]} -n {s.argv[5]}" for s in plan.rollouts]}


def ensure_clean_index(git: GitRepo) -> None:
    if git.has_staged_changes():
        raise GitError(
            f"{git.path}: the index has staged changes; commit or unstage them before deploy apply (pull mode, folder)"
        )
