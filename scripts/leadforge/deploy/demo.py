"""Demo stage: environments. Render and validate dev/staging/prod with the real kustomize, promote dev to
staging through a pull request (with the rendered-diff comment on it), and deploy dev in GitOps pull mode
to a bare remote's deploy/dev branch."""

from __future__ import annotations

import shutil
from typing import Any

from leadforge import proc
from leadforge.demo import Demo
from leadforge.tools import tool_path

NEEDS = ("kubernetes_validate",)  # optional modules (leadforge.extras): deploy validate checks the schemas

ENVS = ("dev", "staging", "prod")


def run_stage(demo: Demo) -> dict[str, Any]:
    demo.check(
        (demo.root / "k8s" / "overlays" / "dev" / "kustomization.yaml").is_file(),
        "`leadforge init` scaffolded the kustomize overlays",
    )
    work = demo.out / "work" / "deploy"
    work.mkdir(parents=True, exist_ok=True)

    stations = demo.cli("deploy", "stations", "--json").json()
    if stations["changed"]:
        demo.commit("chore(deploy): station components from the agent profiles", ["k8s"])
    demo.check(demo.cli("deploy", "stations", "--check").code == 0, "the stations component matches the agent profiles")

    rendered = demo.cli("deploy", "render", "--all", "--out", str(work / "rendered"), "--json").json()["environments"]
    demo.check(sorted(rendered) == sorted(ENVS), "every environment renders with the real kustomize")
    for env in ENVS:
        direct = proc.run(["kubectl", "kustomize", str(demo.root / "k8s/overlays" / env)], text=False)
        demo.check(
            direct.stdout == (work / "rendered" / f"{env}.yaml").read_bytes(),
            f"`deploy render --env {env}` is byte-identical to kubectl kustomize",
        )

    checkov = tool_path("checkov")
    with_checkov = bool(checkov and shutil.which(checkov))
    validate = demo.cli("deploy", "validate", "--all", "--json", *([] if with_checkov else ["--no-checkov"])).json()
    demo.check(validate["ok"], "the shipped overlays pass schema, policy" + (" and checkov" if with_checkov else ""))

    promote = demo.cli("deploy", "promote", "--from", "dev", "--to", "staging", "--json").json()
    demo.check(
        promote["result"] == "promoted" and promote["pull_request"] is not None, "promotion dev -> staging opens a pull request"
    )
    number, branch = promote["pull_request"]["number"], promote["branch"]
    diff = demo.cli("deploy", "diff", "--base", "main", "--head", branch, "--pr", str(number), "--json").json()
    demo.check(
        diff["comment"] is not None and diff["environments"]["staging"]["changed"] >= 1,
        "the promotion pull request gets the rendered diff of staging",
    )
    comment = next(c.body for c in demo.forge.list_issue_comments(number) if "leadforge:deploy-diff" in c.body)
    (work / "promotion-diff.md").write_text(comment, encoding="utf-8")
    kept = demo.git.show_file(branch, "k8s/overlays/staging/kustomization.yaml") or ""
    demo.check("# promoted" in kept and "# The staging environment" in kept, "the promotion edit keeps the file's comments")

    # Pull mode: a bare "origin" stands in for GitHub; Argo CD / Flux would follow its deploy/dev branch.
    origin = demo.root.parent / "origin.git"
    proc.run(["git", "init", "-q", "--bare", str(origin)])
    demo.git.run("remote", "add", "origin", str(origin))
    try:
        demo.git.run("push", "-q", "origin", "main")
        first = demo.cli("deploy", "apply", "--env", "dev", "--validate", "--json").json()
        again = demo.cli("deploy", "apply", "--env", "dev", "--json").json()
        shipped = proc.run(["git", "show", "deploy/dev:manifests.yaml"], cwd=origin, text=False).stdout
    finally:
        demo.git.run("remote", "remove", "origin")
    demo.check(first["result"] == "committed" and first["pushed"], "pull-mode apply pushes deploy/dev to the remote")
    demo.check(shipped == (work / "rendered" / "dev.yaml").read_bytes(), "deploy/dev holds exactly the dev render")
    demo.check(again["result"] == "unchanged", "re-applying the same render commits nothing")

    push = demo.cli("deploy", "apply", "--env", "prod", "--mode", "push", "--dry-run", "--json").json()
    demo.check(
        push["steps"][0][1:4] == ["apply", "--server-side", "--field-manager=leadforge"],
        "push mode plans a server-side apply with an applyset",
    )

    findings = sum(len(r["findings"]) for r in validate["environments"].values())
    return {
        "title": "Environments: overlays, validation, promotion, GitOps apply",
        "summary": f"Rendered {', '.join(ENVS)} with the real kustomize (byte-identical to kubectl kustomize), validated them "
        f"({'schema, policy, checkov' if with_checkov else 'schema, policy'}: {findings} finding(s)), opened promotion "
        f"PR #{number} dev → staging with its rendered diff, and committed dev's manifests to deploy/dev "
        f"({first['commit'][:12]}) for Argo CD / Flux.",
        "facts": {
            **{f"{env} manifests": f"{rendered[env]['bytes']} bytes" for env in ENVS},
            "validation": "ok" if validate["ok"] else "failed",
            "promotion PR": f"#{number} ({branch})",
            "changes promoted": len(promote["changes"]),
            "deploy/dev commit": first["commit"][:12],
            "stations": len(stations["stations"]),
        },
        "artifacts": [
            *(demo.artifact(work / "rendered" / f"{env}.yaml", f"{env}.yaml") for env in ENVS),
            demo.artifact(work / "promotion-diff.md"),
        ],
    }
