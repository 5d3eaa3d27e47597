"""The error types the CLI maps to exit codes (see ``cli.main``).

Every *expected* failure (bad input, missing tool, a refused API call) raises a
``LeadforgeError``: the CLI prints its one-line message and exits 1. Anything
else is a bug and is printed with its traceback (exit 3).
"""

from __future__ import annotations


class LeadforgeError(Exception):
    """An expected failure; ``str(err)`` is the one line shown to the user."""

    exit_code = 1


class ConfigError(LeadforgeError):
    """The config file is missing a value, has a wrong type or an unknown key."""


class InputError(LeadforgeError):
    """A file or payload we were given is malformed (task file, event, image, manifest)."""


class ToolError(LeadforgeError):
    """An external tool (git, semgrep, kubectl, chromium...) is missing or failed."""


class ForgeError(LeadforgeError):
    """The forge (GitHub or the local one) refused or failed a request."""


class NotFoundError(ForgeError):
    """The forge has no such issue, pull request, release, comment..."""


class GitError(ToolError):
    """A git command failed."""


class PushRejected(GitError):
    """The remote moved while we worked; the caller re-decides on the new head."""
