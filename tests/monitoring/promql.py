"""Metric names in PromQL, found by a real parser (promql-parser: Python bindings of GreptimeDB's Rust parser)."""

from __future__ import annotations

import re

# Grafana's built-in variables, replaced the way Grafana does before it sends the query.
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "7d"}
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?P<query>.+?)\s*,\s*(?P<label>[a-zA-Z_]\w*)\s*\)\s*$")


def grafana_to_promql(expr: str) -> str:
    for variable, value in sorted(GRAFANA_INTERVALS.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """Every metric a PromQL expression selects; raises ValueError when it does not parse."""
    import promql_parser

    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    names.add(matcher.value)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names
