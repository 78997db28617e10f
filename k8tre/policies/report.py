"""The evidence a check leaves behind: ``check.json`` for machines, ``check.md`` for people and assessors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .registry import Finding


def report_data(stack: str, findings: list[Finding], schema_errors: list[str]) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "stack": stack,
        "passed": not schema_errors and not any(f.blocks for f in findings),
        "schemaErrors": schema_errors,
        "rules": [
            {
                "rule": f.rule.id,
                "title": f.rule.title,
                "satre": list(f.rule.satre),
                "severity": f.rule.severity,
                "status": f.status,
                "examined": f.evaluation.examined,
                "violations": [{"urn": v.urn, "message": v.message} for v in f.evaluation.violations],
            }
            for f in findings
        ],
    }


def markdown(data: dict[str, Any]) -> str:
    """A table a person can read and an assessor can file."""
    verdict = "PASSED" if data["passed"] else "FAILED"
    lines = [
        f"# K8TRE compliance check: {data['stack']}",
        "",
        f"**Result: {verdict}** (mandatory rules block; advisory rules are reported only)",
        "",
        "| Rule | SATRE v2 | Severity | Status | Resources examined | Violations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in data["rules"]:
        lines.append(
            f"| `{entry['rule']}`: {entry['title']} | {', '.join(entry['satre'])} | {entry['severity']} "
            f"| {entry['status']} | {len(entry['examined'])} | {len(entry['violations'])} |"
        )
    failing = [e for e in data["rules"] if e["violations"]]
    if failing:
        lines += ["", "## Violations", ""]
        for entry in failing:
            for violation in entry["violations"]:
                lines.append(f"- `{entry['rule']}` ({entry['severity']}): {violation['message']} — `{violation['urn']}`")
    lines += ["", "## Schema validation", ""]
    lines += [f"- {error}" for error in data["schemaErrors"]] or ["Every rendered object and chart values file is valid."]
    return "\n".join(lines) + "\n"


def write_report(out: Path, data: dict[str, Any]) -> None:
    """Write ``check.json`` and ``check.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "check.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / "check.md").write_text(markdown(data), encoding="utf-8")
