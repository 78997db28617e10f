"""Pod Security: every pod template passes the level enforced on the namespace it lands in.

The level of a namespace is its ``pod-security.kubernetes.io/enforce`` label in the program's
render; a namespace the program does not create (one a chart makes, or ``kube-system``) has
the cluster's default. With no AdmissionConfiguration the Pod Security admission
controller's default is ``privileged`` (Kubernetes docs, "Enforce Pod Security Standards by
Configuring the Built-in Admission Controller": defaults ``enforce: "privileged"``,
https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-admission-controller/),
and the program configures none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..offline.workloads import ExpandedRelease
from . import pss_baseline as base
from . import pss_restricted as strict
from .findings import Finding, object_ref
from .pods import PodTemplate, pod_template

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("privileged", "baseline", "restricted")
"""Weakest to strictest; each level includes every control of the ones before it."""
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
REASON_ANNOTATION = "k8tre.io/pod-security-reason"
"""Why a namespace enforces less than ``restricted`` (set by ``k8tre.namespace.platform_namespace``)."""
CLUSTER_DEFAULT: Level = "privileged"


@dataclass(frozen=True)
class Control:
    """One control of a Pod Security Standard."""

    name: str
    """The control's name in the docs' table."""
    level: Level
    """The weakest level that enforces it."""
    refuse: Callable[[PodTemplate], list[str]]
    """Why a pod template fails the control (empty: it passes)."""
    since: int = 0
    """The first Kubernetes minor version (1.x) whose admission enforces it."""


CONTROLS: tuple[Control, ...] = (
    Control("HostProcess", "baseline", base.host_process),
    Control("Host Namespaces", "baseline", base.host_namespaces),
    Control("Privileged Containers", "baseline", base.privileged),
    Control("Capabilities", "baseline", base.capabilities),
    Control("HostPath Volumes", "baseline", base.host_path),
    Control("Host Ports", "baseline", base.host_ports),
    Control("Host Probes / Lifecycle Hooks", "baseline", base.host_probes, since=34),
    Control("AppArmor", "baseline", base.apparmor),
    Control("SELinux", "baseline", base.selinux),
    Control("/proc Mount Type", "baseline", base.proc_mount),
    Control("Seccomp", "baseline", base.seccomp),
    Control("Sysctls", "baseline", base.sysctls),
    Control("Volume Types", "restricted", strict.volume_types),
    Control("Privilege Escalation", "restricted", strict.privilege_escalation),
    Control("Running as Non-root", "restricted", strict.run_as_non_root),
    Control("Running as Non-root user", "restricted", strict.run_as_user),
    Control("Seccomp", "restricted", strict.seccomp),
    Control("Capabilities", "restricted", strict.capabilities),
)


def minor_version(kubernetes_version: str) -> int:
    """The minor number of ``1.33``, ``v1.33.5`` or ``v1.33.5+k3s1``."""
    return int(kubernetes_version.removeprefix("v").split(".")[1])


def refusals(pod: PodTemplate, level: Level, minor: int) -> list[str]:
    """``"<control>: <reason>"`` for each control of ``level`` the pod template fails."""
    wanted = LEVELS.index(level)
    reasons: list[str] = []
    for control in CONTROLS:
        if LEVELS.index(control.level) <= wanted and minor >= control.since:
            reasons += [f"{control.name}: {reason}" for reason in control.refuse(pod)]
    return reasons


def strictest_level(pod: PodTemplate, minor: int) -> Level:
    """The strictest level whose every control the pod template passes."""
    return next(level for level in reversed(LEVELS) if not refusals(pod, level, minor))


def namespace_levels(manifests: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Level, str]]:
    """``{namespace: (enforced level, reason)}`` for the Namespace objects the program renders."""
    levels: dict[str, tuple[Level, str]] = {}
    for obj in manifests:
        if obj.get("apiVersion") == "v1" and obj.get("kind") == "Namespace":
            meta = obj.get("metadata") or {}
            label = (meta.get("labels") or {}).get(ENFORCE_LABEL, CLUSTER_DEFAULT)
            # An unknown level is refused by the admission plugin's label validation; treat it as the weakest.
            level: Level = label if label in LEVELS else "privileged"
            levels[str(meta.get("name"))] = (level, str((meta.get("annotations") or {}).get(REASON_ANNOTATION, "")))
    return levels


def check_pod_security(
    releases: Iterable[ExpandedRelease],
    manifests: Iterable[Mapping[str, Any]],
    kubernetes_version: str,
    cluster_default: Level = CLUSTER_DEFAULT,
) -> list[Finding]:
    """Every pod template admitted by its namespace's level; every namespace as strict as its workloads allow."""
    minor = minor_version(kubernetes_version)
    manifests = list(manifests)
    levels = namespace_levels(manifests)
    findings: list[Finding] = []
    meets: dict[str, list[Level]] = {}
    pods = [(None, obj) for obj in manifests] + [(r, obj) for r in releases for obj in r.objects]
    for release, obj in pods:
        pod = pod_template(obj)
        if pod is None:
            continue
        namespace = str((obj.get("metadata") or {}).get("namespace") or (release.namespace if release else "default"))
        level = levels.get(namespace, (cluster_default, ""))[0]
        subject = f"{release.name}: {object_ref(obj)}" if release else object_ref(obj)
        for reason in refusals(pod, level, minor):
            findings.append(Finding("pod-security", subject, f"refused by {level} in namespace {namespace}: {reason}"))
        meets.setdefault(namespace, []).append(strictest_level(pod, minor))
    for namespace, (level, reason) in sorted(levels.items()):
        achievable = min((LEVELS.index(m) for m in meets.get(namespace, ())), default=LEVELS.index("restricted"))
        if LEVELS.index(level) < achievable and not reason:
            findings.append(
                Finding(
                    "pod-security",
                    f"Namespace/-/{namespace}",
                    f"enforces {level} but every workload rendered there meets {LEVELS[achievable]}; "
                    f"enforce {LEVELS[achievable]} or give the reason in code",
                )
            )
    return findings
