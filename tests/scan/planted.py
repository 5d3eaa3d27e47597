"""A small repository with planted problems, shared by the scan and review integration tests.

``main`` holds OLD problems (a hard-coded key, shell=True, a public bucket, an expression
injection in a workflow). The ``feature`` branch adds NEW ones (another key, an open security
group) and also touches old files away from their problems, so the diff filter has work to do.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

OLD_PY = '''"""Legacy helpers."""
import subprocess

OLD_AWS_KEY = "AKIAIOSFODNN7OLDKEY1"


def legacy(cmd):
    subprocess.run(cmd, shell=True)
'''

OLD_TF = """resource "aws_s3_bucket" "legacy" {
  bucket = "legacy-data"
  acl    = "public-read"
}
"""

OLD_WORKFLOW = """on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""

NEW_PY = '''"""New client."""
import os

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def region():
    return os.environ.get("AWS_REGION", "eu-west-1")
'''

NEW_TF = """resource "aws_security_group" "ssh" {
  name        = "ssh"
  description = "ssh access"
  ingress {
    description = "ssh from anywhere"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""

FIXED_PY = '''"""New client."""
import os


def region():
    return os.environ.get("AWS_REGION", "eu-west-1")
'''


@dataclass(frozen=True)
class Planted:
    path: Path
    base: str
    head: str

    def git(self, *args: str) -> str:
        return git(self.path, *args)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def make_planted(root: Path) -> Planted:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "README.md": "# planted\n",
            "app/old.py": OLD_PY,
            "infra/old.tf": OLD_TF,
            ".github/workflows/old.yml": OLD_WORKFLOW,
            "tests/test_old.py": "def test_old():\n    assert True\n",
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: legacy code")
    base = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-b", "feature")
    write(
        root,
        {
            "app/new.py": NEW_PY,
            "infra/new.tf": NEW_TF,
            "app/old.py": OLD_PY + '\n\ndef greeting():\n    return "hello"\n',
            "tests/test_new.py": "def test_new():\n    assert True\n",
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: new client")
    head = git(root, "rev-parse", "HEAD")
    return Planted(root, base, head)


def push_fix(planted: Planted) -> str:
    """The fixing push: the new key is gone (the security group stays)."""
    write(planted.path, {"app/new.py": FIXED_PY})
    planted.git("add", "-A")
    planted.git("commit", "-q", "-m", "fix: read the key from the environment")
    return planted.git("rev-parse", "HEAD")
