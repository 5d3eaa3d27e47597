"""The `release:` section of `.github/leadforge.yml` (Release notes and publishing).

The defaults reproduce git-cliff's conventional preset (its default ``cliff.toml``):
the same ordered commit parsers, the same groups in the same order. Users change
titles, order, visibility and parsers here; the notes template lives in the repo.
The default values live once, in ``options.ReleaseOptions`` (the plain record the release
commands read without pydantic); this model adds the descriptions and the error messages.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from leadforge.release import options
from leadforge.strict import StrictModel

_D = options.DEFAULTS


class CommitParser(StrictModel):
    """One rule: when its regex matches, the commit goes to ``group`` (or is skipped). First match wins."""

    message: str | None = Field(None, description="Regex searched in the whole commit message (header, body, footers).")
    body: str | None = Field(None, description="Regex searched in the conventional body (empty for other commits).")
    footer: str | None = Field(None, description="Regex searched in each footer rendered as 'token: value'.")
    group: str | None = Field(None, description="Group id the commit goes to when this rule matches.")
    skip: bool = Field(False, description="Leave matching commits out of the notes (they still count for the version bump).")

    @model_validator(mode="after")
    def _check(self) -> CommitParser:
        if not (self.message or self.body or self.footer):
            raise ValueError("a commit parser needs one of message, body, footer")
        if not self.skip and not self.group:
            raise ValueError("a commit parser needs a group (or skip: true)")
        for pattern in (self.message, self.body, self.footer):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as err:
                    raise ValueError(f"invalid regex {pattern!r}: {err}") from None
        return self


class Group(StrictModel):
    """A section of the notes: commits whose parser chose ``id``, under ``title``."""

    id: str = Field(description="Group id that commit parsers refer to.")
    title: str = Field(description="Heading shown in the notes.")
    visible: bool = Field(True, description="Show this group in the notes (hidden groups still count for the bump).")


DEFAULT_PARSERS: tuple[CommitParser, ...] = tuple(
    CommitParser(message=r.message, body=r.body, footer=r.footer, group=r.group, skip=r.skip) for r in options.DEFAULT_PARSERS
)
DEFAULT_GROUPS: tuple[Group, ...] = tuple(Group(id=g.id, title=g.title, visible=g.visible) for g in options.DEFAULT_GROUPS)


class ReleaseSettings(StrictModel):
    """Release notes and publishing settings."""

    tag_prefix: str = Field(
        _D.tag_prefix, description="Prefix of release tags (v1.2.3). Tags that are not full semver (v10, v10.6) are ignored."
    )
    unconventional: Literal["other", "skip"] = Field(
        _D.unconventional,
        description="Commits that are not conventional: 'other' lists them in other_group, 'skip' leaves them out.",
    )
    other_group: str = Field(_D.other_group, description="Group id for commits that are not conventional.")
    commit_parsers: tuple[CommitParser, ...] = Field(
        DEFAULT_PARSERS, description="Ordered rules: regex -> group or skip; first match wins (git-cliff's conventional preset)."
    )
    groups: tuple[Group, ...] = Field(DEFAULT_GROUPS, description="Sections of the notes, in this order, with their titles.")
    minor_types: tuple[str, ...] = Field(_D.minor_types, description="Conventional types that bump the minor version.")
    patch_types: tuple[str, ...] = Field(_D.patch_types, description="Conventional types that bump the patch version.")
    zero_breaking_bump: Literal["major", "minor"] = Field(
        _D.zero_breaking_bump, description="Below 1.0.0, what a breaking change bumps (semver: anything may change in 0.x)."
    )
    zero_minor_bump: Literal["minor", "patch"] = Field(
        _D.zero_minor_bump, description="Below 1.0.0, what a minor-type commit (feat) bumps."
    )
    template: str = Field(
        _D.template,
        description="Release notes template (Jinja2, sandboxed) in the repository; the built-in one is used when absent.",
    )
    changelog: str = Field(_D.changelog, description="Changelog file; each release is prepended (re-runs replace the entry).")
    changelog_branch: str = Field(
        _D.changelog_branch, description="Branch the changelog follow-up commit goes to (empty: default_branch)."
    )
    tasks_dir: str = Field(_D.tasks_dir, description="Completed task files; those whose PR is in the range are listed.")
    agent_patterns: tuple[str, ...] = Field(
        _D.agent_patterns,
        description="Regexes on 'Name <email>' marking a contributor (author or Co-authored-by) as an AI agent.",
    )
    upload_screenshots: bool = Field(
        _D.upload_screenshots, description="Upload the release's visual change images as release assets."
    )
    max_body_bytes: int = Field(
        _D.max_body_bytes,
        ge=options.MIN_BODY_BYTES,
        description="Commit bodies longer than this are cut before parsing (huge bodies).",
    )
    skip_commit_files: tuple[str, ...] = Field(
        _D.skip_commit_files,
        description="Skip lists: files in the repository (read from the working tree) naming commits to leave out of the "
        "notes and the bump, one id per line (full or abbreviated), '#' comments, as .cliffignore and git blame's "
        "ignore-revs file. Commits changing only these files are left out too; missing files are fine.",
    )

    @field_validator("agent_patterns")
    @classmethod
    def _valid_regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"invalid regex {pattern!r}: {err}") from None
        return value

    @model_validator(mode="after")
    def _groups_known(self) -> ReleaseSettings:
        ids = [g.id for g in self.groups]
        if len(set(ids)) != len(ids):
            raise ValueError("groups: each id must appear once")
        if self.other_group not in ids:
            raise ValueError(f"other_group: {self.other_group!r} is not in groups ({', '.join(ids)})")
        for parser in self.commit_parsers:
            if parser.group and parser.group not in ids:
                raise ValueError(f"commit_parsers: group {parser.group!r} is not in groups ({', '.join(ids)})")
        return self
