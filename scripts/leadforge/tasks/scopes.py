"""Path globs of a task's scope: matching, overlap, containment, and an index for fast overlap queries.

Semantics (documented in docs/tasks.md):

* A glob is relative to the repository root and split on ``/`` into segments. ``**`` is a whole
  segment matching zero or more segments; in other segments ``*`` matches any run of characters
  except ``/``, ``?`` one character, ``[...]`` a character class (``[!...]`` negated).
* A glob covers what it matches *and everything inside it* (like ``.gitignore``): ``src/api`` and
  ``src/api/**`` both cover ``src/api/v1/x.py``. So every glob behaves as if it ended in ``/**``.
* Two scopes of the form ``dir/**`` or plain paths overlap when one is the other or inside it.
  For any other glob, two scopes overlap when some tracked file matches both, or when they cannot be
  shown apart: the intersection test below is exact for ``*``, ``?``, ``**`` and positive classes and
  errs towards "overlap" for negated classes, so it only calls two globs apart when no path at all can
  match both. Tracked files then serve as the witness named in the reason.

Everything here is pure; the dispatcher builds one ``ScopeIndex`` of the active scopes (in progress
plus just assigned) and queries it by fixed prefix, so 10,000 pending tasks are checked against a few
hundred active ones without comparing every pair.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeVar

_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class Scope:
    """One glob, pre-split. ``prefix``: the literal segments before the first wildcard one."""

    glob: str
    segments: tuple[str, ...]
    prefix: tuple[str, ...]
    pathlike: bool  # a plain path or ``dir/**``: overlap is plain containment

    @property
    def prefix_path(self) -> str:
        return "/".join(self.prefix)


def normalize(glob: str) -> str:
    """Strip ``./``, leading/trailing slashes and doubled slashes; ``""`` means the whole repository."""
    text = glob.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    text = re.sub(r"/{2,}", "/", text).strip("/")
    return "" if text in {".", "**"} else text


@lru_cache(maxsize=65536)
def parse_scope(glob: str) -> Scope:
    text = normalize(glob)
    segments = tuple(s for s in text.split("/") if s) if text else ()
    # collapse runs of ** (a/**/**/b == a/**/b)
    collapsed: list[str] = []
    for seg in segments:
        if seg == "**" and collapsed and collapsed[-1] == "**":
            continue
        collapsed.append(seg)
    segments = tuple(collapsed)
    prefix: list[str] = []
    for seg in segments:
        if _MAGIC.search(seg):
            break
        prefix.append(seg)
    rest = segments[len(prefix) :]
    pathlike = rest == () or rest == ("**",)
    return Scope(glob=glob, segments=segments, prefix=tuple(prefix), pathlike=pathlike)


# ---- one segment: tokens and pairwise intersection ------------------------------------------------

T = TypeVar("T")  # an atom of a pattern: a character token, or a path segment

# The character tokens of one segment glob (plain tuples: compared and hashed on the hot path).
_Star = tuple[Literal["*"]]  # any run of characters
_AnyChar = tuple[Literal["?"]]  # one character
_Lit = tuple[Literal["lit"], str]  # this character
_Class = tuple[Literal["class"], bool, tuple[tuple[str, str], ...]]  # [...]: negated?, (low, high) ranges
_Token = _Star | _AnyChar | _Lit | _Class

_STAR: _Star = ("*",)
_ANY: _AnyChar = ("?",)


def _class_token(text: str, start: int) -> tuple[_Class, int] | None:
    """Parse ``[...]`` at ``start``; returns (("class", negated, chars-or-ranges), next index) or None."""
    i = start + 1
    negated = i < len(text) and text[i] in "!^"
    if negated:
        i += 1
    items: list[tuple[str, str]] = []
    first = True
    while i < len(text) and (text[i] != "]" or first):
        first = False
        if i + 2 < len(text) and text[i + 1] == "-" and text[i + 2] != "]":
            items.append((text[i], text[i + 2]))
            i += 3
        else:
            items.append((text[i], text[i]))
            i += 1
    if i >= len(text):
        return None  # no closing bracket: a literal '['
    return ("class", negated, tuple(items)), i + 1


@lru_cache(maxsize=65536)
def _tokens(segment: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            if not out or out[-1] != _STAR:
                out.append(_STAR)
            i += 1
        elif ch == "?":
            out.append(_ANY)
            i += 1
        elif ch == "[" and (parsed := _class_token(segment, i)) is not None:
            out.append(parsed[0])
            i = parsed[1]
        else:
            out.append(("lit", ch))
            i += 1
    return tuple(out)


def _in_class(token: _Class, ch: str) -> bool:
    _, negated, items = token
    hit = any(lo <= ch <= hi for lo, hi in items)
    return hit != negated


def _chars_meet(a: _Token, b: _Token) -> bool:
    """Can one character satisfy both single-character tokens? (errs towards True)"""
    if a[0] == "?" or b[0] == "?":
        return True
    if a[0] == "*" or b[0] == "*":  # never asked: _languages_meet handles the star itself
        return True
    if a[0] == "lit":
        return a[1] == b[1] if b[0] == "lit" else _in_class(b, a[1])
    if b[0] == "lit":
        return _in_class(a, b[1])
    # two classes: exact for positive ones, "may meet" when either is negated
    if a[1] or b[1]:
        return True
    return any(max(lo1, lo2) <= min(hi1, hi2) for lo1, hi1 in a[2] for lo2, hi2 in b[2])


@lru_cache(maxsize=65536)
def segments_meet(a: str, b: str) -> bool:
    """Is there a non-empty segment (no ``/``) matched by both segment globs?"""
    if a == b:
        return True
    if not _MAGIC.search(a) and not _MAGIC.search(b):
        return False
    if not _MAGIC.search(b):
        return fnmatch.fnmatchcase(b, a.replace("[^", "[!"))
    if not _MAGIC.search(a):
        return fnmatch.fnmatchcase(a, b.replace("[^", "[!"))
    return _languages_meet(_tokens(a), _tokens(b), _STAR, _chars_meet)


def _languages_meet(a: Sequence[T], b: Sequence[T], star: T, meet: Callable[[T, T], bool]) -> bool:
    """Do two patterns (atoms, where ``star`` matches any run of atoms) match one common sequence?

    A search over pairs of positions, i.e. the product of the two patterns' automata. It serves
    both levels: characters within a segment (``*``) and segments within a path (``**``).
    """
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        end_a, end_b = i == len(a), j == len(b)
        if end_a and end_b:
            return True
        star_a = not end_a and a[i] == star
        star_b = not end_b and b[j] == star
        if star_a:
            stack.append((i + 1, j))
            if not end_b:
                stack.append((i, j + 1))  # the star eats b's next atom (or b's star)
        if star_b:
            stack.append((i, j + 1))
            if not end_a:
                stack.append((i + 1, j))
        if not star_a and not star_b and not end_a and not end_b and meet(a[i], b[j]):
            stack.append((i + 1, j + 1))
    return False


# ---- whole globs -----------------------------------------------------------------------------------


def _open(segments: tuple[str, ...]) -> tuple[str, ...]:
    """A glob covers what is inside what it matches: append ``**`` unless it already ends with one."""
    return segments if segments and segments[-1] == "**" else (*segments, "**")


def _paths_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return _languages_meet(a, b, "**", segments_meet)


def _is_prefix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return len(short) <= len(long) and long[: len(short)] == short


@lru_cache(maxsize=262144)
def scopes_meet(a: str, b: str) -> bool:
    """True when the two scope globs overlap (see the module docstring)."""
    sa, sb = parse_scope(a), parse_scope(b)
    if not (_is_prefix(sa.prefix, sb.prefix) or _is_prefix(sb.prefix, sa.prefix)):
        return False
    if sa.pathlike and sb.pathlike:
        return True  # one prefix contains the other
    return _paths_meet(_open(sa.segments), _open(sb.segments))


def _seg_match(pattern: str, name: str) -> bool:
    return pattern == name or (bool(_MAGIC.search(pattern)) and fnmatch.fnmatchcase(name, pattern.replace("[^", "[!")))


def _segment_regex(segment: str) -> str:
    out = []
    for token in _tokens(segment):
        if token[0] == "*":
            out.append("[^/]*")
        elif token[0] == "?":
            out.append("[^/]")
        elif token[0] == "lit":
            out.append(re.escape(token[1]))
        else:
            _, negated, items = token
            body = "".join(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in items)
            out.append(f"[^/{body}]" if negated else f"[{body}]")
    return "".join(out)


@lru_cache(maxsize=65536)
def glob_regex(glob: str) -> re.Pattern[str]:
    """The compiled regex of the paths ``glob`` covers (itself and everything inside what it matches)."""
    segments = _open(parse_scope(glob).segments)
    rx, need_sep = "", False
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            if last:
                rx += "(?:/.*)?" if need_sep else ".*"
            else:
                rx += ("/" if need_sep else "") + "(?:[^/]+/)*"
                need_sep = False
        else:
            rx += ("/" if need_sep else "") + _segment_regex(seg)
            need_sep = True
    return re.compile(rx + r"\Z", re.DOTALL)


def covers(glob: str, path: str) -> bool:
    """Does scope ``glob`` cover the file ``path`` (it matches the path or one of its folders)?"""
    return glob_regex(glob).match(path.strip("/")) is not None


def covered_by_any(globs: Sequence[str], path: str) -> bool:
    return any(covers(g, path) for g in globs)


def includes(outer: str, inner: str) -> bool:
    """Is every path covered by ``inner`` also covered by ``outer``? Sound, not complete: False when unsure."""
    so, si = parse_scope(outer), parse_scope(inner)
    if so.segments == ():
        return True
    if so.pathlike:
        return _is_prefix(so.prefix, si.prefix)
    a, b = _open(so.segments), _open(si.segments)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "**":
            stack.append((i + 1, j))
            if j < len(b):
                stack.append((i, j + 1))
            continue
        if i < len(a) and j < len(b) and b[j] != "**":
            inner_seg, outer_seg = b[j], a[i]
            if inner_seg == outer_seg or outer_seg == "*" or (not _MAGIC.search(inner_seg) and _seg_match(outer_seg, inner_seg)):
                stack.append((i + 1, j + 1))
    return False


class TrackedFiles:
    """The repository's files, sorted, with the matches of each glob computed once."""

    def __init__(self, paths: Iterable[str], exclude: str = "") -> None:
        # ``exclude``: a folder whose files never count as witnesses (the queue itself: pipeline-owned
        # metadata that changes on every dispatch and that no task's work is about)
        skip = exclude.rstrip("/") + "/" if exclude else None
        self.paths = sorted(p for p in paths if skip is None or not p.startswith(skip))
        self._matches: dict[str, frozenset[str]] = {}

    def under(self, prefix: str) -> Sequence[str]:
        if not prefix:
            return self.paths
        lo = bisect.bisect_left(self.paths, prefix + "/")
        hi = bisect.bisect_left(self.paths, prefix + "0")  # '0' is the character after '/'
        exact = bisect.bisect_left(self.paths, prefix)
        found = list(self.paths[lo:hi])
        if exact < len(self.paths) and self.paths[exact] == prefix:
            found.append(prefix)
        return found

    def matching(self, glob: str) -> frozenset[str]:
        if glob not in self._matches:
            regex = glob_regex(glob)
            self._matches[glob] = frozenset(p for p in self.under(parse_scope(glob).prefix_path) if regex.match(p))
        return self._matches[glob]

    def witness(self, a: str, b: str) -> str | None:
        """A tracked file both scopes cover, if any (the first in path order)."""
        both = self.matching(a) & self.matching(b)
        return min(both) if both else None


def witness(a: str, b: str, tracked: Iterable[str]) -> str | None:
    """A tracked file both scopes cover, if any (used to explain an overlap)."""
    return TrackedFiles(tracked).witness(a, b)


# ---- the index of active scopes -----------------------------------------------------------------------


class ScopeIndex:
    """Active scopes keyed by their fixed prefix; ``conflicts`` finds every entry overlapping a glob.

    An entry can only overlap a query whose fixed prefix is its ancestor, equal, or descendant, so a
    query looks at its own prefix chain (ancestors) and at the entries registered under its prefix
    (descendants), never at the whole set.
    """

    def __init__(self) -> None:
        self._at: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # exact prefix -> [(glob, owner)]
        self._below: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # every proper ancestor prefix -> entries

    def add(self, glob: str, owner: str) -> None:
        scope = parse_scope(glob)
        self._at.setdefault(scope.prefix, []).append((glob, owner))
        for k in range(len(scope.prefix)):
            self._below.setdefault(scope.prefix[:k], []).append((glob, owner))

    def conflicts(self, glob: str) -> list[tuple[str, str]]:
        """Entries ``(glob, owner)`` whose scope overlaps ``glob``."""
        scope = parse_scope(glob)
        found: list[tuple[str, str]] = []
        for k in range(len(scope.prefix) + 1):
            for entry in self._at.get(scope.prefix[:k], ()):
                if scopes_meet(glob, entry[0]):
                    found.append(entry)
        for entry in self._below.get(scope.prefix, ()):
            if scopes_meet(glob, entry[0]):
                found.append(entry)
        return found

    def first_conflict(self, globs: Sequence[str]) -> tuple[str, str, str] | None:
        """``(my glob, their glob, owner)`` for the first overlap, or None."""
        for glob in globs:
            hits = self.conflicts(glob)
            if hits:
                theirs, owner = hits[0]
                return glob, theirs, owner
        return None
