"""Admission: what the cluster's own admission would refuse, and namespaces outside Pod Security.

Two checks over a render:

- **admission policies**: the ValidatingAdmissionPolicies and bindings the render declares, applied
  (through each rule's Python twin in :mod:`k8tre.agnostics.admission_rules`) to every pod template the
  charts and manifests produce, in the namespace it lands in, with that namespace's rendered labels. A
  pod a policy would refuse is a deployment that would hang; a policy without a twin cannot be judged.
- **Pod Security labels**: every namespace the render creates or puts objects into carries a
  ``pod-security.kubernetes.io/enforce`` label (on its Namespace object or a NamespacePatch): without
  one, Pod Security admission falls back to its default, ``privileged``, and admits anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..agnostics.admission_rules import ENFORCE_LABEL, RULES, allowed_registries_of, selects
from ..offline.workloads import ExpandedRelease
from .findings import Finding, object_ref
from .pods import pod_template
from .scopes import crd_scopes, is_namespaced

METADATA_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (Kubernetes docs, "Well-Known Labels")."""


def namespace_labels(objects: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Each namespace's labels as the render leaves them: Namespace objects and patches merged, in order."""
    labels: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.get("apiVersion") == "v1" and obj.get("kind") == "Namespace":
            meta = obj.get("metadata") or {}
            name = str(meta.get("name"))
            labels.setdefault(name, {METADATA_NAME_LABEL: name}).update(meta.get("labels") or {})
    return labels


def _placed(
    releases: Iterable[ExpandedRelease], manifests: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``(subject prefix, namespace, object)`` for every object, with the namespace it lands in."""
    placed = [("", str((m.get("metadata") or {}).get("namespace") or ""), m) for m in manifests]
    for release in releases:
        placed += [
            (f"{release.name}: ", str((o.get("metadata") or {}).get("namespace") or release.namespace), o)
            for o in release.objects
        ]
    return placed


def check_admission(
    releases: Iterable[ExpandedRelease],
    manifests: Iterable[Mapping[str, Any]],
    spawned: Iterable[tuple[str, str]] = (),
) -> list[Finding]:
    """Pods the rendered admission policies would refuse, and policies that cannot be judged.

    ``spawned`` is ``(namespace, image)`` for pods started at run time (JupyterHub's notebooks),
    judged as a pod with that one container.
    """
    releases = list(releases)
    manifests = list(manifests)
    objects = [*manifests, *(o for r in releases for o in r.objects)]
    labels = namespace_labels(objects)
    twins = {rule.name: rule for rule in RULES}
    policies = {str(m["metadata"]["name"]): m for m in manifests if m.get("kind") == "ValidatingAdmissionPolicy"}
    findings = [
        Finding("admission", f"ValidatingAdmissionPolicy/-/{name}", "no Python twin in admission_rules to judge it with")
        for name in sorted(set(policies) - set(twins))
    ]
    bindings = [m for m in manifests if m.get("kind") == "ValidatingAdmissionPolicyBinding"]
    pods = [(prefix, namespace, obj, pod_template(obj)) for prefix, namespace, obj in _placed(releases, manifests)]
    judged = [(f"{prefix}{object_ref(obj)}", namespace or "default", pod.spec) for prefix, namespace, obj, pod in pods if pod]
    judged += [
        (f"spawned pod {image}", namespace, {"containers": [{"name": "notebook", "image": image}]})
        for namespace, image in spawned
    ]
    for binding in bindings:
        spec = binding.get("spec") or {}
        rule, policy = twins.get(str(spec.get("policyName"))), policies.get(str(spec.get("policyName")))
        if rule is None or policy is None:
            continue
        registries = allowed_registries_of((policy.get("spec") or {}).get("variables") or [])
        selector = (spec.get("matchResources") or {}).get("namespaceSelector") or {}
        for subject, namespace, pod_spec in judged:
            if selects(selector, labels.get(namespace, {METADATA_NAME_LABEL: namespace})):
                findings += [
                    Finding("admission", subject, f"{rule.name} in {namespace}: {why}")
                    for why in rule.refuse(pod_spec, registries)
                ]
    return findings


def check_namespace_labels(releases: Iterable[ExpandedRelease], manifests: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Every namespace the render makes or uses carries a Pod Security ``enforce`` label."""
    releases = list(releases)
    manifests = list(manifests)
    objects = [*manifests, *(o for r in releases for o in r.objects)]
    labels = namespace_labels(objects)
    scopes = crd_scopes(objects)
    used = set(labels) | {r.namespace for r in releases}
    for _, namespace, obj in _placed(releases, manifests):
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        if namespace and is_namespaced(group, str(obj.get("kind")), scopes) is not False:
            used.add(namespace)
    return [
        Finding("pod-security-label", f"Namespace/-/{name}", f"no {ENFORCE_LABEL} label: Pod Security admits anything here")
        for name in sorted(used)
        if ENFORCE_LABEL not in labels.get(name, {})
    ]
