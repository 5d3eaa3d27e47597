"""`leadforge deploy`: argument parsing for this area."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from leadforge.cli import area_parser

if TYPE_CHECKING:
    from leadforge.app import App
    from leadforge.cli import Subparsers


def _image(value: str) -> str:
    if "=" not in value or not value.split("=", 1)[0] or not value.split("=", 1)[1]:
        raise argparse.ArgumentTypeError(f"expected NAME=TAG, got {value!r}")
    return value


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    _parser, verbs = area_parser(sub, common, "deploy", "environments: render, validate, diff, promote, apply, stations")

    render = verbs.add_parser(
        "render",
        parents=[common],
        help="render an environment's overlay with kubectl kustomize (or kustomize build)",
        description="Render k8s/overlays/ENV with the real kustomize; the output is byte-identical to running the tool.",
    )
    target = render.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", help="environment (an overlay under deploy.overlays_dir)")
    target.add_argument("--all", action="store_true", help="render every environment, in parallel")
    render.add_argument(
        "--out", metavar="PATH", help="write to PATH atomically instead of stdout (with --all: a folder, one ENV.yaml each)"
    )
    render.set_defaults(handler=_render)

    validate = verbs.add_parser(
        "validate",
        parents=[common],
        help="schema-validate, checkov and policy-check the rendered manifests",
        description="Offline schema validation (kubernetes-validate), checkov on the rendered manifests, and LeadForge's "
        "policy rules. Exit 1 when any error is found.",
    )
    vtarget = validate.add_mutually_exclusive_group(required=True)
    vtarget.add_argument("--env", help="environment to validate")
    vtarget.add_argument("--all", action="store_true", help="validate every environment")
    validate.add_argument("--no-checkov", action="store_true", help="skip checkov (schema and policy only)")
    validate.set_defaults(handler=_validate)

    diff = verbs.add_parser(
        "diff",
        parents=[common],
        help="per-environment diff of rendered objects between two git refs",
        description="Render every environment at --base and --head (git archive into temp folders) and print a unified "
        "diff per object, keyed by kind/namespace/name. With --pr N (or on a pull_request event) the diff is upserted "
        "as one PR comment when the PR touches deploy.diff_paths.",
    )
    diff.add_argument("--base", required=True, help="base git ref (e.g. origin/main)")
    diff.add_argument("--head", default="HEAD", help="head git ref (default: HEAD)")
    diff.add_argument("--env", action="append", dest="envs", metavar="ENV", help="limit to ENV (repeatable)")
    diff.add_argument("--pr", type=int, help="pull request to comment on (default: the pull_request event's number)")
    diff.add_argument("--comment", action="store_true", help="post the comment (implied by --pr or a pull_request event)")
    diff.set_defaults(handler=_diff)

    promote = verbs.add_parser(
        "promote",
        parents=[common],
        help="copy image tags from one overlay to the next and open a pull request",
        description="Copy image tags (and deploy.promote_fields) from the --from overlay into the --to overlay with a "
        "round-trip YAML edit that keeps comments and order, commit on a branch and open a pull request. "
        "Promotion to a production environment must run in a job of the GitHub environment deploy.approval_environment.",
    )
    promote.add_argument("--from", dest="source", required=True, metavar="ENV", help="environment to copy from")
    promote.add_argument("--to", dest="target", required=True, metavar="ENV", help="environment to update")
    promote.add_argument(
        "--image",
        dest="images",
        action="append",
        type=_image,
        default=[],
        metavar="NAME=TAG",
        help="set this tag instead of the source's (repeatable; NAME as in the overlay's images:)",
    )
    promote.add_argument("--no-pr", action="store_true", help="commit on the branch but open no pull request")
    promote.set_defaults(handler=_promote)

    apply = verbs.add_parser(
        "apply",
        parents=[common],
        help="deploy an environment: commit rendered manifests (pull) or kubectl apply (push)",
        description="pull (GitOps, default): commit the rendered manifests to the deploy/ENV branch (or rendered/ENV/) "
        "for Argo CD or Flux. push: kubectl apply --server-side with an applyset (prunes), kubectl rollout status with a "
        "timeout, kubectl rollout undo on failure; needs a kubeconfig.",
    )
    apply.add_argument("--env", required=True, help="environment to deploy")
    apply.add_argument("--mode", choices=("pull", "push"), help="default: deploy.apply_mode (pull)")
    apply.add_argument("--no-push", action="store_true", help="pull mode: commit but do not push to the remote")
    apply.add_argument(
        "--validate",
        action="store_true",
        help="first run the schema and policy checks (as `validate --no-checkov`); deploy nothing on an error",
    )
    apply.set_defaults(handler=_apply)

    stations = verbs.add_parser(
        "stations",
        parents=[common],
        help="render k8s/stations/<agent>/ for each agent profile",
        description="For each profiles/*.yml write a kustomize component: a namespace with a quota and limit range, a "
        "default-deny NetworkPolicy, a PVC for the workspace and a Deployment of the runner image; the overlays in "
        "deploy.stations.environments include it.",
    )
    stations.add_argument("--check", action="store_true", help="write nothing; exit 1 when the files are out of date")
    stations.set_defaults(handler=_stations)


def _render(app: App, env: str | None, all: bool, out: str | None) -> int:
    from leadforge.deploy.commands import render_command

    return render_command(app, env=env, all_envs=all, out=out)


def _validate(app: App, env: str | None, all: bool, no_checkov: bool) -> int:
    from leadforge.extras import need

    need("leadforge deploy validate", "kubernetes_validate")  # before rendering anything
    from leadforge.deploy.commands import validate_command

    return validate_command(app, env=env, all_envs=all, checkov=not no_checkov)


def _diff(app: App, base: str, head: str, envs: list[str] | None, pr: int | None, comment: bool) -> int:
    from leadforge.deploy.commands import diff_command

    return diff_command(app, base=base, head=head, envs=envs, pr=pr, comment=comment)


def _promote(app: App, source: str, target: str, images: list[str], no_pr: bool) -> int:
    from leadforge.deploy.commands import promote_command

    return promote_command(app, source=source, target=target, images=images, open_pr=not no_pr)


def _apply(app: App, env: str, mode: str | None, no_push: bool, validate: bool) -> int:
    if validate:
        from leadforge.extras import need

        need("leadforge deploy apply --validate", "kubernetes_validate")
    from leadforge.deploy.commands import apply_command

    return apply_command(app, env=env, mode=mode, push=not no_push, validate=validate)


def _stations(app: App, check: bool) -> int:
    from leadforge.deploy.commands import stations_command

    return stations_command(app, check=check)
