"""The adapters' pure halves: argv (offline flags) and parse (tool output -> findings)."""

import json

import pytest

from leadforge.scan import checkov, secrets, semgrep
from leadforge.scan.sarif import SarifError

CHECKOV_REPORT = {
    "check_type": "terraform",
    "results": {
        "failed_checks": [
            {
                "check_id": "CKV_AWS_24",
                "check_name": "No 0.0.0.0/0 to port 22",
                "file_path": "/main.tf",
                "repo_file_path": "/infra/main.tf",
                "file_line_range": [6, 14],
                "severity": None,
                "guideline": None,
                "resource": "aws_security_group.open",
            },
            {
                "check_id": "CKV_AWS_20",
                "check_name": "Public bucket",
                "file_path": "/main.tf",
                "repo_file_path": "/infra/main.tf",
                "file_line_range": [1, 4],
                "severity": "HIGH",
                "guideline": "https://docs.example/ckv_aws_20",
                "resource": "aws_s3_bucket.data",
            },
        ],
        "passed_checks": [],
    },
}


def test_semgrep_argv_is_offline_and_takes_targets() -> None:
    args = semgrep.argv("/x/semgrep", ["/rules", "extra.yml"], ["a.py", "b.yml"], jobs=3)
    assert args[:3] == ["/x/semgrep", "scan", "--sarif"]
    assert "--metrics=off" in args and "--disable-version-check" in args
    assert args[args.index("--") + 1 :] == ["a.py", "b.yml"]
    assert args.count("--config") == 2
    assert semgrep.argv("s", ["r"])[-1] == "."


def test_semgrep_rule_prefixes_cover_absolute_and_relative_config_folders(tmp_path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "x.yml").write_text("rules: []\n")
    prefixes = semgrep.rule_prefixes(["rules/x.yml", "p/python"], tmp_path)
    assert "rules." in prefixes
    assert any(p.endswith(".rules.") and p.count(".") > 2 for p in prefixes)


def test_checkov_argv_sets_offline_flags_and_env() -> None:
    args = checkov.argv("ck", files=["a.tf", "Dockerfile"], frameworks=["terraform", "dockerfile"], skip_checks=["CKV_X"])
    assert "--skip-download" in args
    assert args[args.index("--framework") + 1] == "terraform,dockerfile"
    assert args[args.index("--skip-check") + 1] == "CKV_X"
    assert [a for a in args if a.startswith("--file=")] == ["--file=a.tf", "--file=Dockerfile"]
    assert checkov.argv("ck", files=["--skip-check=CKV_AWS_24.tf"])[-1] == "--file=--skip-check=CKV_AWS_24.tf"
    assert checkov.ENV["BC_SKIP_MAPPING"] == "TRUE" and checkov.ENV["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert checkov.argv("ck", directory=".")[-2:] == ["-d", "."]


def test_checkov_parse_reads_one_report_or_a_list_and_maps_severity() -> None:
    single = checkov.parse(json.dumps(CHECKOV_REPORT), default_severity="warning")
    listed = checkov.parse(json.dumps([CHECKOV_REPORT, {"check_type": "dockerfile", "results": {"failed_checks": []}}]))
    assert single == listed
    first, second = single
    assert (first.rule, first.path, first.line, first.end_line, first.severity) == (
        "CKV_AWS_24",
        "infra/main.tf",
        6,
        14,
        "warning",
    )
    assert "aws_security_group.open" in first.message
    assert (second.severity, second.help) == ("error", "https://docs.example/ckv_aws_20")


def test_checkov_fingerprint_follows_the_resource_not_the_line() -> None:
    moved = json.loads(json.dumps(CHECKOV_REPORT))
    moved["results"]["failed_checks"][0]["file_line_range"] = [30, 38]
    assert checkov.parse(json.dumps(moved))[0].fingerprint == checkov.parse(json.dumps(CHECKOV_REPORT))[0].fingerprint


def test_checkov_parse_handles_empty_and_count_only_output() -> None:
    assert checkov.parse("") == []
    assert checkov.parse(json.dumps({"passed": 0, "failed": 0, "skipped": 0})) == []
    with pytest.raises(SarifError, match="checkov JSON output"):
        checkov.parse("Traceback (most recent call last):")


def test_secrets_parse_keeps_type_and_place_never_the_value() -> None:
    output = {
        "results": {
            "app/k.py": [
                {
                    "type": "AWS Access Key",
                    "filename": "app/k.py",
                    "line_number": 3,
                    "hashed_secret": "25910f981e85ca04baf359199dd0bd4a3ae738b6",
                    "is_verified": False,
                }
            ]
        }
    }
    (finding,) = secrets.parse(json.dumps(output), severity="error")
    assert (finding.tool, finding.rule, finding.path, finding.line, finding.severity) == (
        "secrets",
        "aws-access-key",
        "app/k.py",
        3,
        "error",
    )
    assert "AKIA" not in json.dumps(finding.to_dict())
    assert finding.code_line == "25910f981e85ca04baf359199dd0bd4a3ae738b6"
    with pytest.raises(SarifError):
        secrets.parse("{}")


def test_secrets_argv_never_verifies_over_the_network() -> None:
    args = secrets.argv(["a.py"], python="py")
    assert args == ["py", "-m", "detect_secrets", "scan", "--no-verify", "--", "a.py"]


def test_semgrep_parse_adds_the_fix_hint_of_our_own_rules() -> None:
    log = {
        "runs": [
            {
                "tool": {"driver": {"name": "semgrep", "rules": []}},
                "results": [
                    {
                        "ruleId": "x.leadforge.python.eval-exec",
                        "level": "error",
                        "message": {"text": "eval"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 1}}}],
                    }
                ],
            }
        ]
    }
    (finding,) = semgrep.parse(json.dumps(log), configs=[], cwd=".")
    assert finding.rule == "x.leadforge.python.eval-exec"  # no prefix to strip for an unknown folder
    (stripped,) = semgrep.parse(json.dumps(log).replace("x.leadforge", "leadforge"))
    assert "ast.literal_eval" in stripped.help


def _hits(*kinds: str) -> str:
    return json.dumps(
        {
            "version": "1.5.0",
            "results": {
                "infra/tags.tf": [
                    {
                        "type": kind,
                        "filename": "infra/tags.tf",
                        "line_number": n,
                        "hashed_secret": f"{n:040x}",
                        "is_verified": False,
                    }
                    for n, kind in enumerate(kinds, 1)
                ]
            },
        }
    )


def test_entropy_only_secret_plugins_warn_by_default_and_their_severity_is_configurable() -> None:
    from leadforge.scan.settings import SecretsSettings

    default = SecretsSettings()
    text = _hits("Hex High Entropy String", "Base64 High Entropy String", "AWS Access Key")
    found = secrets.parse(text, severity=default.severity, entropy_severity=default.entropy_severity)
    assert [(f.rule, f.severity) for f in found] == [
        ("hex-high-entropy-string", "warning"),
        ("base64-high-entropy-string", "warning"),
        ("aws-access-key", "error"),
    ]
    assert "entropy alone" in found[0].message and "entropy alone" not in found[2].message
    strict = secrets.parse(text, severity="error", entropy_severity="error")
    assert {f.severity for f in strict} == {"error"}  # kept, and blocking when you ask for it
    assert [f.severity for f in secrets.parse(text, severity="error")][:2] == ["error", "error"]  # adapter default: as told


def test_secret_rules_and_version_are_described_for_sarif() -> None:
    infos, version = secrets.describe(_hits("Hex High Entropy String", "AWS Access Key", "AWS Access Key"))
    assert version == "1.5.0"
    assert [(i.id, i.title) for i in infos] == [
        ("aws-access-key", "Possible AWS Access Key committed in the source"),
        ("hex-high-entropy-string", "Possible Hex High Entropy String committed in the source"),
    ]


def test_checkov_rules_are_titled_by_their_check_names_and_the_report_gives_the_version() -> None:
    report = {
        "check_type": "terraform",
        "summary": {"checkov_version": "3.3.30"},
        "results": {
            "failed_checks": [
                {
                    "check_id": "CKV_AWS_20",
                    "check_name": "S3 Bucket allows public READ",
                    "resource": f"aws_s3_bucket.{name}",
                    "guideline": "https://docs.example.com/20",
                    "file_path": f"/{name}.tf",
                    "file_line_range": [1, 3],
                }
                for name in ("logs", "assets")
            ]
        },
    }
    infos, version = checkov.describe(json.dumps([report]))
    assert version == "3.3.30"
    assert [(i.id, i.title, i.help_uri) for i in infos] == [
        ("CKV_AWS_20", "S3 Bucket allows public READ", "https://docs.example.com/20")
    ]
    assert {f.message for f in checkov.parse(json.dumps(report))} == {
        "S3 Bucket allows public READ (aws_s3_bucket.logs)",
        "S3 Bucket allows public READ (aws_s3_bucket.assets)",
    }
