"""The newest entry of ``VISUAL_CHANGELOG.md`` as safe HTML for the dashboard.

The changelog is written by the release pipeline (newest release first, one
``## <version> - <date>`` section each, ``<details>`` blocks with before/after
``<img>`` tags pointing at repository files). We render that Markdown, then keep
only an allow-list of tags and attributes: PR titles end up in there, so nothing
else (scripts, styles, event handlers, remote resources) may pass. Images that
are repository files are copied into the site; remote or missing ones become text.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path

ALLOWED = {
    "p": (),
    "br": (),
    "hr": (),
    "h3": (),
    "h4": (),
    "h5": (),
    "h6": (),
    "ul": (),
    "ol": ("start",),
    "li": (),
    "strong": (),
    "em": (),
    "b": (),
    "i": (),
    "code": (),
    "pre": (),
    "blockquote": (),
    "del": (),
    "s": (),
    "a": ("href", "title"),
    "img": ("src", "alt", "width", "height", "title"),
    "table": (),
    "thead": (),
    "tbody": (),
    "tr": (),
    "th": ("align",),
    "td": ("align",),
    "details": ("open",),
    "summary": (),
    "span": (),
    "div": (),
    "sup": (),
    "sub": (),
}
# Headings inside an entry are shifted below the section's own heading.
SHIFT = {"h1": "h3", "h2": "h3", "h3": "h4", "h4": "h5", "h5": "h6", "h6": "h6"}
VOID = {"br", "hr", "img"}
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
_SAFE_HREF = re.compile(r"^(?:https?://|mailto:|#|[A-Za-z0-9_./-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    markdown: str


@dataclass
class Rendered:
    title: str
    html: str
    images: dict[str, str] = field(default_factory=dict)  # repo-relative source -> site-relative target


def newest_entry(text: str) -> Entry | None:
    """The first ``## `` section (the newest release); None when there is none."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return Entry(lines[start][3:].strip(), "\n".join(lines[start + 1 : end]).strip("\n"))


def _repo_file(repo: Path, src: str, base: str) -> str | None:
    """``src`` as a repo-relative path of an existing image inside the repository, else None."""
    if not src or re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE) or src.startswith("//"):
        return None
    path = src.split("#", 1)[0].split("?", 1)[0]
    joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")) if not path.startswith("/") else path.lstrip("/"))
    if joined.startswith("../") or joined == ".." or Path(joined).suffix.lower() not in IMAGE_SUFFIXES:
        return None
    target = (repo / joined).resolve()
    try:
        target.relative_to(repo.resolve())
    except ValueError:
        return None
    return joined if target.is_file() else None


class _Sanitizer(HTMLParser):
    def __init__(self, repo: Path, base: str, prefix: str) -> None:
        super().__init__(convert_charrefs=True)
        self.repo, self.base, self.prefix = repo, base, prefix
        self.out: list[str] = []
        self.open: list[str] = []
        self.skip = 0
        self.images: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in DROP_CONTENT:
            self.skip += 1
            return
        if self.skip:
            return
        tag = SHIFT.get(tag, tag)
        if tag not in ALLOWED:
            return
        kept = {k.lower(): (v or "") for k, v in attrs if k.lower() in ALLOWED[tag]}
        if tag == "img":
            source = _repo_file(self.repo, kept.get("src", ""), self.base)
            alt = kept.get("alt", "") or "screenshot"
            if source is None:
                self.out.append(f'<span class="missing-image">[{escape(alt)}: image not available]</span>')
                return
            target = f"{self.prefix}/{source}"
            self.images[source] = target
            kept["src"] = target
            kept["alt"] = alt
        if tag == "details":
            kept["open"] = ""  # the dashboard shows the screenshots without a click
        if tag == "a":
            href = kept.get("href", "")
            if not _SAFE_HREF.match(href) or href.lower().startswith(("javascript", "data", "vbscript")):
                kept.pop("href", None)
            else:
                kept["rel"] = "noopener"
        text = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in kept.items())
        self.out.append(f"<{tag}{text}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() not in VOID and self.open and self.open[-1] == SHIFT.get(tag.lower(), tag.lower()):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in DROP_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        tag = SHIFT.get(tag, tag)
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitize(html: str, repo: Path, *, base: str = "", prefix: str = "visual") -> tuple[str, dict[str, str]]:
    parser = _Sanitizer(repo, base, prefix)
    parser.feed(html)
    parser.close()
    return parser.result(), parser.images


def render_entry(entry: Entry, repo: Path, *, changelog_path: str, prefix: str = "visual") -> Rendered:
    """Markdown (with the inline HTML the release templates write) to sanitized HTML; images to copy."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    raw = md.render(entry.markdown)
    base = posixpath.dirname(changelog_path)
    html, images = sanitize(raw, repo, base=base, prefix=prefix)
    return Rendered(entry.title, html, images)


def load(repo: Path, changelog_path: str, prefix: str = "visual") -> Rendered | None:
    path = repo / changelog_path
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None
    entry = newest_entry(text)
    if entry is None:
        return None
    return render_entry(entry, repo, changelog_path=changelog_path, prefix=prefix)
