"""``leadforge <area> <verb>``: argument parsing only.

Each area registers its own sub-commands from ``leadforge/<area>/cli.py`` (a
light module: argparse only). A parser sets ``handler=<function>``; ``main``
calls it as ``handler(app, **command_options)`` and returns its exit code.
"""

from __future__ import annotations

import importlib
import os
import sys

from leadforge import __version__

# Not `from typing import ...`: typing takes ~9 ms to import, and this module loads before `deploy render`
# starts kustomize (deploy/early.py). Type checkers read the block below; at run time it is skipped.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from types import ModuleType
    from typing import Any, TypeAlias

    from leadforge.app import App

    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]  # what add_subparsers() returns
    Handler: TypeAlias = Callable[..., int | None]  # handler(app, **command_options) -> exit code

# Order is the order of `leadforge --help`.
AREAS: tuple[str, ...] = (
    "leadforge.tasks.cli",
    "leadforge.review.cli",
    "leadforge.scan.cli",
    "leadforge.visual.cli",
    "leadforge.release.cli",
    "leadforge.deploy.cli",
    "leadforge.metrics.cli",
    "leadforge.serve.cli",
    "leadforge.basics_cli",
)

GLOBAL_KEYS = ("repo", "config", "forge", "dry_run", "json")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Global options, accepted before or after the sub-command."""
    import argparse

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument("--repo", metavar="PATH", default=default("."), help="repository to work on (default: .)")
    group.add_argument(
        "--config", metavar="PATH", default=default(None), help="config file, relative to --repo (default: .github/leadforge.yml)"
    )
    group.add_argument(
        "--forge",
        choices=("github", "local"),
        default=default(None),
        help="github when GITHUB_TOKEN and GITHUB_REPOSITORY are set, else local (.leadforge/forge/)",
    )
    group.add_argument("--dry-run", action="store_true", default=default(False), help="decide and print, change nothing")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="machine output on stdout, human text on stderr"
    )


_VALUE_OPTIONS = ("--repo", "--config", "--forge")


def _area_modules(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The area modules to register: only the named area's when the first word names one (building
    every area's parsers costs ~20 ms, a fifth of a whole ``deploy render``), else all of them."""
    if argv is None:
        return AREAS
    found = _positional(list(argv), 1)
    module = f"leadforge.{found[0]}.cli" if found else ""
    return (module,) if module in AREAS else AREAS


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (given the command line) only the part that command needs."""
    import argparse  # here, not at the top: an early start (EARLY_STARTS) runs before it is needed

    parser = argparse.ArgumentParser(
        prog="leadforge",
        description="GitOps pipeline for AI coding agents: "
        "task queue, PR review, visual regression, releases, environments, metrics.",
    )
    parser.add_argument("--version", action="version", version=f"leadforge {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="area", metavar="<area>")
    for module_name in _area_modules(argv):
        importlib.import_module(module_name).register(sub, common)
    return parser


# Commands whose slow part can start before the parser is built (each module's ``start(words)``; it must
# never raise nor print, and only ever give the command a head start).
EARLY_STARTS: dict[tuple[str, str], str] = {("deploy", "render"): "leadforge.deploy.early"}


def _positional(words: Sequence[str], count: int) -> list[str]:
    """The first ``count`` words that are not global options or their values."""
    found: list[str] = []
    index = 0
    while index < len(words) and len(found) < count:
        word = words[index]
        index += 2 if word in _VALUE_OPTIONS else 1
        if not word.startswith("-"):
            found.append(word)
    return found


def _early(words: Sequence[str]) -> ModuleType | None:
    """The early-start module of this command line, or None."""
    found = _positional(words, 2)
    module = EARLY_STARTS.get((found[0], found[1])) if len(found) == 2 else None
    return importlib.import_module(module) if module else None


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    early = _early(words)
    if early is not None:
        early.start(words)
    try:
        return _main(words)
    finally:
        if early is not None:
            early.stop()  # whatever the command did not collect (it failed before rendering, say)
        if argv is None:
            # The process ends next: spare the interpreter's last full garbage collection (~9 ms of a
            # `deploy render`). Only for the real command line; in-process callers keep collecting.
            import gc

            gc.freeze()


def _main(words: list[str]) -> int:
    parser = build_parser(words)
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        # An area without a verb: show that area's help (or the top-level one).
        target = getattr(args, "area_parser", parser)
        target.print_help(sys.stderr)
        return 2
    options = {
        k: v
        for k, v in vars(args).items()
        if k not in GLOBAL_KEYS and k not in {"handler", "area", "area_parser"} and not k.endswith("_verb")
    }
    # demo makes its own repository; serve may clone into a folder that does not exist yet (it checks itself)
    if args.area not in {"demo", "serve"} and not os.path.isdir(args.repo):
        print(f"leadforge: error: --repo {args.repo}: no such folder; give the repository's path (default: .)", file=sys.stderr)
        return 1
    from leadforge.app import App

    app = App(repo=args.repo, config_path=args.config, forge_kind=args.forge, dry_run=args.dry_run, json=args.json)
    verb = getattr(args, f"{args.area}_verb", None)
    return run_handler(handler, app, options, command=" ".join(filter(None, ("leadforge", args.area, verb))))


def run_handler(handler: Handler, app: App, options: dict[str, Any], command: str = "leadforge") -> int:
    """The one place that maps errors to exit codes (1: expected, 3: a bug, 130: interrupted).

    An import of an optional dependency that is not installed is expected too: it names the extra to install."""
    from leadforge.errors import LeadforgeError

    try:
        code = handler(app, **options)
    except LeadforgeError as err:
        print(f"leadforge: error: {err}", file=sys.stderr)
        return err.exit_code
    except ImportError as err:
        from leadforge.extras import from_import_error

        missing = from_import_error(err, command)
        if missing is None:
            return _internal_error()
        print(f"leadforge: error: {missing}", file=sys.stderr)
        return missing.exit_code
    except KeyboardInterrupt:
        print("leadforge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # noqa: BLE001 - a surprise: show everything
        return _internal_error()
    return 0 if code is None else int(code)


def _internal_error() -> int:
    """A bug: the traceback of the exception being handled, and exit 3."""
    import traceback  # only here: it costs a few ms of every start

    traceback.print_exc()
    print("leadforge: internal error (exit 3). Please report it with the traceback above.", file=sys.stderr)
    return 3


def area_parser(
    sub: Subparsers, common: argparse.ArgumentParser, name: str, help: str
) -> tuple[argparse.ArgumentParser, Subparsers]:
    """Helper for areas with verbs: returns the area parser and its verb sub-parsers."""
    parser = sub.add_parser(name, help=help, description=help, parents=[common])
    parser.set_defaults(area_parser=parser)
    verbs = parser.add_subparsers(dest=f"{name}_verb", metavar="<verb>")
    return parser, verbs


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
