from __future__ import annotations

import pytest

from leadforge.config import load_config
from leadforge.review.architecture import check, imports_of, module_name
from leadforge.review.settings import ArchitectureRule, ArchitectureSettings
from tests.conftest import ROOT

SETTINGS = ArchitectureSettings(
    rules=[
        ArchitectureRule(
            name="core-stays-pure",
            modules=["leadforge.review.*"],
            may_not_import=["leadforge.cli", "argparse"],
            reason="Parsing belongs in cli.py.",
        ),
    ]
)


def test_module_name_uses_the_first_matching_source_root() -> None:
    roots = ["scripts", "src", "."]
    assert module_name("scripts/leadforge/review/plan.py", roots) == "leadforge.review.plan"
    assert module_name("scripts/leadforge/review/__init__.py", roots) == "leadforge.review"
    assert module_name("tools/gen.py", roots) == "tools.gen"
    assert module_name("README.md", roots) is None
    assert module_name("scripts/my-tool.py", ["scripts"]) is None


def test_imports_resolve_relative_and_from_imports() -> None:
    source = "import os, argparse as ap\nfrom . import summary\nfrom ..cli import main\nfrom leadforge import cli\n"
    found = {(i.module, i.line) for i in imports_of(source, "leadforge.review.plan")}
    assert {
        ("os", 1),
        ("argparse", 1),
        ("leadforge.review", 2),
        ("leadforge.review.summary", 2),
        ("leadforge.cli", 3),
        ("leadforge.cli.main", 3),
        ("leadforge", 4),
        ("leadforge.cli", 4),
    } <= found


def test_violations_are_found_by_ast_not_by_text() -> None:
    files = {
        "scripts/leadforge/review/plan.py": (
            '"""Mentions import argparse in a docstring."""\n'
            "# import argparse\n"
            "text = 'from leadforge import cli'\n"
            "from leadforge import cli\n"
            "def f():\n    import argparse\n"
        ),
        "scripts/leadforge/scan/runner.py": "import argparse\n",  # not covered by the rule
    }
    findings, notes = check(files, SETTINGS)
    assert notes == []
    assert [(f.path, f.line, f.rule) for f in findings] == [
        ("scripts/leadforge/review/plan.py", 4, "core-stays-pure"),
        ("scripts/leadforge/review/plan.py", 6, "core-stays-pure"),
    ]
    assert "Parsing belongs in cli.py." in findings[0].message


def test_a_file_that_does_not_parse_is_a_note() -> None:
    findings, notes = check({"scripts/leadforge/review/bad.py": "def (:\n"}, SETTINGS)
    assert findings == []
    assert notes and "scripts/leadforge/review/bad.py:1: cannot parse" in notes[0]


def test_no_rules_no_work() -> None:
    assert check({"scripts/leadforge/review/x.py": "import argparse"}, ArchitectureSettings()) == ([], [])


def test_relative_imports_beyond_the_top_package_are_not_guessed() -> None:
    # python raises "attempted relative import beyond top-level package" for these: no module is imported
    found = {i.module for i in imports_of("from .. import q\nfrom ...z import w\nfrom . import r\n", "pkg.mod")}
    assert found == {"pkg", "pkg.r"}
    assert {i.module for i in imports_of("from . import x\n", "top")} == set()
    assert {i.module for i in imports_of("from .. import up\n", "pkg.core.mod")} == {"pkg", "pkg.up"}


def test_tricky_imports_all_count() -> None:
    rules = ArchitectureSettings(
        source_roots=["src"],
        rules=[
            ArchitectureRule(name="core-no-io", modules=["app.core*"], may_not_import=["app.io", "requests"]),
        ],
    )
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import requests.adapters as ra\n"  # 3: a submodule of a forbidden package, aliased
        "from ..io.files import read\n"  # 4: relative, into app.io
        "from requests.adapters import HTTPAdapter\n"  # 5: from a submodule
        "if TYPE_CHECKING:\n"
        "    from app.io import Handle\n"  # 7: type-only imports are still dependencies
        "def f():\n"
        "    import app.io\n"  # 9: inside a function
        "import app.iofake\n"  # 10: a different module that only shares the prefix
        "from . import helpers\n"  # 11: allowed
    )
    findings, notes = check({"src/app/core/logic.py": source}, rules)
    assert notes == []
    assert sorted(f.line for f in findings) == [3, 4, 5, 7, 9]
    findings.sort(key=lambda f: f.line)
    assert "app.core.logic may not import app.io.files" in findings[1].message


def _own_rules() -> ArchitectureSettings:
    return load_config(ROOT).review.architecture


def test_leadforges_own_tree_keeps_its_architecture_rules() -> None:
    files = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "scripts").rglob("*.py")}
    findings, notes = check(files, _own_rules())
    assert [f"{f.path}:{f.line}: {f.message}" for f in findings] == []
    assert notes == []


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("scripts/leadforge/visual/release.py", "from leadforge.release.semver import Version\n", "visual-below-release"),
        ("scripts/leadforge/visual/flow.py", "import leadforge.release.collect\n", "visual-below-release"),
        ("scripts/leadforge/scan/command.py", "from leadforge.review.engine import head_checkout\n", "scan-below-review"),
        ("scripts/leadforge/semver.py", "from leadforge.release import options\n", "shared-below-areas"),
        ("scripts/leadforge/gitrepo.py", "from leadforge.review.engine import Change\n", "shared-below-areas"),
    ],
)
def test_the_wrong_way_imports_cannot_come_back(path: str, source: str, rule: str) -> None:
    findings, _ = check({path: source}, _own_rules())
    assert rule in {f.rule for f in findings}


def test_a_rule_leaves_out_its_except_modules() -> None:
    rule = ArchitectureRule(
        name="boundary", modules=["leadforge.*"], except_modules=["leadforge.forge.github"], may_not_import=["github"]
    )
    files = {"scripts/leadforge/forge/github.py": "import github\n", "scripts/leadforge/forge/local.py": "import github\n"}
    findings, _ = check(files, ArchitectureSettings(rules=[rule]))
    assert [f.path for f in findings] == ["scripts/leadforge/forge/local.py"]
