"""Conventional Commits: parse one message into type, scope, breaking flag, body and footers.

The grammar follows the spec (https://www.conventionalcommits.org/en/v1.0.0/) as
git-cliff's parser (the ``git-conventional`` crate) reads it, so both tools agree
on which commits are conventional:

    header  = type ["(" scope ")"] ["!"] ":" *WSP description
    type    = 1*(any char but whitespace, "(", ")", ":", "!")
    footer  = token (":" | " #") *WSP value        token = "BREAKING CHANGE" | type

The body runs from the line after the header to the first line that starts a
footer; each footer's value runs to the next footer line. ``BREAKING CHANGE`` and
``BREAKING-CHANGE`` footers (or ``!``) make the commit breaking.
Pure functions only: no git, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

HEADER_RE = re.compile(r"([^\s():!]+)(?:\(([^()\r\n]+)\))?(!)?:[^\S\r\n]*([^\r\n]+)")
FOOTER_RE = re.compile(r"(BREAKING CHANGE|[^\s():!]+)(:| #)[^\S\r\n]*(.*)")
FOOTER_HINT_RE = re.compile(r"^(?:BREAKING CHANGE|[^\s():!]+)(?::| #)", re.MULTILINE)  # any line that may start a footer
BREAKING_TOKENS = frozenset({"BREAKING CHANGE", "BREAKING-CHANGE"})
ISSUE_RE = re.compile(r"(?<![\w/])#(\d+)\b")
CLOSING_LINE_RE = re.compile(r"^(?:closes|fixes|resolves) #.*$", re.IGNORECASE | re.MULTILINE)
CLOSING_TOKENS = frozenset(
    {"close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved", "refs", "ref", "issue", "issues"}
)


@dataclass(frozen=True, slots=True)
class Footer:
    token: str
    separator: str
    value: str

    @property
    def breaking(self) -> bool:
        return self.token in BREAKING_TOKENS

    def __str__(self) -> str:
        sep = ": " if self.separator == ":" else " #"
        return f"{self.token}{sep}{self.value}"


class Conventional(NamedTuple):
    """A conventional reading (NamedTuple: immutable and cheap to build, one per commit)."""

    type: str
    scope: str | None
    description: str
    body: str | None
    footers: tuple[Footer, ...]
    bang: bool

    @property
    def breaking(self) -> bool:
        return self.bang or (bool(self.footers) and any(f.breaking for f in self.footers))

    @property
    def breaking_description(self) -> str | None:
        """What breaks: the BREAKING CHANGE footer's text, else the description (spec 1.0.0 rule 13)."""
        for footer in self.footers:
            if footer.breaking:
                return footer.value
        return self.description if self.bang else None


def _footer_start(line: str) -> re.Match[str] | None:
    """The footer this line starts (token, separator, value), or None for a body line."""
    match = FOOTER_RE.match(line.rstrip())
    if match is None or not (match.group(3).strip() or match.group(2) == " #"):
        return None
    return match


def parse(message: str) -> Conventional | None:
    """The conventional reading of ``message``, or None when its header is not conventional."""
    header, _, rest = message.partition("\n")
    return parse_parts(header, rest)


def parse_parts(header: str, rest: str) -> Conventional | None:
    """``parse`` for a message already split at its first newline."""
    match = HEADER_RE.fullmatch(header.rstrip("\r"))
    if match is None:
        return None
    kind, scope, bang, description = match.groups()
    description = description.rstrip()
    if not description:
        return None
    if not rest or rest.isspace():
        return Conventional(kind, scope, description, None, (), bang is not None)
    if "\r" in rest:
        rest = rest.replace("\r\n", "\n")
    if FOOTER_HINT_RE.search(rest) is None:  # no line can start a footer: all body
        return Conventional(kind, scope, description, rest.strip(), (), bang is not None)
    body_lines: list[str] = []
    footers: list[list[str]] = []  # [token, separator, value lines...]
    for line in rest.split("\n"):
        found = _footer_start(line)
        if found is not None:
            footers.append([found.group(1), found.group(2), found.group(3)])
        elif footers:
            footers[-1].append(line)
        else:
            body_lines.append(line)
    body = "\n".join(body_lines).strip() or None
    parsed = tuple(Footer(f[0], f[1], "\n".join(f[2:]).rstrip()) for f in footers)
    return Conventional(kind, scope, description, body, parsed, bang is not None)


@dataclass(frozen=True, slots=True)
class Parser:
    """A compiled commit parser (see ``settings.CommitParser``)."""

    message: re.Pattern[str] | None
    body: re.Pattern[str] | None
    footer: re.Pattern[str] | None
    group: str | None
    skip: bool
    first: frozenset[str] | None = None  # the only first characters ``message`` can match, when known


_PLAIN_BRANCH = re.compile(r"\^([A-Za-z0-9_-])(?![?*{])")


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a text must start with for ``pattern`` to match, or None when any may.

    Known only for the simple, common form ``^lit...`` (or ``^a...|^b...`` without groups or
    classes): every branch anchored at the start and beginning with a plain character that is not
    optional. Anything else (flags, groups, escapes, classes) is None, i.e. always searched. A
    cheap first-character test then skips most parsers: ``classify`` runs for every commit."""
    if any(ch in pattern for ch in "([\\") and "|" in pattern:
        return None
    found: set[str] = set()
    for branch in pattern.split("|") if not any(ch in pattern for ch in "([\\") else [pattern]:
        match = _PLAIN_BRANCH.match(branch)
        if match is None:
            return None
        found.add(match.group(1))
    return frozenset(found)


def compile_parsers(rules: Iterable[Any]) -> tuple[Parser, ...]:
    """Compile ``settings.commit_parsers`` once per run."""
    compiled = []
    for rule in rules:  # settings.CommitParser or options.CommitParser: the same fields
        compiled.append(
            Parser(
                first=first_chars(rule.message) if rule.message else None,
                message=re.compile(rule.message) if rule.message else None,
                body=re.compile(rule.body) if rule.body else None,
                footer=re.compile(rule.footer) if rule.footer else None,
                group=rule.group,
                skip=rule.skip,
            )
        )
    return tuple(compiled)


SKIP = "__skip__"


def classify(message: str, conv: Conventional | None, parsers: tuple[Parser, ...]) -> str | None:
    """The group of a commit: the first parser whose regex matches wins; ``SKIP`` to leave it out;
    None when no parser matches. Like git-cliff, regexes are searched in the trimmed text."""
    text = message.strip() if message[:1].isspace() or message[-1:].isspace() else message
    body: str | None = None
    footers: list[str] | None = None
    start = text[:1]
    for parser in parsers:
        if parser.message is not None and (parser.first is None or start in parser.first) and parser.message.search(text):
            return SKIP if parser.skip else parser.group
        if parser.body is not None:
            if body is None:
                body = ((conv.body or "") if conv else "").strip()
            if parser.body.search(body):
                return SKIP if parser.skip else parser.group
        if parser.footer is not None:
            if footers is None:
                footers = [str(f).strip() for f in conv.footers] if conv else []
            if any(parser.footer.search(f) for f in footers):
                return SKIP if parser.skip else parser.group
    return None


def issue_refs(message: str, conv: Conventional | None) -> tuple[int, ...]:
    """Issues the commit refers to: ``Closes #n``-style footers and lines."""
    if "#" not in message:
        return ()
    found: list[int] = []
    if conv is not None:
        for footer in conv.footers:
            if footer.token.lower() in CLOSING_TOKENS:
                found.extend(int(n) for n in ISSUE_RE.findall("#" + footer.value if footer.separator == " #" else footer.value))
    for line in CLOSING_LINE_RE.findall(message):
        found.extend(int(n) for n in ISSUE_RE.findall(line))
    unique: list[int] = []
    for number in found:
        if number not in unique:
            unique.append(number)
    return tuple(unique)
