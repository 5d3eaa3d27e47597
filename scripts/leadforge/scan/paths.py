"""Path globs with ``**`` (any number of folders), ``*`` and ``?`` (within one folder).

``fnmatch`` lets ``*`` cross ``/`` and Python 3.11's ``PurePath.match`` has no ``**``, so the
review and scan areas share this small translator. A pattern without a ``/`` matches the
file name in any folder (``Dockerfile`` matches ``app/Dockerfile``), as .gitignore does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(_translate(pattern, classes=True))
    except re.error:  # a bracket that is not a valid class ("[z-a]"): brackets are literal text then
        return re.compile(_translate(pattern, classes=False))


def _translate(pattern: str, *, classes: bool) -> str:
    pat = pattern.strip().lstrip("/")
    if "/" not in pat.rstrip("/"):
        pat = "**/" + pat
    if pat.endswith("/"):
        pat += "**"
    out, i = [], 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        elif pat[i] == "[" and classes:
            end = pat.find("]", i + 1)
            if end == i + 1 or (end == i + 2 and pat[i + 1] == "!"):  # "[]" / "[!]": not a class, a literal
                end = -1
            if end < 0:
                out.append(re.escape(pat[i]))
                i += 1
            else:
                body = pat[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return "".join(out) + r"\Z"


def glob_match(path: str, pattern: str) -> bool:
    """True when the repository-relative ``path`` matches ``pattern``."""
    return _compile(pattern).match(path.removeprefix("./")) is not None


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    return any(glob_match(path, p) for p in patterns)
