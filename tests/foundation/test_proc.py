from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadforge import proc
from leadforge.earlyproc import EarlyProcess
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


# ---- the early process (earlyproc): read by proc.collect like a spawned one --------------------------


def _early(script: str) -> EarlyProcess:
    return EarlyProcess([sys.executable, "-c", script])


def test_an_early_process_reads_like_a_spawned_one() -> None:
    # more than a pipe holds on both streams at once: reading one to its end first would deadlock
    script = "import sys; sys.stdout.write('o' * 300000); sys.stderr.write('e' * 300000); sys.exit(3)"
    early = proc.collect(_early(script), check=False, text=False, timeout=60)
    spawned = proc.collect(
        proc.spawn([sys.executable, "-c", script], stdout=proc.PIPE, stderr=proc.PIPE), check=False, text=False, timeout=60
    )
    assert early == spawned and early.returncode == 3 and len(early.stdout) == len(early.stderr) == 300000
    with pytest.raises(ToolError, match=r"exited 3: e+"):
        proc.collect(_early(script), timeout=60)


def test_an_early_process_past_its_timeout_is_killed_with_the_usual_error() -> None:
    started = _early("import sys, time; print('begun', flush=True); time.sleep(60)")
    with pytest.raises(ToolError, match=r"timed out after 0.5s"):
        proc.collect(started, timeout=0.5)
    assert started.returncode == -signal.SIGKILL


def test_an_early_process_that_cannot_start_raises_and_leaks_no_descriptor(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        EarlyProcess([str(tmp_path / "missing"), "x"])
    assert len(os.listdir("/proc/self/fd")) == before
