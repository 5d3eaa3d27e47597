"""Reporting periods: ``--since``/``--until`` dates and ISO weeks (``2026-W47``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from leadforge.errors import InputError
from leadforge.metrics.compute import Period

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_moment(value: str, option: str, *, end: bool = False) -> datetime:
    """A date (``2026-11-02``: start of day, or with ``end`` the start of the next day) or an ISO datetime."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: FURB162 - also reads "2026-01-01Z", which fromisoformat alone refuses
    except ValueError:
        raise InputError(f"{option}: expected a date (YYYY-MM-DD) or ISO 8601 time, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


CLOCK_ENV = "LEADFORGE_NOW"  # pins "now" (ISO 8601) for tests, demos and reproducible re-runs


def pinned_now(env: Mapping[str, str]) -> datetime | None:
    """The moment ``$LEADFORGE_NOW`` pins, or None when it is unset (then the real clock applies)."""
    pinned = env.get(CLOCK_ENV, "")
    return parse_moment(pinned, CLOCK_ENV) if pinned else None


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_period(value: str, now: datetime) -> Period:
    """``2026-W47``, ``last`` (the last complete week) or ``current``."""
    text = value.strip().lower()
    if text in {"last", "previous"}:
        monday = (now - timedelta(days=now.weekday() + 7)).date()
    elif text in {"current", "this"}:
        monday = (now - timedelta(days=now.weekday())).date()
    else:
        match = _WEEK.match(value.strip())
        if not match:
            raise InputError(f"--week: expected YYYY-Www (e.g. 2026-W47), 'last' or 'current', got {value!r}")
        try:
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError as err:
            raise InputError(f"--week: {value!r} is not a week: {err}") from None
    since = datetime.combine(monday, time(0), tzinfo=UTC)
    return Period(since, since + timedelta(days=7), week_label(monday))


def make_period(since: str | None, until: str | None, week: str | None, now: datetime) -> Period:
    if week and (since or until):
        raise InputError("--week cannot be combined with --since/--until")
    if week:
        return week_period(week, now)
    start = parse_moment(since, "--since") if since else None
    stop = parse_moment(until, "--until", end=True) if until else None
    if start and stop and stop <= start:
        raise InputError(f"--until ({until}) must be after --since ({since})")
    if start is None and stop is None:
        label = "all time"
    else:
        left = start.date().isoformat() if start else "the beginning"
        right = (stop - timedelta(seconds=1)).date().isoformat() if stop else "now"
        label = f"{left} to {right}"
    return Period(start, stop, label)
