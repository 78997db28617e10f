"""Admission guard rails built into Kubernetes: ValidatingAdmissionPolicies and Pod Security labels everywhere.

No extra controller (no Gatekeeper, no Kyverno): ValidatingAdmissionPolicy is served by
kube-apiserver itself since Kubernetes 1.30 (admissionregistration.k8s.io/v1; Kubernetes docs,
"Validating Admission Policy", https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/),
and Pod Security admission since 1.25. The rules themselves are data in :mod:`.admission_rules`.

Each binding has ``validationActions: [Deny, Audit]``: a refused pod is refused and the refusal
is written to the API server's audit log, which the clouds ship to the log store (reviewable,
SATRE 2.2.13). Each policy's ``failurePolicy`` is ``Fail``: a policy that cannot be evaluated
refuses rather than lets through.

Pod Security admission judges a namespace by its ``pod-security.kubernetes.io/enforce`` label
and admits anything where the label is missing (the built-in default is ``privileged``). The
program labels the namespaces it creates (:func:`k8tre.namespace.platform_namespace`); the ones
Kubernetes creates itself are labelled here with a server-side-apply patch of just those labels,
so nothing else on them is claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.admissionregistration import v1 as admission

from ..config.layers import AdmissionSettings
from ..infrastructure import Cluster
from ..namespace import POD_SECURITY_REASON, PodSecurityLevel
from .admission_rules import ALLOWED_REGISTRIES_VARIABLE, RULES, AdmissionRule, allowed_registries_of, cel_string_list
from .catalogue import Render, ServiceEntry, kinds

POD_RESOURCES = ("pods", "pods/ephemeralcontainers")
"""What every rule matches: pods, and the subresource ``kubectl debug`` adds containers through."""
VALIDATION_ACTIONS = ("Deny", "Audit")

EXISTING_NAMESPACES: Mapping[str, tuple[PodSecurityLevel, str]] = {
    "default": ("restricted", ""),
    "kube-public": ("restricted", ""),
    "kube-node-lease": ("restricted", ""),
    "kube-system": (
        "privileged",
        "the CNI agent (Cilium: privileged, host network, hostPath for its BPF maps and CNI config) and the "
        "cloud's own node add-ons (CSI node drivers, kube-proxy where it runs) need host access that "
        "baseline refuses; the cloud manages most of what runs here",
    ),
}
"""Namespaces Kubernetes makes itself (Kubernetes docs, "Namespaces", initial namespaces), with the level each
enforces. Nothing is scheduled into ``default``, ``kube-public`` or ``kube-node-lease`` by this program or the
clouds, so they take the strictest level. ``kube-system`` cannot be ``restricted`` or even ``baseline``: it can
only be ``privileged``, audited at ``baseline`` so what needs host access there is on record."""


def _policy_spec(rule: AdmissionRule, registries: Sequence[str]) -> admission.ValidatingAdmissionPolicySpecArgsDict:
    variables: list[admission.VariableArgsDict] = [{"name": name, "expression": e} for name, e in rule.variables]
    if f"variables.{ALLOWED_REGISTRIES_VARIABLE}" in rule.expression:
        # The allow-list comes from the stack file, so it is the one variable not written in admission_rules.
        variables.insert(0, {"name": ALLOWED_REGISTRIES_VARIABLE, "expression": cel_string_list(registries)})
    return {
        "failure_policy": "Fail",
        "match_constraints": {
            "resource_rules": [
                {
                    "api_groups": [""],
                    "api_versions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": list(POD_RESOURCES),
                }
            ]
        },
        "variables": variables,
        "validations": [{"expression": rule.expression, "message_expression": rule.message, "reason": "Forbidden"}],
    }


def _selector(selector: Mapping[str, Any]) -> k8s.meta.v1.LabelSelectorArgsDict:
    expressions: list[k8s.meta.v1.LabelSelectorRequirementArgsDict] = [
        {"key": e["key"], "operator": e["operator"], "values": list(e.get("values") or [])}
        for e in selector.get("matchExpressions") or ()
    ]
    return {"match_expressions": expressions}


class AdmissionGuardRails(pulumi.ComponentResource):
    """The ValidatingAdmissionPolicies with their bindings, and Pod Security labels on Kubernetes' own namespaces."""

    def __init__(
        self, name: str, cluster: Cluster, settings: AdmissionSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("k8tre:agnostics:AdmissionGuardRails", name, None, opts)
        self.policies: list[k8s.admissionregistration.v1.ValidatingAdmissionPolicy] = []
        for rule in RULES:
            policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                f"{name}-{rule.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule.name),
                spec=_policy_spec(rule, settings.allowed_registries),
                opts=cluster.opts(self),
            )
            k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                f"{name}-{rule.name}-binding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule.name),
                spec={
                    "policy_name": rule.name,
                    "validation_actions": list(VALIDATION_ACTIONS),
                    "match_resources": {"namespace_selector": _selector(rule.namespaces)},
                },
                # A binding is only meaningful once its policy exists.
                opts=cluster.opts(self, depends_on=[policy]),
            )
            self.policies.append(policy)
        self.namespace_patches = [
            self._label(name, cluster, namespace, *level) for namespace, level in EXISTING_NAMESPACES.items()
        ]
        self.register_outputs({"policies": [rule.name for rule in RULES]})

    def _label(
        self, name: str, cluster: Cluster, namespace: str, level: PodSecurityLevel, reason: str
    ) -> k8s.core.v1.NamespacePatch:
        """Server-side apply of the Pod Security labels alone; removing the patch removes just them."""
        audit = "baseline" if level == "privileged" else "restricted"
        return k8s.core.v1.NamespacePatch(
            f"{name}-{namespace}-pod-security",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                name=namespace,
                labels={
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/audit": audit,
                    "pod-security.kubernetes.io/warn": audit,
                },
                annotations={POD_SECURITY_REASON: reason} if reason else None,
            ),
            opts=cluster.opts(self),
        )


def _variant(render: Render) -> str:
    """The policies and their namespaces as rendered, and the registry allow-list."""
    policies = {p["metadata"]["name"]: p for p in kinds(render, "ValidatingAdmissionPolicy")}
    if not policies:
        return ""
    registries = allowed_registries_of(policies.get("k8tre-allowed-registries", {}).get("spec", {}).get("variables") or [])
    patched = sorted(
        f"{n['metadata']['name']}={n['metadata']['labels']['pod-security.kubernetes.io/enforce']}"
        for n in kinds(render, "Namespace")
        if n["metadata"]["name"] in EXISTING_NAMESPACES
    )
    return f"{len(policies)} policies; registries {', '.join(registries)}; Pod Security {', '.join(patched)}"


ENTRY = ServiceEntry(
    name="admission guard rails",
    gives="pods refused at admission unless their images come from allowed registries, pinned; no hostPath in "
    "application namespaces; no privileged containers outside reviewed namespaces; Pod Security enforced on every namespace",
    charts=(),
    flows="none (served by kube-apiserver itself)",
    variant=_variant,
)
