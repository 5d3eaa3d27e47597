"""`leadforge deploy promote`: a round-trip edit that keeps comments, a branch, a pull request."""

from __future__ import annotations

import json

import pytest

from leadforge.deploy.promote import ensure_component, plan_edit
from leadforge.errors import InputError
from leadforge.forge.local import LocalForge

SOURCE = """\
images:
  - name: ghcr.io/acme/web
    newTag: 1.4.0
  - name: ghcr.io/acme/worker
    digest: sha256:abc
configMapGenerator:
  - name: cfg
    literals:
      - APP_VERSION=1.4.0
      - LOG_LEVEL=debug
"""
TARGET = """\
# staging: reviewed promotions only
resources:
  - ../../base   # the shared objects

images:
  # the web app
  - name: ghcr.io/acme/web
    newTag: "1.3.9" # promoted
configMapGenerator:
  - name: cfg
    behavior: merge
    literals:
      - APP_VERSION=1.3.9
      - LOG_LEVEL=info
"""


def edit(**kwargs):
    return plan_edit(SOURCE, TARGET, source_path="dev/kustomization.yaml", target_path="staging/kustomization.yaml", **kwargs)


def test_promotion_copies_tags_and_keeps_comments_order_and_quotes():
    text, changes = edit()

    assert [(c.field, c.old, c.new) for c in changes] == [
        ("images[ghcr.io/acme/web].newTag", "1.3.9", "1.4.0"),
        ("images[ghcr.io/acme/worker].digest", None, "sha256:abc"),
    ]
    assert text == TARGET.replace(
        '    newTag: "1.3.9" # promoted\n',
        '    newTag: "1.4.0" # promoted\n  - name: ghcr.io/acme/worker\n    digest: sha256:abc\n',
    )


def test_image_overrides_and_chosen_fields():
    text, changes = edit(overrides={"ghcr.io/acme/web": "1.5.0-rc.1"}, fields=["configMapGenerator.cfg.APP_VERSION"])

    assert ("images[ghcr.io/acme/web].newTag", "1.3.9", "1.5.0-rc.1") in [(c.field, c.old, c.new) for c in changes]
    assert "      - APP_VERSION=1.4.0\n      - LOG_LEVEL=info\n" in text


def test_nothing_to_promote_returns_the_text_unchanged():
    same, _ = edit()
    again, changes = plan_edit(SOURCE, same, source_path="dev", target_path="staging")
    assert changes == () and again == same


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overrides": {"ghcr.io/acme/nope": "1"}}, "--image ghcr.io/acme/nope: no such image"),
        ({"fields": ["images.web"]}, "expected configMapGenerator.<name>.<KEY>"),
    ],
)
def test_bad_promotion_input_is_one_clear_error(kwargs, message):
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("<", ".").replace(">", ".")):
        edit(**kwargs)


def test_invalid_target_yaml_names_the_file_and_line():
    with pytest.raises(InputError, match=r"staging/kustomization.yaml:3: invalid YAML"):
        plan_edit(SOURCE, "images:\n  - [\n", source_path="dev", target_path="staging/kustomization.yaml")


def test_promotion_keeps_the_target_files_own_list_indentation():
    # A kustomization written with "- item" at the key's column: only the tag line may change.
    target = (
        "# prod\nresources:\n- ../../base\n- namespace.yaml  # ns\nimages:\n- name: ghcr.io/acme/web\n"
        "  newTag: 1.3.9\nlabels:\n- pairs:\n    tier: web\n"
    )
    text, changes = plan_edit(SOURCE, target, source_path="dev", target_path="prod", overrides={}, fields=())
    assert next(c.field for c in changes) == "images[ghcr.io/acme/web].newTag"
    expected = target.replace("  newTag: 1.3.9\n", "  newTag: 1.4.0\n").replace(
        "labels:", "- name: ghcr.io/acme/worker\n  digest: sha256:abc\nlabels:"
    )
    assert text == expected
    # And the component edit keeps it too.
    assert ensure_component(target, "k.yaml", "../../stations", True) == target + "components:\n- ../../stations\n"


def test_ensure_component_adds_once_and_removes():
    text = "resources:\n  - ../../base\n# tail comment\n"
    added = ensure_component(text, "k.yaml", "../../stations", True)
    assert "components:\n  - ../../stations\n" in added and "# tail comment" in added
    assert ensure_component(added, "k.yaml", "../../stations", True) == added
    removed = ensure_component(added, "k.yaml", "../../stations", False)
    assert "components: []\n" in removed and "../../stations" not in removed
    assert ensure_component(removed, "k.yaml", "../../stations", True) == added


@pytest.mark.integration
def test_promote_commits_on_a_branch_and_opens_a_pull_request(deploy_repo, run_cli):
    before = deploy_repo.git("rev-parse", "HEAD")
    original = (deploy_repo.path / "k8s/overlays/staging/kustomization.yaml").read_text()

    result = run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--json", repo=deploy_repo.path)

    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["result"] == "promoted"
    assert data["changes"] == [{"field": "images[ghcr.io/leadforge/leadforge].newTag", "old": "0.1.0", "new": "sha-4f2c1e9"}]
    branch = data["branch"]
    assert branch.startswith("promote/dev-to-staging-")
    # the user's checkout is untouched; the branch holds exactly one edit
    assert deploy_repo.git("rev-parse", "HEAD") == before
    assert (deploy_repo.path / "k8s/overlays/staging/kustomization.yaml").read_text() == original
    assert deploy_repo.git("diff", "--name-only", f"{before}..{branch}") == "k8s/overlays/staging/kustomization.yaml"
    promoted = deploy_repo.git("show", f"{branch}:k8s/overlays/staging/kustomization.yaml")
    assert promoted == original.replace("newTag: 0.1.0 # promoted", "newTag: sha-4f2c1e9 # promoted").rstrip("\n")
    pulls = LocalForge(deploy_repo.path, "octo/repo").list_pulls(head=branch)
    assert [(p.number, p.base_ref) for p in pulls] == [(data["pull_request"]["number"], "main")]
    assert pulls[0].title == "deploy: promote dev to staging (leadforge sha-4f2c1e9)"

    again = run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--json", repo=deploy_repo.path)
    assert json.loads(again.stdout)["result"] == "exists"
    assert len(LocalForge(deploy_repo.path, "octo/repo").list_pulls()) == 1


@pytest.mark.integration
def test_promotion_to_prod_needs_the_github_environment(deploy_repo, run_cli):
    result = run_cli("deploy", "promote", "--from", "staging", "--to", "prod", repo=deploy_repo.path)

    assert result.code == 1
    assert "needs the GitHub environment 'production'" in result.stderr
    assert deploy_repo.git("branch", "--list", "promote/*") == ""

    approved = run_cli(
        "deploy",
        "promote",
        "--from",
        "staging",
        "--to",
        "prod",
        "--image",
        "ghcr.io/leadforge/leadforge=0.2.0",
        "--no-pr",
        repo=deploy_repo.path,
        env={"GITHUB_ACTIONS": "true", "LEADFORGE_APPROVED_ENVIRONMENT": "production"},
    )
    assert approved.code == 0, approved.stderr
    assert "images[ghcr.io/leadforge/leadforge].newTag: 0.1.0 -> 0.2.0" in approved.stdout


@pytest.mark.integration
def test_unknown_environment_and_identical_overlays(deploy_repo, run_cli):
    assert "unknown environment 'qa'" in run_cli("deploy", "promote", "--from", "qa", "--to", "dev", repo=deploy_repo.path).stderr
    same = run_cli("deploy", "promote", "--from", "staging", "--to", "staging", repo=deploy_repo.path)
    assert same.code == 1 and "--from and --to are both 'staging'" in same.stderr


@pytest.mark.integration
def test_a_stale_remote_promotion_branch_is_reported_not_forced(deploy_repo, run_cli, tmp_path):
    from tests.conftest import git

    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    deploy_repo.git("remote", "add", "origin", str(bare))
    deploy_repo.git("push", "-q", "origin", "main")
    first = json.loads(
        run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--no-pr", "--json", repo=deploy_repo.path).stdout
    )
    # Someone pushed more to the promotion branch: it is no longer just this promotion.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", first["branch"], str(bare), str(other))
    (other / "EXTRA.md").write_text("more\n")
    git(other, "add", "EXTRA.md")
    git(other, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "extra")
    git(other, "push", "-q", "origin", first["branch"])
    stale = git(bare, "rev-parse", first["branch"])
    deploy_repo.commit("docs: something else", {"NOTES.md": "x\n"})

    again = run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--no-pr", repo=deploy_repo.path)

    assert again.code == 1
    assert f"origin/{first['branch']} already exists with other commits" in again.stderr
    assert git(bare, "rev-parse", first["branch"]) == stale


@pytest.mark.integration
def test_rerunning_a_promotion_reuses_its_branch_and_opens_the_pull_request(deploy_repo, run_cli, tmp_path):
    from tests.conftest import git

    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    deploy_repo.git("remote", "add", "origin", str(bare))
    deploy_repo.git("push", "-q", "origin", "main")
    # First run: committed and pushed, but no pull request (--no-pr, or the API failed after the push).
    first = json.loads(
        run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--no-pr", "--json", repo=deploy_repo.path).stdout
    )
    pushed = git(bare, "rev-parse", first["branch"])
    deploy_repo.commit("docs: main moves on", {"NOTES.md": "x\n"})  # a later run makes a commit with another sha

    again = run_cli("deploy", "promote", "--from", "dev", "--to", "staging", "--json", repo=deploy_repo.path)

    assert again.code == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["result"] == "promoted" and data["commit"] == pushed and data["pull_request"]["number"] == 1
    assert git(bare, "rev-parse", first["branch"]) == pushed
    pulls = LocalForge(deploy_repo.path, "").list_pulls(state="open")
    assert [(p.number, p.head_ref) for p in pulls] == [(1, first["branch"])]
