"""Whether a kind is namespaced: Argo CD's project rules, and Pod Security, depend on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..offline.schemas import CORE_GROUPS

# Cluster-scoped kinds served by kube-apiserver itself (`kubectl api-resources --namespaced=false`;
# Kubernetes API reference, https://kubernetes.io/docs/reference/kubernetes-api/). Every other core kind is namespaced.
CLUSTER_SCOPED_CORE: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
    }
)


def crd_scopes(objects: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], bool]:
    """``{(group, kind): namespaced}`` from the CustomResourceDefinitions among ``objects``."""
    scopes: dict[tuple[str, str], bool] = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition" and str(obj.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
            spec = obj.get("spec") or {}
            key = (str(spec.get("group")), str((spec.get("names") or {}).get("kind")))
            scopes[key] = spec.get("scope") == "Namespaced"
    return scopes


def is_namespaced(group: str, kind: str, custom: Mapping[tuple[str, str], bool]) -> bool | None:
    """True/False when known (core kinds, or a CRD in ``custom``); None when nothing tells."""
    if group in CORE_GROUPS:
        return (group, kind) not in CLUSTER_SCOPED_CORE
    return custom.get((group, kind))
