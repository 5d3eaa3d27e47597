"""Security scanners (semgrep, checkov, detect-secrets) -> findings and SARIF."""
