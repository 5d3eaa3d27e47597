"""Releases: conventional commits, semver, notes, changelogs, publish."""
