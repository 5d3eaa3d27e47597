"""``leadforge init``, ``leadforge demo`` and ``leadforge config ...``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from leadforge.cli import area_parser

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    init = sub.add_parser(
        "init",
        parents=[common],
        help="scaffold LeadForge into a repository (never overwrites)",
        description="Copy the workflows, issue form, config, queue folders, profiles, k8s/ and screenshots/ "
        "into PATH without overwriting existing files; reports what it skipped. With --reusable, the workflows are "
        "one short caller per pipeline instead, calling LeadForge's reusable workflows pinned to a commit SHA.",
    )
    init.add_argument("path", nargs="?", default=None, help="target repository (default: --repo)")
    init.add_argument(
        "--reusable",
        action="store_true",
        help="write short callers of LeadForge's reusable workflows (pinned by SHA) instead of copies",
    )
    init.add_argument(
        "--ref",
        metavar="SHA",
        default=None,
        help="with --reusable: the LeadForge commit to pin (default: the release commit this package was built from)",
    )
    init.add_argument(
        "--pipeline",
        dest="pipelines",
        metavar="NAME",
        action="append",
        default=None,
        help="with --reusable: only this pipeline (repeatable): tasks, review, security, visual, release, deploy, metrics, pages",
    )
    init.set_defaults(handler=_init)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="run the whole pipeline offline on a throwaway repo and write a report",
        description="Create a throwaway git repository, drive every built stage through the local forge with "
        "real event payloads, and write a report folder (index.html + JSON).",
    )
    demo.add_argument("--out", metavar="DIR", default="leadforge-demo", help="report folder (default: ./leadforge-demo)")
    demo.add_argument("--keep", action="store_true", help="keep the throwaway repository (its path is printed)")
    demo.set_defaults(handler=_demo)

    _config, verbs = area_parser(sub, common, "config", "check and document .github/leadforge.yml")
    validate = verbs.add_parser("validate", parents=[common], help="validate the config file; exit 1 naming the bad key")
    validate.set_defaults(handler=_config_validate)
    schema = verbs.add_parser("schema", parents=[common], help="print the JSON Schema of the config (for editors)")
    schema.set_defaults(handler=_config_schema)
    reference = verbs.add_parser("reference", parents=[common], help="print the fully commented reference config")
    reference.set_defaults(handler=_config_reference)


def _init(app: App, path: str | None, reusable: bool, ref: str | None, pipelines: list[str] | None) -> int:
    from leadforge.scaffold import init_repository

    return init_repository(app, path, reusable=reusable, ref=ref, pipelines=pipelines)


def _demo(app: App, out: str, keep: bool) -> int:
    from leadforge.demo import run_demo

    return run_demo(app, out=out, keep=keep)


def _config_validate(app: App) -> int:
    from leadforge.config import DEFAULT_CONFIG_PATH, load_config

    path = app.repo / (app.config_path or DEFAULT_CONFIG_PATH)
    config = load_config(app.repo, app.config_path)
    exists = path.exists()
    data = {"path": str(path), "exists": exists, "valid": True, "config": config.model_dump(mode="json")}
    note = "" if exists else " (file absent: all defaults)"
    app.out.result(data, f"{path}: valid{note}")
    return 0


def _config_schema(app: App) -> int:
    import json

    from leadforge.config import json_schema

    app.out.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return 0


def _config_reference(app: App) -> int:
    from leadforge.config import reference_yaml

    app.out.stdout.write(reference_yaml())
    return 0
