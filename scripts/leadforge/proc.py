"""The one way LeadForge runs a subprocess.

Each tool adapter builds its argv with a pure function and hands it here, so
timeouts, missing binaries and failures all turn into the same clear error. (One process starts
elsewhere: ``deploy render``'s early render, by ``earlyproc`` before this module has loaded; ``collect``
reads it like the others.)
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from leadforge.errors import ToolError
from leadforge.lazy_typing import overload

PIPE = subprocess.PIPE  # for spawn(stdout=proc.PIPE): callers need not import subprocess for it

# Not `from typing import ...`: typing takes ~9 ms to import, and this module loads before `deploy render`
# starts kustomize (deploy/early.py). Type checkers read the block below; at run time it is skipped.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Any, Literal

    from leadforge.earlyproc import EarlyProcess

    # what Popen takes for a stream: PIPE, DEVNULL, a file descriptor or an open file
    Stream = int | IO[Any] | None


@dataclass(frozen=True, slots=True)
class Result:
    """A finished process, its output as text (``text=True``, the default)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True, slots=True)
class BytesResult:
    """A finished process, its output as bytes (``text=False``)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def which(name: str, extra_dirs: Sequence[Path] = ()) -> str | None:
    """Find an executable on PATH, or in ``extra_dirs`` (tool venvs) first."""
    for directory in extra_dirs:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    import shutil  # here: shutil costs a few ms to import and only this needs it

    return shutil.which(name)


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@overload
def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
    text: Literal[True] = True,
    hint: str = "",
) -> Result: ...


@overload
def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
    text: Literal[False],
    hint: str = "",
) -> BytesResult: ...


@overload
def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
    text: bool,
    hint: str = "",
) -> Result | BytesResult: ...


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = True,
    text: bool = True,
    hint: str = "",
) -> Result | BytesResult:
    """Run ``argv``; raise ``ToolError`` naming the command when it is missing,
    times out, or (with ``check``) exits non-zero. ``hint`` says what to do."""
    argv = tuple(str(a) for a in argv)
    merged_env = None if env is None else {**os.environ, **env}
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=merged_env,
            input=input,
            capture_output=True,
            timeout=timeout,
            text=text,
            errors="replace" if text else None,
        )
    except FileNotFoundError:
        if cwd is not None and not os.path.isdir(cwd):
            raise ToolError(f"{argv[0]}: cannot run in {cwd}: no such folder") from None
        raise ToolError(f"{argv[0]}: command not found. {hint or 'Is it installed and on PATH?'}".strip()) from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{' '.join(argv[:3])}: timed out after {timeout:g}s. {hint}".strip()) from None
    except OSError as err:  # not executable, a folder, a bad interpreter line...
        raise ToolError(f"{argv[0]}: could not start: {err.strerror or err}. {hint}".strip()) from None
    result: Result | BytesResult
    if text:
        result = Result(argv, completed.returncode, completed.stdout or "", completed.stderr or "")
    else:
        result = BytesResult(argv, completed.returncode, completed.stdout or b"", completed.stderr or b"")
    if check and completed.returncode != 0:
        raise _failed(result, hint)
    return result


def _failed(result: Result | BytesResult, hint: str) -> ToolError:
    stdout, stderr = result.stdout, result.stderr
    detail = _tail(stderr if isinstance(stderr, str) else stderr.decode(errors="replace")) or _tail(
        stdout if isinstance(stdout, str) else stdout.decode(errors="replace")
    )
    detail = detail.replace("\n", " | ")
    return ToolError(f"{' '.join(result.argv[:4])} exited {result.returncode}: {detail} {hint}".strip())


@overload
def collect(
    process: subprocess.Popen[bytes] | EarlyProcess,
    *,
    timeout: float | None = None,
    check: bool = True,
    text: Literal[True] = True,
    hint: str = "",
) -> Result: ...


@overload
def collect(
    process: subprocess.Popen[bytes] | EarlyProcess,
    *,
    timeout: float | None = None,
    check: bool = True,
    text: Literal[False],
    hint: str = "",
) -> BytesResult: ...


def collect(
    process: subprocess.Popen[bytes] | EarlyProcess,
    *,
    timeout: float | None = None,
    check: bool = True,
    text: bool = True,
    hint: str = "",
) -> Result | BytesResult:
    """Wait for a process started with ``spawn(stdout=PIPE, stderr=PIPE)`` (or an ``earlyproc.EarlyProcess``,
    the one started before LeadForge loads) and read it as ``run`` would: the
    same ``Result``, the same ``ToolError`` for a timeout (the process is killed) or, with ``check``, a failure."""
    argv = tuple(str(a) for a in (process.args if isinstance(process.args, (list, tuple)) else [process.args]))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ToolError(f"{' '.join(argv[:3])}: timed out after {timeout:g}s. {hint}".strip()) from None
    out, err = out or b"", err or b""
    code = process.wait()  # already reaped by communicate: its exit status
    result: Result | BytesResult
    if text:
        result = Result(argv, code, out.decode(errors="replace"), err.decode(errors="replace"))
    else:
        result = BytesResult(argv, code, out, err)
    if check and code != 0:
        raise _failed(result, hint)
    return result


def spawn(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stdout: Stream = subprocess.DEVNULL,
    stderr: Stream = subprocess.DEVNULL,
    new_session: bool = False,
    hint: str = "",
) -> subprocess.Popen[bytes]:
    """Start a process whose output is streamed or which runs in the background (an app server,
    a long ``git log``). A missing binary raises the same ``ToolError`` as ``run``."""
    argv = tuple(str(a) for a in argv)
    merged_env = None if env is None else {**os.environ, **env}
    try:
        return subprocess.Popen(argv, cwd=cwd, env=merged_env, stdout=stdout, stderr=stderr, start_new_session=new_session)
    except FileNotFoundError:
        raise ToolError(f"{argv[0]}: command not found. {hint or 'Is it installed and on PATH?'}".strip()) from None
    except OSError as err:
        raise ToolError(f"{argv[0]}: could not start: {err.strerror or err}. {hint}".strip()) from None


def stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Stop a process started with ``spawn(new_session=True)`` and everything it started:
    SIGTERM to its process group, SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
