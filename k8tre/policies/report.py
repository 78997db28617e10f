"""The evidence a check leaves behind: ``check.json`` for machines, ``check.md`` for people and assessors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .registry import Finding

if TYPE_CHECKING:
    from ..config.guardrails import AcceptedRisk


def report_data(
    stack: str,
    findings: list[Finding],
    schema_errors: list[str],
    accepted_risks: Sequence[AcceptedRisk] | None = (),
) -> dict[str, Any]:
    """The report as plain data.

    ``accepted_risks``: the prod guard rails the stack file overrides on record
    (``k8tre:acceptedRisks``), so assessors see the decision; None when unknown (a render
    directory judged without its stack file).
    """
    from ..config.guardrails import GUARD_RAILS

    risks = None
    if accepted_risks is not None:
        risks = [
            {"rule": r.rule, "risk": GUARD_RAILS[r.rule].title, "reason": r.reason, "approvedBy": r.approved_by}
            for r in accepted_risks
        ]
    return {
        "stack": stack,
        "acceptedRisks": risks,
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
    lines += ["", "## Accepted risks", ""]
    if data.get("acceptedRisks") is None:
        lines.append("Not known: this render directory was judged without its stack file.")
    else:
        lines += [
            f"- `{r['rule']}` ({r['risk']}): {r['reason']} — approved by {r['approvedBy']}" for r in data["acceptedRisks"]
        ] or ["None: the stack file accepts no risk."]
    lines += ["", "## Schema validation", ""]
    lines += [f"- {error}" for error in data["schemaErrors"]] or ["Every rendered object and chart values file is valid."]
    return "\n".join(lines) + "\n"


def write_report(out: Path, data: dict[str, Any]) -> None:
    """Write ``check.json`` and ``check.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "check.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / "check.md").write_text(markdown(data), encoding="utf-8")
