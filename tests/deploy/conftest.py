"""Fixtures for the deploy tests: a git repository holding a copy of LeadForge's own k8s/ tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, Repo

K8S = ROOT / "k8s"


def kubectl_kustomize(path: Path) -> subprocess.CompletedProcess[bytes]:
    """The tool itself, run directly (what `leadforge deploy render` must reproduce byte for byte)."""
    return subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True)


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


@pytest.fixture
def deploy_repo(git_repo: Repo) -> Repo:
    """``git_repo`` with the shipped k8s/ (base, overlays, stations) committed."""
    shutil.copytree(K8S, git_repo.path / "k8s")
    git_repo.commit("feat: k8s overlays")
    return git_repo


def set_yaml(repo: Repo, rel: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in a file of ``repo`` (the text must be there)."""
    path = repo.path / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
