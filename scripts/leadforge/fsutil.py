"""File writes that never leave a half-written file: temp file in the same folder, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically (readers see the old or the new file, never a part)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_move(src: str | os.PathLike[str], dst: str | os.PathLike[str], data: str | bytes | None = None) -> Path:
    """Move ``src`` to ``dst`` (optionally with new content): the new file exists before the old one goes."""
    source, target = Path(src), Path(dst)
    content = data if data is not None else source.read_bytes()
    atomic_write(target, content)
    if source.resolve() != target.resolve():
        source.unlink(missing_ok=True)
    return target
