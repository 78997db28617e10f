"""The Pod Security Standards' Baseline controls, each as the Kubernetes docs define it.

Source for every control below: Kubernetes docs, "Pod Security Standards", Baseline table
(https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline), and its
implementation in k8s.io/pod-security-admission/policy (kubernetes/kubernetes,
staging/src/k8s.io/pod-security-admission/policy/check_*.go). Each function returns the
reasons the pod template is refused (empty: allowed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .pods import PodTemplate, containers


def pod_context(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod-level securityContext (empty when unset)."""
    return spec.get("securityContext") or {}


def container_context(container: Mapping[str, Any]) -> Mapping[str, Any]:
    """A container's securityContext (empty when unset)."""
    return container.get("securityContext") or {}


def container_name(field: str, container: Mapping[str, Any]) -> str:
    """``containers[name]``: which container a reason is about."""
    return f"{field}[{container.get('name', '?')}]"


def host_process(pod: PodTemplate) -> list[str]:
    """HostProcess: windowsOptions.hostProcess must be undefined or false (pod and containers)."""
    found = ["pod"] if (pod_context(pod.spec).get("windowsOptions") or {}).get("hostProcess") else []
    for field, container in containers(pod.spec):
        if (container_context(container).get("windowsOptions") or {}).get("hostProcess"):
            found.append(container_name(field, container))
    return [f"hostProcess=true ({', '.join(found)})"] if found else []


def host_namespaces(pod: PodTemplate) -> list[str]:
    """Host Namespaces: spec.hostNetwork, hostPID and hostIPC must be undefined or false."""
    return [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.spec.get(field)]


def privileged(pod: PodTemplate) -> list[str]:
    """Privileged Containers: securityContext.privileged must be undefined or false."""
    found = [container_name(f, c) for f, c in containers(pod.spec) if container_context(c).get("privileged")]
    return [f"privileged=true ({', '.join(found)})"] if found else []


# Capabilities: the docs' allowed list for capabilities.add (the container runtime's default set).
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities(pod: PodTemplate) -> list[str]:
    """Capabilities: capabilities.add may name only the runtime's default set."""
    reasons = []
    for field, container in containers(pod.spec):
        added = (container_context(container).get("capabilities") or {}).get("add") or ()
        extra = sorted(str(cap) for cap in added if str(cap) not in BASELINE_CAPABILITIES)
        if extra:
            reasons.append(f"{container_name(field, container)} adds capabilities {extra}")
    return reasons


def host_path(pod: PodTemplate) -> list[str]:
    """HostPath Volumes: spec.volumes[*].hostPath must be undefined."""
    found = [str(v.get("name")) for v in pod.spec.get("volumes") or () if isinstance(v, Mapping) and "hostPath" in v]
    return [f"hostPath volumes {found}"] if found else []


def host_ports(pod: PodTemplate) -> list[str]:
    """Host Ports: ports[*].hostPort must be undefined or 0 (the built-in admission allows no list)."""
    reasons = []
    for field, container in containers(pod.spec):
        ports = [p.get("hostPort") for p in container.get("ports") or () if isinstance(p, Mapping) and p.get("hostPort")]
        if ports:
            reasons.append(f"{container_name(field, container)} uses hostPort {ports}")
    return reasons


def _handlers(container: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    handlers = [(probe, container.get(probe) or {}) for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
    lifecycle = container.get("lifecycle") or {}
    handlers += [(f"lifecycle.{hook}", lifecycle.get(hook) or {}) for hook in ("postStart", "preStop")]
    return handlers


def host_probes(pod: PodTemplate) -> list[str]:
    """Host Probes / Lifecycle Hooks (v1.34+): httpGet.host and tcpSocket.host must be undefined or ""."""
    reasons = []
    for field, container in containers(pod.spec):
        for where, handler in _handlers(container):
            for action in ("httpGet", "tcpSocket"):
                host = (handler.get(action) or {}).get("host")
                if host:
                    reasons.append(f"{container_name(field, container)} {where}.{action}.host={host!r}")
    return reasons


_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def apparmor(pod: PodTemplate) -> list[str]:
    """AppArmor: appArmorProfile.type undefined, RuntimeDefault or Localhost; annotation runtime/default or localhost/*."""
    reasons = []
    contexts = [("pod", pod_context(pod.spec))] + [(container_name(f, c), container_context(c)) for f, c in containers(pod.spec)]
    for where, context in contexts:
        kind = (context.get("appArmorProfile") or {}).get("type")
        if kind not in (None, "RuntimeDefault", "Localhost"):
            reasons.append(f"{where} appArmorProfile.type={kind}")
    for key, value in (pod.metadata.get("annotations") or {}).items():
        if key.startswith(_APPARMOR_ANNOTATION) and value != "runtime/default" and not str(value).startswith("localhost/"):
            reasons.append(f"annotation {key}={value}")
    return reasons


# SELinux: the allowed types (container_engine_t since v1.31); user and role must be unset.
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def selinux(pod: PodTemplate) -> list[str]:
    """SELinux: seLinuxOptions.type from the allowed list; seLinuxOptions.user and .role undefined or ""."""
    reasons = []
    contexts = [("pod", pod_context(pod.spec))] + [(container_name(f, c), container_context(c)) for f, c in containers(pod.spec)]
    for where, context in contexts:
        options = context.get("seLinuxOptions") or {}
        if options.get("type", "") not in SELINUX_TYPES:
            reasons.append(f"{where} seLinuxOptions.type={options['type']}")
        reasons += [f"{where} seLinuxOptions.{key} is set" for key in ("user", "role") if options.get(key)]
    return reasons


def proc_mount(pod: PodTemplate) -> list[str]:
    """/proc Mount Type: procMount undefined or Default."""
    found = [
        container_name(f, c) for f, c in containers(pod.spec) if container_context(c).get("procMount") not in (None, "Default")
    ]
    return [f"procMount is not Default ({', '.join(found)})"] if found else []


def seccomp(pod: PodTemplate) -> list[str]:
    """Seccomp (Baseline): seccompProfile.type must not be Unconfined (pod and containers)."""
    contexts = [("pod", pod_context(pod.spec))] + [(container_name(f, c), container_context(c)) for f, c in containers(pod.spec)]
    found = [where for where, context in contexts if (context.get("seccompProfile") or {}).get("type") == "Unconfined"]
    return [f"seccompProfile.type=Unconfined ({', '.join(found)})"] if found else []


# Sysctls: the docs' "safe" set (namespaced, isolated from other pods), as of Kubernetes 1.29+.
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)


def sysctls(pod: PodTemplate) -> list[str]:
    """Sysctls: spec.securityContext.sysctls[*].name only from the safe set."""
    names = [str(s.get("name")) for s in pod_context(pod.spec).get("sysctls") or () if isinstance(s, Mapping)]
    unsafe = sorted(name for name in names if name not in SAFE_SYSCTLS)
    return [f"unsafe sysctls {unsafe}"] if unsafe else []
