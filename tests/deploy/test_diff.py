"""`leadforge deploy diff`: rendered objects at two refs, one diff per object, an upserted PR comment."""

from __future__ import annotations

import json

import pytest

from leadforge.deploy.diffing import EnvDiff, ObjectDiff, diff_objects, render_comment, touches
from leadforge.forge.local import LocalForge
from tests.deploy.conftest import needs_kubectl, set_yaml

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: ns\ndata:\n  a: '{value}'\n"


def test_objects_are_keyed_and_diffed_one_by_one():
    base = CM.format(name="one", value=1) + "---\n" + CM.format(name="gone", value=1)
    head = CM.format(name="new", value=1) + "---\n" + CM.format(name="one", value=2)

    diffs = diff_objects(base, head, env="dev")

    assert [(d.key, d.status) for d in diffs] == [
        ("ConfigMap/ns/gone", "removed"),
        ("ConfigMap/ns/new", "added"),
        ("ConfigMap/ns/one", "changed"),
    ]
    changed = diffs[2].diff
    assert changed.startswith("--- a/ConfigMap/ns/one\n+++ b/ConfigMap/ns/one\n")
    assert "-  a: '1'\n+  a: '2'\n" in changed
    assert diffs[0].diff.splitlines()[1] == "+++ /dev/null"


def test_reordering_documents_is_no_change():
    a = CM.format(name="x", value=1) + "---\n" + CM.format(name="y", value=1)
    b = CM.format(name="y", value=1) + "---\n" + CM.format(name="x", value=1)
    assert diff_objects(a, b) == ()


def test_comment_has_a_collapsible_section_per_changed_environment():
    diffs = [
        EnvDiff("dev", ()),
        EnvDiff("staging", (ObjectDiff("Deployment/s/web", "changed", "--- a\n+++ b\n-x\n+y\n"),)),
        EnvDiff("prod", (), error="k8s/overlays/prod: kubectl kustomize failed: boom"),
    ]
    body = render_comment(diffs, "main", "feature")
    assert body.startswith("### Rendered manifests: `main` → `feature`")
    assert "- dev: no changes\n" in body
    assert "<details><summary><b>staging: 1 changed</b></summary>\n\n```diff\n--- a\n+++ b\n-x\n+y\n```" in body
    assert "<summary><b>prod: render failed</b></summary>" in body and "boom" in body


def test_huge_diffs_are_truncated_to_fit_a_comment():
    big = "".join(f"+line {i}\n" for i in range(20000))
    body = render_comment([EnvDiff("dev", (ObjectDiff("K/n/x", "added", big),))], "a", "b")
    assert len(body) < 65536
    assert "(truncated; run `leadforge deploy diff` for the full diff)" in body


def test_touches_matches_path_prefixes():
    assert touches(["README.md", "k8s/base/x.yaml"], ["k8s/", "terraform/"])
    assert not touches(["docs/k8s.md"], ["k8s/", "terraform/", "profiles/"])


@pytest.mark.integration
@needs_kubectl
def test_diff_between_refs_shows_the_changed_overlay_only(deploy_repo, run_cli):
    base = deploy_repo.git("rev-parse", "HEAD")
    set_yaml(
        deploy_repo, "k8s/overlays/staging/patch-deployment.yaml", "/spec/replicas\n  value: 2", "/spec/replicas\n  value: 4"
    )
    deploy_repo.commit("feat: more staging replicas")

    result = run_cli("deploy", "diff", "--base", base, repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    assert "# dev: no changes\n" in result.stdout
    assert "# prod: no changes\n" in result.stdout
    assert "# staging: 1 changed\n--- a/Deployment/leadforge-staging/leadforge-web\n" in result.stdout
    assert "-  replicas: 2\n+  replicas: 4\n" in result.stdout


@pytest.mark.integration
@needs_kubectl
def test_pull_request_comment_is_upserted_once(deploy_repo, run_cli):
    base = deploy_repo.git("rev-parse", "HEAD")
    deploy_repo.git("checkout", "-q", "-b", "feature")
    set_yaml(deploy_repo, "k8s/overlays/prod/kustomization.yaml", "LOG_LEVEL=warning", "LOG_LEVEL=error")
    deploy_repo.commit("feat: quieter prod")
    forge = LocalForge(deploy_repo.path, "octo/repo")
    pull = forge.open_pull("quieter prod", head="feature", base="main")

    first = run_cli("deploy", "diff", "--base", base, "--pr", str(pull.number), "--json", repo=deploy_repo.path)
    again = run_cli("deploy", "diff", "--base", base, "--pr", str(pull.number), "--json", repo=deploy_repo.path)

    assert first.code == 0, first.stderr
    assert json.loads(first.stdout)["comment"]["result"] == "created"
    assert json.loads(again.stdout)["comment"]["result"] == "unchanged"
    comments = forge.list_issue_comments(pull.number)
    assert len(comments) == 1
    body = comments[0].body
    assert "<!-- leadforge:deploy-diff -->" in body
    assert "<summary><b>prod: 2 changed</b></summary>" in body  # the ConfigMap (new hash name) and the Deployment
    assert "- dev: no changes" in body


@pytest.mark.integration
@needs_kubectl
def test_pull_request_outside_deploy_paths_gets_no_comment(deploy_repo, run_cli):
    base = deploy_repo.git("rev-parse", "HEAD")
    deploy_repo.commit("docs: readme", {"README.md": "# changed\n"})
    forge = LocalForge(deploy_repo.path, "octo/repo")
    pull = forge.open_pull("docs", head="main", base="main")

    result = run_cli("deploy", "diff", "--base", base, "--pr", str(pull.number), repo=deploy_repo.path)

    assert result.code == 0
    assert "touches none of k8s/, terraform/, profiles/: no comment" in result.stderr
    assert forge.list_issue_comments(pull.number) == []


@pytest.mark.integration
@needs_kubectl
def test_an_environment_added_at_head_shows_every_object_added(deploy_repo, run_cli):
    first = deploy_repo.git("rev-list", "--max-parents=0", "HEAD")  # before k8s/ existed

    result = run_cli("deploy", "diff", "--base", first, "--env", "dev", "--json", repo=deploy_repo.path)

    report = json.loads(result.stdout)["environments"]["dev"]
    assert result.code == 0
    assert report["changed"] == 0 and report["removed"] == 0 and report["added"] >= 10


def test_a_regenerated_configmap_is_one_change_not_an_add_and_a_remove():
    base = CM.format(name="cfg-5t8m2k9h4b", value=1)
    head = CM.format(name="cfg-7c6hb2bk9m", value=2)

    diffs = diff_objects(base, head)

    assert [(d.key, d.status) for d in diffs] == [("ConfigMap/ns/cfg-7c6hb2bk9m", "changed")]
    assert diffs[0].diff.startswith("--- a/ConfigMap/ns/cfg-5t8m2k9h4b\n+++ b/ConfigMap/ns/cfg-7c6hb2bk9m\n")


@pytest.mark.integration
@needs_kubectl
def test_a_broken_overlay_at_head_fails_naming_repository_paths_not_temp_folders(deploy_repo, run_cli):
    base = deploy_repo.git("rev-parse", "HEAD")
    set_yaml(deploy_repo, "k8s/overlays/dev/kustomization.yaml", "  - namespace.yaml", "  - namespace.yaml\n  - gone.yaml")
    deploy_repo.commit("break dev")

    first = run_cli("deploy", "diff", "--base", base, "--json", repo=deploy_repo.path)
    second = run_cli("deploy", "diff", "--base", base, "--json", repo=deploy_repo.path)

    assert first.code == 1
    error = json.loads(first.stdout)["environments"]["dev"]["error"]
    assert error.startswith("k8s/overlays/dev@HEAD: kubectl kustomize failed:") and "k8s/overlays/dev/gone.yaml" in error
    assert "leadforge-diff-" not in error
    assert json.loads(second.stdout) == json.loads(first.stdout), "the same input gives the same report (and comment)"
