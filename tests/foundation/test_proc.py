from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadforge import proc
from leadforge.errors import ToolError


def test_run_returns_output_and_code() -> None:
    result = proc.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"], check=False)
    assert (result.returncode, result.stdout, result.stderr, result.ok) == (3, "out\n", "err\n", False)


def test_run_failure_names_command_code_and_output() -> None:
    with pytest.raises(ToolError) as err:
        proc.run([sys.executable, "-c", "import sys; print('broken thing', file=sys.stderr); sys.exit(2)"], hint="Fix it.")
    message = str(err.value)
    assert "exited 2" in message and "broken thing" in message and message.endswith("Fix it.")
    assert "\n" not in message


def test_missing_binary_says_so_with_the_hint() -> None:
    with pytest.raises(ToolError, match=r"no-such-tool-xyz: command not found\. Install it\."):
        proc.run(["no-such-tool-xyz"], hint="Install it.")
    with pytest.raises(ToolError, match="no-such-tool-xyz: command not found"):
        proc.spawn(["no-such-tool-xyz"])


def test_timeout_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match=r"timed out after 0\.2s"):
        proc.run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2)


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    process = proc.spawn([sys.executable, "-c", script], new_session=True)
    for _ in range(100):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    child_pid = int(marker.read_text())
    proc.stop(process, grace=5)
    assert process.poll() is not None
    # The grandchild was in the same group: it is gone too (or a zombie reaped by init).
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(child_pid)], capture_output=True, text=True).stdout.strip()
    assert state == "" or state.startswith("Z")


def test_a_file_that_cannot_be_executed_is_a_tool_error(tmp_path: Path) -> None:
    script = tmp_path / "kubectl"
    script.write_text("#!/bin/sh\necho hi\n")  # not executable
    with pytest.raises(ToolError, match=r"kubectl: could not start: Permission denied\. Install it\."):
        proc.run([str(script), "version"], hint="Install it.")
    with pytest.raises(ToolError, match="could not start"):
        proc.run([str(tmp_path)])  # a folder


def test_a_missing_working_folder_is_not_reported_as_a_missing_command(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"cannot run in .*gone: no such folder"):
        proc.run([sys.executable, "-c", "pass"], cwd=tmp_path / "gone")
