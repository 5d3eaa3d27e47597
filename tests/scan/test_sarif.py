import json

import pytest

from leadforge.findings import Finding
from leadforge.scan import sarif

SEMGREP_LIKE = {
    "version": "2.1.0",
    "runs": [
        {
            "tool": {"driver": {"name": "Semgrep OSS", "rules": [
                {"id": "work.rules.leadforge.python.eval-exec", "defaultConfiguration": {"level": "error"},
                 "helpUri": "https://example.com/eval"},
                {"id": "work.rules.leadforge.python.os-system", "defaultConfiguration": {"level": "warning"}},
            ]}},
            "results": [
                {"ruleId": "work.rules.leadforge.python.eval-exec", "message": {"text": "eval is bad"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/x.py"},
                                                     "region": {"startLine": 4, "endLine": 5,
                                                                "snippet": {"text": "    eval(data)\n    more"}}}}]},
                {"ruleId": "work.rules.leadforge.python.os-system", "level": "note", "message": {"text": "shell"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///repo/root/b.py"},
                                                     "region": {"startLine": 2}}}]},
            ],
        }
    ],
}


def test_parse_maps_levels_paths_and_strips_the_rule_prefix() -> None:
    findings = sarif.parse(json.dumps(SEMGREP_LIKE), tool="semgrep", roots=["/repo/root"], rule_prefixes=["work.rules."])
    first, second = findings
    assert (first.tool, first.rule, first.severity, first.path, first.line, first.end_line) == (
        "semgrep", "leadforge.python.eval-exec", "error", "app/x.py", 4, 5)
    assert first.help == "https://example.com/eval"
    assert (second.rule, second.severity, second.path, second.line, second.end_line) == (
        "leadforge.python.os-system", "note", "b.py", 2, 2)


def test_fingerprint_uses_the_code_line_so_moving_it_keeps_the_fingerprint() -> None:
    moved = json.loads(json.dumps(SEMGREP_LIKE))
    region = moved["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region.update(startLine=40, endLine=41)
    region["snippet"]["text"] = "        eval(data)"  # re-indented too
    before = sarif.parse(json.dumps(SEMGREP_LIKE), tool="semgrep")[0]
    after = sarif.parse(json.dumps(moved), tool="semgrep")[0]
    assert before.fingerprint == after.fingerprint
    assert before.line != after.line


def test_read_line_fills_in_when_there_is_no_snippet() -> None:
    calls = []

    def read_line(path: str, line: int) -> str:
        calls.append((path, line))
        return "os.system(cmd)"

    found = sarif.parse(json.dumps(SEMGREP_LIKE), roots=["/repo/root"], read_line=read_line)
    assert calls == [("b.py", 2)]
    assert found[1].fingerprint == Finding("semgrep oss", found[1].rule, "note", "b.py", 2, code_line="os.system(cmd)").fingerprint


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a SARIF log"),
        ('{"runs": {}}', "not a SARIF log"),
        ('{"runs": [{"results": {}}]}', "results is not a list"),
        ('{"runs": [{"results": [{"locations": [{"physicalLocation": {"region": {"startLine": "x"}}}]}]}]}', "results[0] is malformed"),
        ('{"runs": [{"tool": "semgrep", "results": []}]}', "runs[0].tool.driver is not an object"),
        ('{"runs": [{"tool": {"driver": ["x"]}, "results": []}]}', "runs[0].tool.driver is not an object"),
        ('{"runs": [{"tool": {"driver": {"rules": "r"}}, "results": []}]}', "runs[0].tool.driver.rules is not a list"),
    ],
)
def test_malformed_sarif_is_a_one_line_error_naming_the_source(text: str, needle: str) -> None:
    with pytest.raises(sarif.SarifError) as err:
        sarif.parse(text, source="tool.sarif")
    assert str(err.value).startswith("tool.sarif: ")
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_render_then_parse_round_trips_findings_and_fingerprints() -> None:
    findings = [
        Finding("semgrep", "r1", "error", "a.py", 3, 4, "msg one", "https://help", code_line="x = 1"),
        Finding("checkov", "CKV_AWS_20", "warning", "infra/main.tf", 1, 9, "public bucket", code_line="aws_s3_bucket.a"),
        Finding("criteria", "max-pr-size", "note", "", message="too big"),
    ]
    log = sarif.render(findings, category="leadforge", tools=["secrets"])
    assert log["version"] == "2.1.0"
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["checkov", "criteria", "secrets", "semgrep"]
    assert log["runs"][2]["results"] == []  # a scanner that ran clean still reports a run
    back = sarif.parse(json.dumps(log))
    assert {(f.tool, f.rule, f.severity, f.path, f.line, f.end_line, f.fingerprint) for f in back} == {
        (f.tool, f.rule, f.severity, f.path, f.line, f.end_line, f.fingerprint) for f in findings}


def test_rendered_sarif_carries_what_code_scanning_needs() -> None:
    log = sarif.render([Finding("semgrep", "r1", "error", "a.py", 3, message="m")])
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "leadforge/semgrep/"
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "8.0"
    result = run["results"][0]
    assert result["partialFingerprints"][sarif.FINGERPRINT_KEY]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "endLine": 3}


def test_results_suppressed_in_source_are_not_findings() -> None:
    import json

    from leadforge.scan.sarif import parse

    result = {
        "ruleId": "r1", "level": "error", "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}],
    }
    log = {"runs": [{"tool": {"driver": {"name": "semgrep"}},
                     "results": [result, {**result, "suppressions": [{"kind": "inSource"}]},
                                 {**result, "suppressions": [{"kind": "external", "status": "rejected"}]}]}]}
    assert [f.path for f in parse(json.dumps(log))] == ["a.py", "a.py"]


def test_rules_with_odd_ids_are_ignored_not_a_crash() -> None:
    text = ('{"runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": ["a"]}, 5]}}, '
            '"results": [{"ruleId": "r", "level": "error", "message": {"text": "m"}}]}]}')
    (only,) = sarif.parse(text, source="tool.sarif")
    assert (only.tool, only.rule, only.severity, only.message) == ("x", "r", "error", "m")
