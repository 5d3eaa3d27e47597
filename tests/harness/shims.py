"""The programs the harness puts on a job's PATH in place of installers and daemons it must not use.

Each is a script with ``@NAME@`` placeholders that :func:`write_shims` fills in:

* ``pip``/``pip3``/``python``: installing the project (``.``, ``leadforge==<installed version>``) is a no-op
  when that leadforge is importable; anything else goes to the real pip.
* ``pipx install <tool>``: links the tool ``./setup.sh`` installed (``.venv-tools/<tool>``); never downloads.
* ``uv`` (only on PATH once ``astral-sh/setup-uv`` ran, as on a runner): ``uv sync --locked`` of a LeadForge
  checkout and ``uv venv`` + ``uv pip install leadforge==<installed version>`` make the requested environment
  a link to this machine's venv (where leadforge is installed editable); installs that are not from the lock,
  of other projects or other versions fail, because nothing may be downloaded.
* ``docker run <LeadForge image> ...``: runs the image's entrypoint (``leadforge``) on this machine with exactly
  the environment, working directory and same-path volumes the command line passes, and records the call
  (``Harness.docker_runs``); every other docker command fails (no daemon, no registry).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DOCKER_SHIM", "PIPX_SHIM", "PIP_SHIM", "PYTHON_SHIM", "UV_SHIM", "write_shims"]

PIP_SHIM = r"""#!@PYTHON@
# workflow-harness pip shim: installing the project (".", ".[dev]", "leadforge==<installed version>") is a
# no-op when that leadforge is already importable; anything else goes to the real pip.
import importlib.metadata
import os
import re
import sys

PYTHON = "@PYTHON@"
FLAGS = {"-e", "--editable", "-U", "--upgrade", "-q", "--quiet", "-v", "--verbose", "--no-deps", "--user",
         "--no-cache-dir", "--disable-pip-version-check", "--break-system-packages", "--no-input", "--progress-bar",
         "--upgrade-strategy", "--prefer-binary", "--no-build-isolation"}


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def satisfied(spec):
    spec = spec.strip().strip("'\"")
    workspace = os.environ.get("GITHUB_WORKSPACE", "")
    base = re.sub(r"\[[^\]]*\]$", "", spec).rstrip("/")
    if base in ("", ".", workspace.rstrip("/")) or (workspace and os.path.abspath(base) == os.path.abspath(workspace)):
        return installed("leadforge") is not None
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?(?:==([^,;\s]+))?", spec)
    if not match:
        return False
    name, _, version = match.groups()
    have = installed(name)
    if name.lower() in ("pip", "setuptools", "wheel"):
        return have is not None and version is None
    return name.lower() == "leadforge" and have is not None and (version is None or version == have)


args = sys.argv[1:]
if args[:1] == ["install"]:
    rest = args[1:]
    specs = [a for a in rest if not a.startswith("-")]
    flags = [a.split("=", 1)[0] for a in rest if a.startswith("-")]
    if specs and all(f in FLAGS for f in flags) and all(satisfied(s) for s in specs):
        print(
            f"workflow harness: 'pip {' '.join(args)}' skipped: "
            f"leadforge {installed('leadforge')} is already installed in {sys.prefix}"
        )
        sys.exit(0)
os.execv(PYTHON, [PYTHON, "-m", "pip", *args])
"""

PIPX_SHIM = r"""#!@PYTHON@
# workflow-harness pipx shim: `pipx install <tool spec>` links a tool this machine already has (the project's
# .venv-tools/<tool>/bin, else PATH) into the runner's bin folder; it never downloads.
import os
import re
import shutil
import sys

TOOLS = "@TOOLS@"
BIN = "@PIPXBIN@"
SHIMS = "@SHIMS@"
args = sys.argv[1:]
if args[:1] != ["install"]:
    sys.exit(f"workflow harness: 'pipx {' '.join(args)}' is not emulated (only 'pipx install <tool>')")
specs = [a for a in args[1:] if not a.startswith("-")]
if not specs:
    sys.exit("pipx install: no package given")
for spec in specs:
    name = re.match(r"[A-Za-z0-9_.-]+", spec.strip("'\"")).group(0)
    candidates = [os.path.join(TOOLS, name, "bin", name)]
    search = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p not in (BIN, SHIMS))
    found = next((c for c in candidates if os.access(c, os.X_OK)), None) or shutil.which(name, path=search)
    if not found:
        sys.exit(f"workflow harness: pipx cannot download {spec!r} here; install {name} with ./setup.sh first")
    os.makedirs(BIN, exist_ok=True)
    link = os.path.join(BIN, name)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(found, link)
    print(f"workflow harness: 'pipx install {spec}' linked the installed {name} ({found})")
"""

PYTHON_SHIM = r"""#!/bin/bash
# workflow-harness python shim: routes `python -m pip` through the pip shim.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; exec "@SHIMS@/pip" "$@"; fi
exec @PYTHON@ "$@"
"""

UV_SHIM = r"""#!@PYTHON@
# workflow-harness uv shim (see tests/harness/shims.py): environments from a LeadForge lock become links to this
# machine's venv; nothing is downloaded.
import importlib.metadata
import os
import re
import sys
import tomllib

PREFIX = sys.prefix
# the extras issue 11 names (the packaging half declares them in pyproject.toml); a typo is still an error
CONTRACT_EXTRAS = {"visual", "deploy", "scan", "serve", "dev"}


def fail(message, code=2):
    print(f"workflow harness: {message}", file=sys.stderr)
    sys.exit(code)


def installed_version():
    try:
        return importlib.metadata.version("leadforge")
    except importlib.metadata.PackageNotFoundError:
        fail("leadforge is not installed in the harness venv; run ./setup.sh")


def link_environment(path):
    path = os.path.abspath(path)
    if os.path.islink(path) and os.path.realpath(path) == os.path.realpath(PREFIX):
        return
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
            os.rmdir(path)
        else:
            fail(f"{path} exists and is not an environment the harness made")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(PREFIX, path)


def options(args, with_value):
    # (flags, values, positionals): values maps an option to every value it was given
    flags, values, positionals = set(), {}, []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            values.setdefault(name, []).append(value)
        elif arg in with_value:
            if i + 1 >= len(args):
                fail(f"uv: {arg} needs a value")
            values.setdefault(arg, []).append(args[i + 1])
            i += 1
        elif arg.startswith("-"):
            flags.add(arg)
        else:
            positionals.append(arg)
        i += 1
    return flags, values, positionals


def sync(args):
    flags, values, _ = options(args, {"--project", "--directory", "--extra", "--python", "-p", "--group", "--no-group"})
    if not flags & {"--locked", "--frozen"}:
        fail("'uv sync' without --locked or --frozen would re-resolve the dependencies; LeadForge installs from its lock")
    project = os.path.abspath((values.get("--project") or values.get("--directory") or ["."])[-1])
    pyproject = os.path.join(project, "pyproject.toml")
    if not os.path.isfile(pyproject) or not os.path.isfile(os.path.join(project, "uv.lock")):
        fail(f"uv sync: {project} has no pyproject.toml and uv.lock")
    with open(pyproject, "rb") as handle:
        meta = tomllib.load(handle).get("project") or {}
    if meta.get("name") != "leadforge":
        fail(f"uv sync: {project} is not LeadForge (project {meta.get('name')!r}); only LeadForge's lock is emulated")
    declared = set(meta.get("optional-dependencies") or {}) | CONTRACT_EXTRAS
    unknown = sorted(set(values.get("--extra", [])) - declared)
    if unknown:
        fail(f"uv sync: extra {unknown[0]!r} is not defined in {pyproject} (known: {', '.join(sorted(declared))})")
    target = os.environ.get("UV_PROJECT_ENVIRONMENT") or os.path.join(project, ".venv")
    link_environment(target)
    version = installed_version()
    print(f"workflow harness: 'uv sync {' '.join(args)}' skipped: leadforge {version} is already installed in {PREFIX}")


def satisfied(spec, version):
    match = re.fullmatch(r"leadforge(\[[a-z0-9,-]*\])?(?:==([^,;\s]+))?", spec.strip().strip("'\""))
    return bool(match) and match.group(2) in (None, version)


def pip(args):
    if args[:1] != ["install"]:
        fail(f"'uv pip {' '.join(args)}' is not emulated (only 'uv pip install leadforge==<installed version>')")
    _, values, specs = options(args[1:], {"--python", "-p", "--constraint", "-c", "--requirement", "-r", "--index-url"})
    if values.get("--requirement") or values.get("-r") or not specs:
        fail("uv pip install: only package specs are emulated")
    version = installed_version()
    missing = [s for s in specs if not satisfied(s, version)]
    if missing:
        fail(f"uv pip install {missing[0]}: nothing can be downloaded here (leadforge {version} is what is installed)", 1)
    python = (values.get("--python") or values.get("-p") or [None])[-1]
    if python and os.path.realpath(python) != os.path.realpath(os.path.join(PREFIX, "bin", "python")):
        fail(f"uv pip install --python {python}: not an environment the harness made")
    print(f"workflow harness: 'uv pip {' '.join(args)}' skipped: leadforge {version} is already installed in {PREFIX}")


def main(args):
    if args[:1] in (["--version"], ["-V"], ["version"]):
        print("uv 0.0.0 (workflow harness shim)")
    elif args[:1] == ["sync"]:
        sync(args[1:])
    elif args[:1] == ["venv"]:
        _, _, positionals = options(args[1:], {"--python", "-p", "--prompt"})
        link_environment(positionals[0] if positionals else ".venv")
        print(f"workflow harness: 'uv venv' made a link to {PREFIX}")
    elif args[:1] == ["pip"]:
        pip(args[1:])
    elif args[:2] == ["cache", "dir"]:
        print(os.environ.get("UV_CACHE_DIR") or os.path.expanduser("~/.cache/uv"))
    elif args[:2] == ["cache", "prune"]:
        print("workflow harness: 'uv cache prune' has nothing to prune")
    else:
        fail(f"'uv {' '.join(args)}' is not emulated (it would download); replace the step in the test and say why")


main(sys.argv[1:])
"""

DOCKER_SHIM = r"""#!@PYTHON@
# workflow-harness docker shim (see tests/harness/shims.py): `docker run` of a LeadForge image runs its
# entrypoint on this machine with only what the command line passes; nothing else is emulated.
import json
import os
import sys

VENV_BIN = "@VENVBIN@"
LOG = "@DOCKERLOG@"
WITH_VALUE = {"-v", "--volume", "-e", "--env", "-w", "--workdir", "-u", "--user", "--entrypoint", "--name",
              "--network", "--pull", "--platform", "--env-file", "--label", "-l", "--mount"}


def fail(message, code=125):
    print(f"workflow harness: {message}", file=sys.stderr)
    sys.exit(code)


args = sys.argv[1:]
if args[:1] != ["run"]:
    fail(f"'docker {' '.join(args[:1])}' is not emulated (no daemon, no registry): replace the step in the test and say why")
opts = {}
flags = set()
i = 1
while i < len(args) and args[i].startswith("-"):
    arg = args[i]
    if "=" in arg and arg.startswith("--"):
        name, value = arg.split("=", 1)
        opts.setdefault(name, []).append(value)
    elif arg in WITH_VALUE:
        opts.setdefault(arg, []).append(args[i + 1])
        i += 1
    else:
        flags.add(arg)
    i += 1
if i >= len(args):
    fail("docker run: no image given")
image, command = args[i], args[i + 1 :]
name = image.split("@", 1)[0].rsplit(":", 1)[0] if "@" in image or image.count(":") else image
if not name.rsplit("/", 1)[-1].startswith("leadforge"):
    fail(f"Unable to find image '{image}' locally, and nothing can be pulled here (only LeadForge images are emulated)")
volumes = {}
for spec in opts.get("-v", []) + opts.get("--volume", []):
    source, _, rest = spec.partition(":")
    target = rest.split(":", 1)[0]
    if os.path.abspath(source) != os.path.abspath(target):
        fail(f"docker run -v {spec}: the harness emulates same-path mounts only")
    if not os.path.isdir(source):
        fail(f"docker run -v {spec}: {source} does not exist")
    volumes[os.path.abspath(source)] = target
workdir = (opts.get("-w", []) + opts.get("--workdir", []) or ["/"])[-1]
if not any(os.path.abspath(workdir) == v or os.path.abspath(workdir).startswith(v.rstrip("/") + "/") for v in volumes):
    fail(f"docker run --workdir {workdir}: not inside a mounted volume (the container would not see it)")
env = {"PATH": VENV_BIN + ":/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
for spec in opts.get("-e", []) + opts.get("--env", []):
    key, sep, value = spec.partition("=")
    if sep:
        env[key] = value
    elif key in os.environ:
        env[key] = os.environ[key]
entrypoint = (opts.get("--entrypoint") or ["leadforge"])[-1]
with open(LOG, "a", encoding="utf-8") as log:
    log.write(json.dumps({"image": image, "entrypoint": entrypoint, "args": command, "env": sorted(env),
                          "user": (opts.get("-u", []) + opts.get("--user", []) or [""])[-1], "workdir": workdir,
                          "volumes": sorted(volumes), "flags": sorted(flags)}) + "\n")
print(f"workflow harness: 'docker run {image}' runs {entrypoint} on this machine", file=sys.stderr)
os.chdir(workdir)
os.execvpe(entrypoint, [entrypoint, *command], env)
"""


NOT_ON_RUNNER = r"""#!/bin/sh
# workflow-harness: a GitHub-hosted runner has no such command until a setup action installs it (the machine
# running the harness may have one in its venv, which must not leak into the job).
echo "$(basename "$0"): command not found (a runner gets it from its setup action, e.g. astral-sh/setup-uv)" >&2
exit 127
"""


def write_shims(shims: Path, uv_bin: Path, substitutions: dict[str, str]) -> None:
    """Write the shims: pip/pip3/pipx/python/python3/docker into ``shims`` (always on PATH, with uv/uvx stubs that
    say "command not found"), the uv shim into ``uv_bin`` (put before them by the ``astral-sh/setup-uv`` emulation)."""
    for folder, items in (
        (
            shims,
            (
                ("pip", PIP_SHIM),
                ("pip3", PIP_SHIM),
                ("pipx", PIPX_SHIM),
                ("python", PYTHON_SHIM),
                ("python3", PYTHON_SHIM),
                ("docker", DOCKER_SHIM),
                ("uv", NOT_ON_RUNNER),
                ("uvx", NOT_ON_RUNNER),
            ),
        ),
        (uv_bin, (("uv", UV_SHIM),)),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in items:
            for key, value in substitutions.items():
                text = text.replace(f"@{key}@", value)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            path.chmod(0o755)
