"""LeadForge's own semgrep rules, checked on annotated cases with the real semgrep (one run).

In ``rules_cases/``, a comment ``ruleid: <rule>`` means the next line must be flagged by that rule,
``ok: <rule>`` that it must not; every rule of ``scan/rules`` needs at least one positive case.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from leadforge import proc
from leadforge.scan import semgrep
from leadforge.tools import tool_path

pytestmark = pytest.mark.integration
CASES = Path(__file__).with_name("rules_cases")
_MARK = re.compile(r"#\s*(ruleid|ok):\s*(\S+)")


def _expectations() -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    want: set[tuple[str, int, str]] = set()
    avoid: set[tuple[str, int, str]] = set()
    for path in sorted(p for p in CASES.rglob("*") if p.is_file()):
        rel = path.relative_to(CASES).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = _MARK.search(line)
            if match:
                (want if match.group(1) == "ruleid" else avoid).add((rel, number + 1, match.group(2)))
    return want, avoid


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    executable = tool_path("semgrep")
    if executable is None:
        pytest.fail("semgrep is not installed: run ./setup.sh")
    root = tmp_path_factory.mktemp("rules") / "cases"
    shutil.copytree(CASES, root)
    configs = [str(semgrep.BUILTIN_RULES)]
    result = proc.run(semgrep.argv(executable, configs), cwd=root, timeout=300, check=False)
    return {(f.path, f.line, f.rule) for f in semgrep.parse(result.stdout, configs=configs, cwd=root)}


def test_every_positive_case_is_flagged(reported) -> None:
    want, _ = _expectations()
    assert sorted(want - reported) == []


def test_no_negative_case_is_flagged(reported) -> None:
    _, avoid = _expectations()
    assert sorted(avoid & reported) == []


def test_nothing_unexpected_is_flagged(reported) -> None:
    want, _ = _expectations()
    assert sorted(reported - want) == []


def test_every_rule_has_a_positive_case() -> None:
    want, _ = _expectations()
    covered = {rule for _, _, rule in want}
    ids = {r["id"] for path in semgrep.BUILTIN_RULES.glob("*.yml") for r in yaml.safe_load(path.read_text())["rules"]}
    assert ids - covered == set()
