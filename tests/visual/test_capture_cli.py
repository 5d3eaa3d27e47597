"""`leadforge visual capture` end to end (its own browser: a separate module from the shared one)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.visual.site import write_site


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.integration
def test_failed_capture_never_overwrites_the_baseline(run_cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_site(repo / "site")
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "leadforge.yml").write_text(
        "visual:\n  app: {static: site}\n  browser: {timeout: 1}\n  pages:\n"
        "    - {name: never, path: /never.html, viewports: [200x100], wait_for: '#ready'}\n"
        "    - {name: blue, path: /blue.html, viewports: [200x100], full_page: false}\n",
        encoding="utf-8",
    )
    baseline = repo / "screenshots" / "baseline"
    baseline.mkdir(parents=True)
    (baseline / "blue-200x100.png").write_bytes(b"old baseline")
    result = run_cli("visual", "capture", "--baseline", repo=repo)
    assert result.code == 1
    assert "page never at 200x100" in result.stderr and "Traceback" not in result.stderr
    assert (baseline / "blue-200x100.png").read_bytes() == b"old baseline"

    ok = run_cli("visual", "capture", "--baseline", "--page", "blue", "--json", repo=repo)
    assert ok.code == 0, ok.stderr
    written = decode((baseline / "blue-200x100.png").read_bytes())
    assert written.shape == (100, 200, 4)
    assert tuple(written[30, 60, :3]) == (0x20, 0x50, 0xC0)


def test_a_missing_configured_browser_is_one_line(run_cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_site(repo / "site")
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "leadforge.yml").write_text(
        "visual:\n  app: {static: site}\n  browser: {executable: /nowhere/chromium}\n"
        "  pages: [{name: blue, path: /blue.html, viewports: [200x100]}]\n",
        encoding="utf-8",
    )
    result = run_cli("visual", "capture", "--out", str(tmp_path / "shots"), repo=repo)
    assert result.code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("leadforge: error:")]
    assert len(lines) == 1 and "/nowhere/chromium does not exist" in lines[0] and "playwright install chromium" in lines[0]
    assert not (tmp_path / "shots").exists()
