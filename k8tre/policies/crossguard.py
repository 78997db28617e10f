"""The CrossGuard pack's policies: the offline rules, fed CrossGuard's view of the stack.

What pulumi-policy hands a stack policy differs from an offline render in three ways,
each handled here (pulumi_policy sources: ``policy.py`` ``AnalyzeStack``, ``proxy.py``,
``deserialize.py``, ``secret.py``):

- properties arrive wrapped in ``_DictProxy``/``_ListProxy``, which are ``Mapping`` and
  ``Sequence`` but not ``dict``/``list``, and raise ``UnknownValueError`` on reading an
  unknown. The adapter reads each proxy's raw target (``proxy["__target"]``, the way
  pulumi-policy's own ``serialize_properties`` does), so no read raises;
- unknown values (``pulumi preview``) are sentinel strings; they become
  :class:`~k8tre.policies.facts.Unknown`, so a rule reports the one resource it cannot
  judge instead of the whole policy being skipped;
- the engine sends secrets marked (``AnalyzeStack`` marshals with ``KeepSecrets``:
  pulumi/pulumi ``sdk/go/common/resource/plugin/analyzer_plugin.go``) but
  ``deserialize_properties`` unwraps them for stack policies. :func:`keep_secrets`
  makes it keep the mark (pulumi-policy's own ``Secret`` class), so ``no-plaintext-secrets``
  sees what the engine marked secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pulumi_policy.policy as policy_module
from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import _is_unknown, _unknown_to_str
from pulumi_policy.secret import Secret as WireSecret

from ..offline.graph import Graph, Options, RecordedResource, Secret
from .facts import Unknown
from .registry import RULES, Rule, evaluate_all

_HOOKED = "deserialize_properties"
"""The name ``AnalyzeStack`` calls in ``pulumi_policy.policy`` to turn the wire properties into values."""
NOT_EVIDENCED_POLICY = "k8tre-not-evidenced"
"""The advisory policy that lists, per resource, what a rule could not judge during preview."""


def keep_secrets() -> Callable[[], None]:
    """Make pulumi-policy keep the engine's secret marks for stack policies; returns a function that undoes it."""
    original = getattr(policy_module, _HOOKED)

    def keeping(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        if proxy_secrets:  # remediations: pulumi-policy's own secret-preserving proxies
            kept: dict[str, Any] = original(props, True)
            return kept
        return {key: _keep(value) for key, value in props.items()}

    setattr(policy_module, _HOOKED, keeping)

    def undo() -> None:
        setattr(policy_module, _HOOKED, original)

    return undo


def _keep(value: Any) -> Any:
    if isinstance(value, list):
        return [_keep(item) for item in value]
    if isinstance(value, dict):
        if value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG:
            return WireSecret(_keep(value.get("value")))
        if SPECIAL_SIG_KEY in value:  # assets and archives: pulumi-policy's own decoding
            return deserialize_properties({"value": value})["value"]
        return {key: _keep(item) for key, item in value.items()}
    return value


def plain_value(value: Any) -> Any:
    """A property as the rules read it: plain dicts and lists, secrets as :class:`Secret`, unknowns as :class:`Unknown`."""
    if isinstance(value, (Mapping, Sequence)) and not isinstance(value, (str, bytes)) and _has_target(value):
        target: Any = value
        return plain_value(target["__target"])
    if isinstance(value, WireSecret):
        return Secret(plain_value(value.value))
    if isinstance(value, str) and _is_unknown(value):
        return Unknown(f"{_unknown_to_str(value)} value can't be known during preview")
    if isinstance(value, Mapping):
        return {str(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain_value(item) for item in value]
    return value


def _has_target(proxy: Any) -> bool:
    # pulumi-policy's proxies answer "__target" with the wrapped container; plain containers do not.
    try:
        target = proxy["__target"]
    except (KeyError, IndexError, TypeError):
        return False
    return isinstance(target, (dict, list))


def graph_from_policy_resources(resources: Iterable[Any], *, project: str = "k8tre", stack: str = "") -> Graph:
    """A :class:`Graph` built from ``StackValidationArgs.resources`` (``PolicyResource`` objects)."""
    recorded = []
    for resource in resources:
        opts = resource.opts
        provider = resource.provider
        recorded.append(
            RecordedResource(
                urn=resource.urn,
                type=resource.resource_type,
                name=resource.name,
                parent=resource.parent.urn if resource.parent is not None else "",
                provider=provider.urn if provider is not None else "",
                dependencies=tuple(d.urn for d in resource.dependencies),
                custom=not resource.resource_type.startswith("k8tre:") and resource.resource_type != "pulumi:pulumi:Stack",
                inputs=plain_value(resource.props),
                options=Options(
                    protect=bool(opts.protect),
                    retain_on_delete=False,
                    delete_before_replace=bool(opts.delete_before_replace),
                    ignore_changes=tuple(opts.ignore_changes or ()),
                    depends_on=(),
                    additional_secret_outputs=tuple(opts.additional_secret_outputs or ()),
                    aliases=tuple(opts.aliases or ()),
                ),
            )
        )
    return Graph(project=project, stack=stack, resources=recorded)


def rule_policy(rule: Rule) -> StackValidationPolicy:
    """One rule as a stack policy: it reports the rule's violations, at the rule's severity."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        graph = graph_from_policy_resources(args.resources)
        for violation in rule.evaluate(graph).violations:
            report_violation(f"[SATRE {', '.join(rule.satre)}] {violation.message}", violation.urn)

    level = EnforcementLevel.MANDATORY if rule.severity == "mandatory" else EnforcementLevel.ADVISORY
    return StackValidationPolicy(name=rule.id, description=rule.title, enforcement_level=level, validate=validate)


def not_evidenced_policy() -> StackValidationPolicy:
    """An advisory policy naming each resource a rule could not judge (values unknown until the update)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in evaluate_all(graph_from_policy_resources(args.resources)):
            for blind in finding.evaluation.unknown:
                report_violation(f"{finding.rule.id} could not judge this resource: {blind.message}", blind.urn)

    return StackValidationPolicy(
        name=NOT_EVIDENCED_POLICY,
        description="What the rules could not judge in this preview (known after the update); never a pass.",
        enforcement_level=EnforcementLevel.ADVISORY,
        validate=validate,
    )


def policies() -> list[StackValidationPolicy]:
    """Every rule as a policy, plus the not-evidenced report."""
    from . import rules as _rules  # noqa: F401 - importing registers every rule

    return [rule_policy(r) for r in RULES] + [not_evidenced_policy()]
