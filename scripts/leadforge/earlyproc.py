"""A tool process started before the rest of LeadForge has loaded (the early start of ``deploy render``).

``proc.spawn`` is how LeadForge starts a process, but ``proc`` imports ``subprocess`` and ``dataclasses``:
about 15 ms together, most of what a repeated ``deploy render`` spent before kustomize could start. This
starts the one early process with ``os.posix_spawn`` and two pipes, importing nothing, and offers the
part of ``Popen`` that ``proc.collect`` uses (``args``, ``communicate(timeout=)``, ``kill``,
``returncode``): the command reads it like any process it spawned, with the same results and errors.
"""

from __future__ import annotations

import os

# Not `from typing import ...`: this module loads before `deploy render` starts kustomize.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

_READ_SIZE = 1 << 16


class EarlyProcess:
    """A started process whose stdout and stderr are pipes to us; stdin and the environment are ours."""

    __slots__ = ("_chunks", "_open", "args", "pid", "returncode")

    def __init__(self, argv: Sequence[str]) -> None:
        """Start ``argv`` (``argv[0]`` a path: no PATH search); an ``OSError`` when it cannot start."""
        out_read, out_write = os.pipe()  # not inherited (PEP 446) except as the child's fd 1 and 2 below
        err_read, err_write = os.pipe()
        try:
            self.pid = os.posix_spawn(
                argv[0],
                list(argv),
                os.environ,
                file_actions=[(os.POSIX_SPAWN_DUP2, out_write, 1), (os.POSIX_SPAWN_DUP2, err_write, 2)],
            )
        except BaseException:
            for fd in (out_read, out_write, err_read, err_write):
                os.close(fd)
            raise
        os.close(out_write)
        os.close(err_write)
        self.args: tuple[str, ...] = tuple(argv)
        self.returncode: int | None = None
        self._chunks: dict[int, list[bytes]] = {out_read: [], err_read: []}
        self._open = [out_read, err_read]

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        """Read both pipes to their end and wait for the exit, as ``Popen.communicate`` does: past
        ``timeout`` seconds ``subprocess.TimeoutExpired`` (what was read is kept for the next call)."""
        import selectors
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in self._open:
                selector.register(fd, selectors.EVENT_READ)
            while self._open:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    import subprocess

                    raise subprocess.TimeoutExpired(list(self.args), timeout or 0)
                for key, _events in selector.select(left):
                    fd = int(key.fd)
                    data = os.read(fd, _READ_SIZE)
                    if data:
                        self._chunks[fd].append(data)
                    else:
                        selector.unregister(fd)
                        os.close(fd)
                        self._open.remove(fd)
        self.wait()
        out, err = (b"".join(chunks) for chunks in self._chunks.values())
        return out, err

    def wait(self) -> int:
        if self.returncode is None:
            _pid, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL, unless it has been reaped already (its pid may belong to another process by then)."""
        if self.returncode is None:
            import contextlib
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
