import pytest

from leadforge.errors import InputError
from leadforge.review.coverage import changed_lines_coverage, coverage_findings, parse_cobertura

XML = """<?xml version="1.0" ?>
<coverage version="7.4" line-rate="0.5">
  <sources><source>/ci/work/repo/scripts</source></sources>
  <packages><package name="leadforge"><classes>
    <class name="a.py" filename="leadforge/a.py">
      <lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="0"/>
             <line number="5" hits="4"/><line number="6" hits="0"/></lines>
    </class>
  </classes></package></packages>
</coverage>"""


def test_intersects_added_lines_with_executable_lines() -> None:
    data = parse_cobertura(XML)
    # line 4 is added but not executable (a comment): it does not count
    result = changed_lines_coverage(data, {"scripts/leadforge/a.py": {1, 2, 3, 4, 5}}, repo_root="/ci/work/repo", threshold=80)
    assert (result.changed_lines, result.covered) == (4, 2)
    assert result.percent == pytest.approx(50.0)
    assert result.uncovered == {"scripts/leadforge/a.py": ((2, 3),)}
    assert not result.passed
    (finding,) = coverage_findings(result, "error")
    assert finding.tool == "coverage" and "50.0%" in finding.message and "2-3" in finding.message


def test_a_report_made_in_another_checkout_matches_by_path_suffix() -> None:
    result = changed_lines_coverage(parse_cobertura(XML), {"scripts/leadforge/a.py": {5}}, repo_root="/home/me/repo")
    assert (result.changed_lines, result.covered, result.passed) == (1, 1, True)


def test_a_report_for_other_paths_says_so_instead_of_guessing() -> None:
    result = changed_lines_coverage(parse_cobertura(XML), {"lib/other.py": {1, 2}}, repo_root="/x")
    assert result.percent is None and result.passed
    assert result.unmeasured == ("lib/other.py",)
    assert "no data for the changed files (lib/other.py)" in result.note
    assert coverage_findings(result, "error") == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("<coverage", "not valid XML"),
        ("<report/>", "not a Cobertura report"),
        ('<coverage><class filename="a"><line number="x" hits="1"/></class></coverage>', "not numeric"),
    ],
)
def test_bad_reports_are_one_line_errors(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        parse_cobertura(text, "coverage.xml")


def test_a_file_of_the_same_name_elsewhere_is_not_taken_for_the_measured_one() -> None:
    # made in another checkout; measures scripts/leadforge/a.py only. tools/leadforge/a.py is not measured:
    # a suffix match must use the whole source-joined path, not the bare "leadforge/a.py"
    data = parse_cobertura(XML)
    result = changed_lines_coverage(
        data, {"tools/leadforge/a.py": {2, 3}, "scripts/leadforge/a.py": {5}}, repo_root="/home/me/repo"
    )
    assert (result.changed_lines, result.covered) == (1, 1)
    assert result.unmeasured == ("tools/leadforge/a.py",)


def test_a_report_made_on_windows_matches_by_its_source_joined_path() -> None:
    xml = XML.replace("/ci/work/repo/scripts", "D:\\a\\repo\\scripts").replace(
        'filename="leadforge/a.py"', 'filename="leadforge\\a.py"'
    )
    result = changed_lines_coverage(parse_cobertura(xml), {"scripts/leadforge/a.py": {1, 2}}, repo_root="/home/me/repo")
    assert (result.changed_lines, result.covered) == (2, 1)
