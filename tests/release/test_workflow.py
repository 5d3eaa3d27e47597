"""Releases through the workflow harness (tests/harness).

* A repository that adopts LeadForge: its caller (``leadforge-release.yml`` from ``leadforge init --reusable``)
  calls reusable-release.yml, which publishes the release with notes and commits the changelogs.
* LeadForge itself: release.yml builds the dists, publishes them to PyPI with trusted publishing, builds and
  pushes the images with provenance, attaches dists, SBOMs and audit to the release and moves the v1 tag.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.fixtures.events import load_event
from tests.harness import Harness, load_workflow
from tests.workflows.callers import render_callers
from tests.workflows.pins import PINS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
REUSABLE = ROOT / ".github" / "workflows" / "reusable-release.yml"
CALLER = "leadforge-release.yml"


def _pins_hold(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "uses:" in line and "@" in line:
            action, _, rest = line.split("uses:", 1)[1].strip().partition("@")
            if "/.github/workflows/" not in action:
                assert rest.split()[0] == PINS[action].sha, line


def test_release_workflow_is_thin_pinned_and_least_privilege() -> None:
    data = load_workflow(REUSABLE)
    assert data["permissions"] == {}
    assert list(data["jobs"]) == ["publish"]
    assert data["jobs"]["publish"]["permissions"] == {"contents": "write"}
    steps = data["jobs"]["publish"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert len(runs) == 1 and 'release publish --tag "$TAG" --changelog' in runs[0] and 'leadforge "${args[@]}"' in runs[0]
    assert [s["uses"] for s in steps if s.get("uses", "").startswith("$/")] == ["$/.github/actions/install"]
    assert steps[-1]["env"]["TAG"] == "${{ inputs.tag || github.ref_name }}"  # untrusted text only through env
    _pins_hold(REUSABLE)


def test_leadforge_release_is_least_privilege_and_oidc_only_where_it_publishes() -> None:
    data = load_workflow(WORKFLOW)
    jobs = data["jobs"]
    assert data["permissions"] == {}
    assert list(jobs) == ["dist", "pypi", "image", "release", "major-tag"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "dist": {"contents": "read"},
        "pypi": {"id-token": "write"},  # trusted publishing: no token, no password
        "image": {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
        "release": {"contents": "write"},
        "major-tag": {"contents": "write"},
    }
    publish = next(s for s in jobs["pypi"]["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@"))
    assert set(publish["with"]) == {"packages-dir"} and jobs["pypi"]["environment"] == "pypi"
    assert jobs["release"]["uses"] == "$/.github/workflows/reusable-release.yml"
    assert jobs["release"]["with"] == {"assets": "leadforge-assets-*"} and "secrets" not in jobs["release"]
    assert "-" in jobs["major-tag"]["if"] and "github.ref_name" in jobs["major-tag"]["if"]
    # no stored credential anywhere: the one secret is the job token (GHCR login); PyPI is reached by OIDC alone
    assert set(re.findall(r"secrets\.([A-Za-z_]+)", WORKFLOW.read_text())) == {"GITHUB_TOKEN"}
    _pins_hold(WORKFLOW)


def _tag(repo: Repo, *messages: str, tag: str) -> None:
    for message in messages:
        repo.commit(message)
    repo.git("tag", "-a", "-m", tag, tag)


def _remote(harness: Harness, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=harness.remote, capture_output=True, text=True, check=True).stdout


@pytest.mark.integration
def test_tag_push_publishes_once_and_commits_the_changelog(git_repo: Repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None:
        pytest.skip("the GitHub forge (leadforge.forge.github) is not built yet")
    _tag(git_repo, "feat: one", tag="v1.0.0")
    _tag(git_repo, "feat(ui): two (#3)", "fix!: three", tag="v1.1.0")
    harness = Harness(
        git_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "callers")
    )
    push = load_event("push.tag", ref="refs/tags/v1.1.0")
    result = harness.run(CALLER, "push", push, ref="refs/tags/v1.1.0")
    assert result.ok, result.explain()
    assert result.ran == ["release/publish"]  # the caller ran reusable-release.yml of LeadForge's repository
    release = github_double.release_by_tag("v1.1.0")
    assert release is not None and not release["prerelease"]
    body = release["body"]
    assert body.index("### ⚠ Breaking changes") < body.index("### Features") < body.index("### Bug Fixes")
    assert f"{github_double.server_url}/{github_double.repository}/pull/3" in body
    assert "## Release" in result.summary and "two" in result.summary
    changelog = _remote(harness, "show", "main:CHANGELOG.md")
    assert "## [v1.1.0]" in changelog and "three" in changelog
    head = _remote(harness, "rev-parse", "main")
    again = harness.run(CALLER, "push", push, ref="refs/tags/v1.1.0")
    assert again.ok, again.explain()
    assert len([r for r in github_double.releases.values() if r["tag"] == "v1.1.0"]) == 1
    assert _remote(harness, "rev-parse", "main") == head  # the changelog entry is already there


@pytest.mark.parametrize("workflow", ["release.yml", CALLER])
def test_floating_and_other_tags_do_not_trigger(git_repo: Repo, tmp_path: Path, workflow: str) -> None:
    folder = render_callers(tmp_path / "callers") if workflow == CALLER else None
    harness = Harness(git_repo.path, root=tmp_path / "gh", workflows_dir=folder)
    for ref in ("refs/tags/v1", "refs/tags/v1.2", "refs/tags/nightly", "refs/heads/main"):
        result = harness.run(workflow, "push", load_event("push.tag", ref=ref), ref=ref)
        assert not result.triggered, ref
    pre = harness.run(workflow, "push", load_event("push.tag", ref="refs/tags/v2.0.0-rc.1"), ref="refs/tags/v2.0.0-rc.1", jobs=[])
    assert pre.triggered


def _png(path: Path, box: tuple[int, int, int, int] | None = None) -> None:
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (40, 30), (255, 255, 255, 255))
    if box:
        ImageDraw.Draw(image).rectangle(box, fill=(200, 20, 20, 255))
    image.save(path)


@pytest.mark.integration
def test_tag_push_with_screenshots_uploads_them_and_reruns_cleanly(git_repo: Repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None or importlib.util.find_spec("leadforge.visual.release") is None:
        pytest.skip("needs the GitHub forge and the visual area")
    _png(git_repo.path / "screenshots/releases/v1.0.0/home-1280x800.png")
    _png(git_repo.path / "screenshots/baseline/home-1280x800.png")
    _tag(git_repo, "feat: one", tag="v1.0.0")
    _png(git_repo.path / "screenshots/baseline/home-1280x800.png", (0, 0, 9, 9))
    _tag(git_repo, "feat(ui): restyle home", tag="v1.1.0")
    harness = Harness(
        git_repo.path, root=tmp_path / "gh", api_double=github_double, workflows_dir=render_callers(tmp_path / "callers")
    )
    push = load_event("push.tag", ref="refs/tags/v1.1.0")
    first = harness.run(CALLER, "push", push, ref="refs/tags/v1.1.0")
    assert first.ok, first.explain()
    release = github_double.release_by_tag("v1.1.0")
    assert release is not None and "<details>" in release["body"]
    names = sorted(github_double.assets[a]["name"] for a in release["assets"])
    assert names == ["v1.0.0-home-1280x800.png", "v1.1.0-diffs-home-1280x800.png", "v1.1.0-home-1280x800.png"]
    files = _remote(harness, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert "screenshots/releases/v1.1.0/home-1280x800.png" in files and "VISUAL_CHANGELOG.md" in files
    head = _remote(harness, "rev-parse", "main")
    again = harness.run(CALLER, "push", push, ref="refs/tags/v1.1.0")
    assert again.ok, again.explain()
    assert _remote(harness, "rev-parse", "main") == head
    release = github_double.release_by_tag("v1.1.0")
    assert len(release["assets"]) == 3


# ---- LeadForge's own release.yml -------------------------------------------------------------------

PYPROJECT = '[project]\nname = "leadforge"\nversion = "{version}"\n'
# Stand-ins for the three steps that cannot run here, each saying why:
STAND_INS = {
    # `uv build` downloads the build backend (setuptools) from the package registry: the tagged tree, archived as
    # git would for an sdist, stands in for the wheel and sdist
    "build": 'mkdir -p "$RUNNER_TEMP/dist" && git rev-parse HEAD > "$RUNNER_TEMP/dist/RELEASE_COMMIT" && '
    'v="${GITHUB_REF_NAME#v}" && git archive --prefix="leadforge-$v/" -o "$RUNNER_TEMP/dist/leadforge-$v.tar.gz" HEAD',
    # no Docker daemon and no base image to pull (container/build.sh has its own buildah test): the outputs it
    # writes, the SBOMs and the audit report, stand in
    "images": 'mkdir -p "$LEADFORGE_BUILD_OUT" && cd "$LEADFORGE_BUILD_OUT" && '
    'echo \'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}\' > sbom-image.cdx.json && '
    "cp sbom-image.cdx.json sbom-wheel.cdx.json && echo '{\"dependencies\": []}' > pip-audit.json",
    # no registry to push to: the digests the registry would report stand in
    "push": "for image in cli visual; do "
    'echo "$image=sha256:$(printf "%s" "$image-$VERSION" | sha256sum | cut -d" " -f1)" >> "$GITHUB_OUTPUT"; done',
}


@pytest.fixture
def leadforge_repo(git_repo: Repo) -> Repo:
    git_repo.write("pyproject.toml", PYPROJECT.format(version="1.0.0"))
    _tag(git_repo, "feat: one", tag="v1.0.0")
    git_repo.write("pyproject.toml", PYPROJECT.format(version="1.1.0"))
    _tag(git_repo, "feat: two", tag="v1.1.0")
    return git_repo


@pytest.mark.integration
def test_leadforge_release_publishes_everything_and_moves_v1(leadforge_repo: Repo, tmp_path: Path, github_double) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None:
        pytest.skip("the GitHub forge (leadforge.forge.github) is not built yet")
    harness = Harness(leadforge_repo.path, root=tmp_path / "gh", api_double=github_double)
    tagged = leadforge_repo.git("rev-parse", "v1.1.0^{commit}")
    result = harness.run(
        "release.yml", "push", load_event("push.tag", ref="refs/tags/v1.1.0"), ref="refs/tags/v1.1.0", replace_run=STAND_INS
    )
    assert result.ok, result.explain()
    assert result.ran == ["dist", "pypi", "image", "release/publish", "major-tag"]
    assert result.job("dist").outputs == {"version": "1.1.0"}
    # PyPI: the dists of the dist job, by trusted publishing (the job has an OIDC token, nothing else does)
    (publish,) = result.uses_of("pypa/gh-action-pypi-publish")
    assert sorted(p.name for p in publish.path("packages-dir").iterdir()) == ["RELEASE_COMMIT", "leadforge-1.1.0.tar.gz"]
    assert (publish.path("packages-dir") / "RELEASE_COMMIT").read_text().strip() == tagged
    oidc = {job.id for job in result.jobs for step in job.steps if "ACTIONS_ID_TOKEN_REQUEST_URL" in step.env}
    assert oidc == {"pypi", "image"}
    # GHCR: both images attested by the digests the push reported, after logging in with the job's token
    (login,) = result.uses_of("docker/login-action")
    assert login.with_["registry"] == "ghcr.io" and login.with_["password"] == github_double.token
    digests = result.job("image").step("push").outputs
    assert [(a.with_["subject-name"], a.with_["subject-digest"]) for a in result.uses_of("actions/attest-build-provenance")] == [
        ("ghcr.io/leadforge/leadforge", digests["cli"]),
        ("ghcr.io/leadforge/leadforge", digests["visual"]),
    ]
    # the GitHub release: notes, and the dists, SBOMs and audit as assets
    release = github_double.release_by_tag("v1.1.0")
    assert release is not None and "two" in release["body"] and not release["prerelease"]
    assert sorted(github_double.assets[a]["name"] for a in release["assets"]) == [
        "RELEASE_COMMIT",
        "leadforge-1.1.0.tar.gz",
        "pip-audit.json",
        "sbom-image.cdx.json",
        "sbom-wheel.cdx.json",
    ]
    assert "## [v1.1.0]" in _remote(harness, "show", "main:CHANGELOG.md")
    # the action's major tag follows the newest final release
    assert _remote(harness, "rev-parse", "refs/tags/v1").strip() == tagged
    assert result.job("major-tag").step("move").outputs == {"moved": "v1"}
    for step in ("build", "images", "push"):
        assert next(s for j in result.jobs for s in j.steps if s.id == step).replaced


@pytest.mark.integration
def test_leadforge_prereleases_and_older_lines_leave_v1_alone_and_a_wrong_version_publishes_nothing(
    leadforge_repo: Repo, tmp_path: Path, github_double
) -> None:
    if importlib.util.find_spec("leadforge.forge.github") is None:
        pytest.skip("the GitHub forge (leadforge.forge.github) is not built yet")
    leadforge_repo.git("tag", "v1", "v1.1.0^{commit}")  # v1 where the last release put it
    v1 = leadforge_repo.git("rev-parse", "v1")
    leadforge_repo.git("checkout", "-q", "-b", "next")
    leadforge_repo.write("pyproject.toml", PYPROJECT.format(version="2.0.0rc1"))  # PEP 440 for the tag v2.0.0-rc.1
    _tag(leadforge_repo, "feat!: three", tag="v2.0.0-rc.1")
    leadforge_repo.git("checkout", "-q", "-b", "maint", "v1.0.0")
    leadforge_repo.write("pyproject.toml", PYPROJECT.format(version="1.0.1"))
    _tag(leadforge_repo, "fix: backport", tag="v1.0.1")
    leadforge_repo.git("checkout", "-q", "main")
    harness = Harness(leadforge_repo.path, root=tmp_path / "gh", api_double=github_double)

    pre = harness.run(
        "release.yml",
        "push",
        load_event("push.tag", ref="refs/tags/v2.0.0-rc.1"),
        ref="refs/tags/v2.0.0-rc.1",
        replace_run=STAND_INS,
    )
    assert pre.ok, pre.explain()
    assert pre.ran == ["dist", "pypi", "image", "release/publish"]  # no major-tag for a pre-release
    assert pre.job("major-tag").result == "skipped"
    assert github_double.release_by_tag("v2.0.0-rc.1")["prerelease"]
    assert _remote(harness, "tag", "--list", "v2").strip() == ""

    older = harness.run(
        "release.yml", "push", load_event("push.tag", ref="refs/tags/v1.0.1"), ref="refs/tags/v1.0.1", replace_run=STAND_INS
    )
    assert older.ok, older.explain()
    assert "major-tag" in older.ran and older.job("major-tag").step("move").outputs == {}
    assert "v1 stays at v1.1.0" in older.job("major-tag").step("move").stdout
    assert _remote(harness, "rev-parse", "refs/tags/v1").strip() == v1
    assert github_double.release_by_tag("v1.0.1") is not None

    leadforge_repo.git("tag", "-a", "-m", "v1.2.0", "v1.2.0")  # pyproject.toml still says 1.1.0
    harness.sync()  # the tag is pushed
    wrong = harness.run("release.yml", "push", load_event("push.tag", ref="refs/tags/v1.2.0"), ref="refs/tags/v1.2.0")
    assert not wrong.ok and wrong.ran == ["dist"] and wrong.job("dist").result == "failure"
    assert any("the tag is v1.2.0 but pyproject.toml says version 1.1.0" in a.message for a in wrong.errors())
    assert github_double.release_by_tag("v1.2.0") is None and not wrong.uses_of("pypa/gh-action-pypi-publish")


def test_leadforge_prerelease_skips_the_major_tag(leadforge_repo: Repo, tmp_path: Path) -> None:
    harness = Harness(leadforge_repo.path, root=tmp_path / "gh")
    doc = load_workflow(WORKFLOW)
    from tests.harness import evaluate

    condition = doc["jobs"]["major-tag"]["if"].strip().removeprefix("${{").removesuffix("}}")
    assert evaluate(condition, {"github": {"ref_name": "v2.0.0-rc.1"}}) is False
    assert evaluate(condition, {"github": {"ref_name": "v2.0.0"}}) is True
    assert harness.run(
        "release.yml", "push", load_event("push.tag", ref="refs/tags/v2.0.0-rc.1"), ref="refs/tags/v2.0.0-rc.1", jobs=[]
    ).triggered
