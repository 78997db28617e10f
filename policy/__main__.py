"""The K8TRE CrossGuard policy pack: every rule in k8tre.policies, as a stack validation policy.

Run with ``pulumi preview --policy-pack policy`` (CI does this on every pull request).
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from k8tre.policies import rules as _rules  # noqa: F401 - importing registers every rule
from k8tre.policies.crossguard import graph_from_policy_resources
from k8tre.policies.registry import RULES, Rule


def _policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        graph = graph_from_policy_resources(args.resources)
        for violation in rule.evaluate(graph).violations:
            report_violation(f"[SATRE {', '.join(rule.satre)}] {violation.message}", violation.urn)

    level = EnforcementLevel.MANDATORY if rule.severity == "mandatory" else EnforcementLevel.ADVISORY
    return StackValidationPolicy(name=rule.id, description=rule.title, enforcement_level=level, validate=validate)


PolicyPack(name="k8tre-satre", enforcement_level=EnforcementLevel.MANDATORY, policies=[_policy(r) for r in RULES])
