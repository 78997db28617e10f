"""The Pod Security Standards' Restricted controls (on top of Baseline), as the Kubernetes docs define them.

Source: Kubernetes docs, "Pod Security Standards", Restricted table
(https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted), and
k8s.io/pod-security-admission/policy (kubernetes/kubernetes,
staging/src/k8s.io/pod-security-admission/policy/check_*.go) for how an unset
container field inherits the pod-level one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .pods import PodTemplate, containers
from .pss_baseline import container_context, container_name, pod_context

# Volume Types: the only volume sources Restricted allows.
RESTRICTED_VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)


def _is_windows(pod: PodTemplate) -> bool:
    # The docs exempt Pods with spec.os.name "windows" from privilege escalation, seccomp and capabilities.
    return (pod.spec.get("os") or {}).get("name") == "windows"


def _user_namespaced(pod: PodTemplate) -> bool:
    # KEP-127: a pod in its own user namespace (hostUsers: false) may run as UID 0 inside it;
    # pod-security-admission relaxes runAsNonRoot and runAsUser for it.
    return pod.spec.get("hostUsers") is False


def volume_types(pod: PodTemplate) -> list[str]:
    """Volume Types: every volume uses one of the allowed sources."""
    reasons = []
    for volume in pod.spec.get("volumes") or ():
        if not isinstance(volume, Mapping):
            continue
        sources = sorted(key for key in volume if key != "name")
        bad = [source for source in sources if source not in RESTRICTED_VOLUME_TYPES]
        if bad:
            reasons.append(f"volume {volume.get('name')} uses {bad}")
    return reasons


def privilege_escalation(pod: PodTemplate) -> list[str]:
    """Privilege Escalation: every container sets allowPrivilegeEscalation=false (unset is refused)."""
    if _is_windows(pod):
        return []
    found = [
        container_name(f, c) for f, c in containers(pod.spec) if container_context(c).get("allowPrivilegeEscalation") is not False
    ]
    return [f"allowPrivilegeEscalation != false ({', '.join(found)})"] if found else []


def run_as_non_root(pod: PodTemplate) -> list[str]:
    """Running as Non-root: runAsNonRoot=true on the pod, or on every container; false anywhere is refused."""
    if _user_namespaced(pod):
        return []
    pod_value = pod_context(pod.spec).get("runAsNonRoot")
    reasons = ["pod sets runAsNonRoot=false"] if pod_value is False else []
    for field, container in containers(pod.spec):
        value = container_context(container).get("runAsNonRoot")
        if value is False or (value is None and pod_value is not True):
            reasons.append(f"{container_name(field, container)} runAsNonRoot != true")
    return reasons


def run_as_user(pod: PodTemplate) -> list[str]:
    """Running as Non-root user: runAsUser must not be 0 (pod or container)."""
    if _user_namespaced(pod):
        return []
    contexts = [("pod", pod_context(pod.spec))] + [(container_name(f, c), container_context(c)) for f, c in containers(pod.spec)]
    found = [where for where, context in contexts if context.get("runAsUser") == 0]
    return [f"runAsUser=0 ({', '.join(found)})"] if found else []


_CONFINED = ("RuntimeDefault", "Localhost")


def seccomp(pod: PodTemplate) -> list[str]:
    """Seccomp (Restricted): RuntimeDefault or Localhost on the pod, or on every container (unset container inherits)."""
    if _is_windows(pod):
        return []
    pod_type = (pod_context(pod.spec).get("seccompProfile") or {}).get("type")
    reasons = [f"pod seccompProfile.type={pod_type}"] if pod_type is not None and pod_type not in _CONFINED else []
    for field, container in containers(pod.spec):
        kind = (container_context(container).get("seccompProfile") or {}).get("type")
        if kind is not None and kind not in _CONFINED:
            reasons.append(f"{container_name(field, container)} seccompProfile.type={kind}")
        elif kind is None and pod_type not in _CONFINED:
            reasons.append(f"{container_name(field, container)} has no seccompProfile (nor has the pod)")
    return reasons


def capabilities(pod: PodTemplate) -> list[str]:
    """Capabilities (Restricted): drop must include ALL; add may only name NET_BIND_SERVICE."""
    if _is_windows(pod):
        return []
    reasons = []
    for field, container in containers(pod.spec):
        caps: Mapping[str, Any] = container_context(container).get("capabilities") or {}
        if "ALL" not in [str(c) for c in caps.get("drop") or ()]:
            reasons.append(f"{container_name(field, container)} does not drop ALL capabilities")
        extra = sorted(str(c) for c in caps.get("add") or () if str(c) != "NET_BIND_SERVICE")
        if extra:
            reasons.append(f"{container_name(field, container)} adds capabilities {extra}")
    return reasons
