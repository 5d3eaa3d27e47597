import json
from pathlib import Path

import pytest

from leadforge.findings import Finding
from leadforge.scan import sarif

SEMGREP_LIKE = {
    "version": "2.1.0",
    "runs": [
        {
            "tool": {
                "driver": {
                    "name": "Semgrep OSS",
                    "rules": [
                        {
                            "id": "work.rules.leadforge.python.eval-exec",
                            "defaultConfiguration": {"level": "error"},
                            "helpUri": "https://example.com/eval",
                        },
                        {"id": "work.rules.leadforge.python.os-system", "defaultConfiguration": {"level": "warning"}},
                    ],
                }
            },
            "results": [
                {
                    "ruleId": "work.rules.leadforge.python.eval-exec",
                    "message": {"text": "eval is bad"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "app/x.py"},
                                "region": {"startLine": 4, "endLine": 5, "snippet": {"text": "    eval(data)\n    more"}},
                            }
                        }
                    ],
                },
                {
                    "ruleId": "work.rules.leadforge.python.os-system",
                    "level": "note",
                    "message": {"text": "shell"},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": "file:///repo/root/b.py"}, "region": {"startLine": 2}}}
                    ],
                },
            ],
        }
    ],
}


def test_parse_maps_levels_paths_and_strips_the_rule_prefix() -> None:
    findings = sarif.parse(json.dumps(SEMGREP_LIKE), tool="semgrep", roots=["/repo/root"], rule_prefixes=["work.rules."])
    first, second = findings
    assert (first.tool, first.rule, first.severity, first.path, first.line, first.end_line) == (
        "semgrep",
        "leadforge.python.eval-exec",
        "error",
        "app/x.py",
        4,
        5,
    )
    assert first.help == "https://example.com/eval"
    assert (second.rule, second.severity, second.path, second.line, second.end_line) == (
        "leadforge.python.os-system",
        "note",
        "b.py",
        2,
        2,
    )


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
    assert (
        found[1].fingerprint == Finding("semgrep oss", found[1].rule, "note", "b.py", 2, code_line="os.system(cmd)").fingerprint
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a SARIF log"),
        ('{"runs": {}}', "not a SARIF log"),
        ('{"runs": [{"results": {}}]}', "results is not a list"),
        (
            '{"runs": [{"results": [{"locations": [{"physicalLocation": {"region": {"startLine": "x"}}}]}]}]}',
            "results[0] is malformed",
        ),
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
        (f.tool, f.rule, f.severity, f.path, f.line, f.end_line, f.fingerprint) for f in findings
    }


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
        "ruleId": "r1",
        "level": "error",
        "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}],
    }
    log = {
        "runs": [
            {
                "tool": {"driver": {"name": "semgrep"}},
                "results": [
                    result,
                    {**result, "suppressions": [{"kind": "inSource"}]},
                    {**result, "suppressions": [{"kind": "external", "status": "rejected"}]},
                ],
            }
        ]
    }
    assert [f.path for f in parse(json.dumps(log))] == ["a.py", "a.py"]


def test_rules_with_odd_ids_are_ignored_not_a_crash() -> None:
    text = (
        '{"runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": ["a"]}, 5]}}, '
        '"results": [{"ruleId": "r", "level": "error", "message": {"text": "m"}}]}]}'
    )
    (only,) = sarif.parse(text, source="tool.sarif")
    assert (only.tool, only.rule, only.severity, only.message) == ("x", "r", "error", "m")


# ---- what code scanning needs of a log: the OASIS schema, rule titles, versions, locations ----------------------

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def schema_errors(log: dict) -> list[str]:
    """Every violation of the SARIF 2.1.0 JSON Schema (OASIS), as 'path: message'."""
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log))


BUCKETS = [
    Finding(
        "checkov",
        "CKV_AWS_20",
        "warning",
        "infra/a.tf",
        1,
        9,
        "S3 Bucket has an ACL defined which allows public READ access. (aws_s3_bucket.logs)",
        code_line="aws_s3_bucket.logs",
    ),
    Finding(
        "checkov",
        "CKV_AWS_20",
        "warning",
        "infra/b.tf",
        3,
        8,
        "S3 Bucket has an ACL defined which allows public READ access. (aws_s3_bucket.assets)",
        code_line="aws_s3_bucket.assets",
    ),
]
TITLES = [
    sarif.RuleInfo(
        "checkov",
        "CKV_AWS_20",
        "S3 Bucket has an ACL defined which allows public READ access.",
        "",
        "https://docs.example.com/ckv-aws-20",
    )
]


def test_a_rules_short_description_is_its_own_title_not_one_findings_message() -> None:
    log = sarif.render(BUCKETS, rules=TITLES, versions={"checkov": "3.3.30"})
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"] == {"text": "S3 Bucket has an ACL defined which allows public READ access."}
    assert "aws_s3_bucket" not in json.dumps(rule)
    assert rule["helpUri"] == "https://docs.example.com/ckv-aws-20"
    # a rule nobody described is named by its id, still not by a finding
    (bare,) = sarif.render(BUCKETS)["runs"][0]["tool"]["driver"]["rules"]
    assert bare["shortDescription"] == {"text": "CKV_AWS_20"}


def test_the_drivers_version_is_the_scanners_not_leadforges() -> None:
    from leadforge import __version__

    log = sarif.render([*BUCKETS, Finding("semgrep", "r", "error", "a.py", 1, message="m")], versions={"checkov": "3.3.30"})
    drivers = {run["tool"]["driver"]["name"]: run["tool"]["driver"] for run in log["runs"]}
    assert drivers["checkov"]["semanticVersion"] == "3.3.30"
    assert "semanticVersion" not in drivers["semgrep"]  # unknown: left out rather than ours
    criteria = sarif.render([Finding("criteria", "max-pr-size", "note", "a.py", 1, message="m")])["runs"][0]
    assert criteria["tool"]["driver"]["semanticVersion"] == __version__  # LeadForge is that scanner


def test_a_finding_without_a_file_becomes_a_tool_notification_code_scanning_accepts() -> None:
    pathless = Finding("checkov", "CKV2_GHA_1", "error", "", message="top-level permissions are not set")
    log = sarif.render([*BUCKETS, pathless], rules=TITLES)
    run = log["runs"][0]
    assert all(result["locations"] for result in run["results"]) and len(run["results"]) == 2
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["associatedRule"] == {"id": "CKV2_GHA_1", "index": 0}
    assert note["level"] == "error" and note["message"] == {"text": "top-level permissions are not set"}
    assert schema_errors(log) == []
    assert [(f.rule, f.path, f.fingerprint) for f in sarif.parse(json.dumps(log)) if not f.path] == [
        ("CKV2_GHA_1", "", pathless.fingerprint)
    ]


def test_other_tools_notifications_are_not_findings() -> None:
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "x"}},
                "results": [],
                "invocations": [
                    {
                        "executionSuccessful": False,
                        "toolExecutionNotifications": [{"level": "error", "message": {"text": "crashed"}}],
                    }
                ],
            }
        ],
    }
    assert sarif.parse(json.dumps(log)) == []


def test_every_rendered_log_is_valid_sarif_2_1_0() -> None:
    findings = [
        *BUCKETS,
        Finding(
            "semgrep",
            "leadforge.python.eval-exec",
            "error",
            "src/app.py",
            4,
            6,
            "eval() runs arbitrary code",
            "Use ast.literal_eval.",
            code_line="eval(x)",
        ),
        Finding(
            "secrets",
            "hex-high-entropy-string",
            "warning",
            "infra/tags.tf",
            2,
            message="Possible Hex High Entropy String committed in the source.",
            help="https://docs.github.com/x",
        ),
        Finding("criteria", "max-pr-size", "note", "", message="too big"),
    ]
    rules = [
        *TITLES,
        sarif.RuleInfo(
            "semgrep",
            "leadforge.python.eval-exec",
            "eval() runs arbitrary code.",
            "eval() runs arbitrary code. Use $X carefully.",
        ),
    ]
    log = sarif.render(
        findings,
        tools=["semgrep", "checkov", "secrets"],
        rules=rules,
        versions={"semgrep": "1.185.0", "checkov": "3.3.30", "secrets": "1.5.0"},
    )
    assert schema_errors(log) == []
    assert schema_errors({"version": "2.1.0", "runs": [{"results": []}]}) != []  # the schema does catch a broken log


def test_rule_titles_come_from_message_templates() -> None:
    text = json.dumps(
        {
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "Semgrep OSS",
                            "semanticVersion": "1.185.0",
                            "rules": [
                                {
                                    "id": "work.rules.leadforge.python.os-system",
                                    "shortDescription": {"text": "Semgrep Finding: x"},
                                    "fullDescription": {
                                        "text": "os.system($CMD) goes through the shell. Use subprocess.run with a list."
                                    },
                                    "helpUri": "https://example.com/os",
                                }
                            ],
                        }
                    },
                    "results": [],
                }
            ],
        }
    )
    infos, version = sarif.describe(text, tool="semgrep", rule_prefixes=["work.rules."])
    assert version == "1.185.0"
    assert infos == [
        sarif.RuleInfo(
            "semgrep",
            "leadforge.python.os-system",
            "os.system($CMD) goes through the shell.",
            "os.system($CMD) goes through the shell. Use subprocess.run with a list.",
            "https://example.com/os",
        )
    ]
    assert sarif.title_of("x " * 300).endswith("…") and len(sarif.title_of("x " * 300)) == 200


def test_the_schema_fixture_is_the_oasis_one() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert (SCHEMA.parent / "LICENSE.md").is_file()
