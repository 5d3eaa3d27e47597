"""`leadforge task`: argument parsing for this area."""

from __future__ import annotations

import argparse
from typing import Any

from leadforge.cli import area_parser


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    _parser, _verbs = area_parser(sub, common, "task", "AI task queue: intake, dispatch, complete, sweep, list, show, heartbeat")
