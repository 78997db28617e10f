"""The K3s configuration file of each machine, rendered from the stack's configuration.

K3s reads ``/etc/rancher/k3s/config.yaml`` at every start, its keys being the long names of
the ``k3s server`` / ``k3s agent`` flags (K3s docs, "Configuration File":
https://docs.k3s.io/installation/configuration#configuration-file). Rendering the whole
file here, rather than passing flags once to the installer, is what makes a changed setting
reach the hosts: the install script writes the file, and restarts K3s only when it changed.
No secret is in this file: the join tokens are in their own files (``token-file``,
``agent-token-file``), so the rendered configuration can be shown and reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import yaml

Role = Literal["server", "agent"]
"""A K3s machine runs the control plane (server) or only workloads (agent)."""

CONFIG_DIR: Final = "/etc/rancher/k3s"
SERVER_DIR: Final = "/var/lib/rancher/k3s/server"
AUDIT_DIR: Final = f"{SERVER_DIR}/audit"
TOKEN_FILE: Final = f"{CONFIG_DIR}/token"
"""The join token this machine presents (the server token on servers, the agent token on agents)."""
AGENT_TOKEN_FILE: Final = f"{CONFIG_DIR}/agent-token"
"""On servers: the separate token agents join with, so an agent cannot join as a server."""
ADMISSION_FILE: Final = f"{SERVER_DIR}/admission.yaml"
"""On servers: the API server's admission plugin configuration (Pod Security defaults, event rate limits)."""

# The kubelet and controller settings of the K3s CIS hardening guide (https://docs.k3s.io/security/hardening-guide,
# "Configuration for Kubernetes Components"), on every machine that runs a kubelet, servers included.
KUBELET_HARDENING: Final = (
    "streaming-connection-idle-timeout=5m",
    "tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
)
KERNEL_DEFAULTS: Final = {"vm.panic_on_oom": "0", "vm.overcommit_memory": "1", "kernel.panic": "10", "kernel.panic_on_oops": "1"}
"""The sysctls the kubelet expects when it protects kernel defaults (same guide, "Host-level Requirements")."""


def admission_configuration() -> dict[str, Any]:
    """The API server's AdmissionConfiguration: Pod Security ``restricted`` by default, and event rate limits.

    Namespaces the program creates set their own Pod Security level; one nobody labelled gets ``restricted``
    (Kubernetes docs, "Apply Pod Security Standards at the Cluster Level"). ``kube-system`` is exempt: Cilium
    runs there and needs host access. EventRateLimit bounds event floods from any one source (CIS 1.2.9).
    """
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": {
                        mode + suffix: value
                        for mode in ("enforce", "audit", "warn")
                        for suffix, value in (("", "restricted"), ("-version", "latest"))
                    },
                    "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]},
                },
            },
            {
                "name": "EventRateLimit",
                "configuration": {
                    "apiVersion": "eventratelimit.admission.k8s.io/v1alpha1",
                    "kind": "Configuration",
                    "limits": [{"type": "Server", "qps": 5000, "burst": 20000}],
                },
            },
        ],
    }


def hardening(role: Role) -> dict[str, Any]:
    """The CIS settings for one machine's config.yaml (the guide's server and agent configurations)."""
    settings: dict[str, Any] = {"protect-kernel-defaults": True, "kubelet-arg": list(KUBELET_HARDENING)}
    if role == "server":
        settings["kube-controller-manager-arg"] = ["terminated-pod-gc-threshold=100"]
    return settings


@dataclass(frozen=True)
class ClusterShape:
    """What every machine's configuration is derived from."""

    api_host: str
    """Address clients use for the API server (added to its certificate)."""
    pod_cidrs: tuple[str, ...]
    """Pod ranges; Cilium's cluster-pool IPAM hands out the same."""
    service_cidr: str
    """Service range."""
    audit_max_age_days: int
    """Days the API server keeps audit log files."""
    audit_max_backups: int = 10
    """Rotated audit log files kept."""
    audit_max_size_mib: int = 100
    """Size at which the audit log rotates."""
    server_settings: Mapping[str, Any] = field(default_factory=dict)
    """Further ``config.yaml`` keys for servers only (etcd snapshots: etcd_snapshots.py)."""


def node_config(
    role: Role, node_name: str, shape: ClusterShape, server_url: str | None, node_ip: str | None = None
) -> dict[str, Any]:
    """The ``config.yaml`` keys for one machine.

    ``server_url`` is empty for the first server, which initialises the embedded etcd
    (``cluster-init``); every other machine joins through it. ``node_ip``: the machine's address on the
    nodes' network; K3s otherwise takes the address of the default route's interface, which on a
    multi-homed machine may be the wrong network (K3s docs, server/agent ``--node-ip``).
    """
    config: dict[str, Any] = {"node-name": node_name, "token-file": TOKEN_FILE, **hardening(role)}
    if node_ip:
        config["node-ip"] = node_ip
    if server_url:
        config["server"] = server_url
    if role == "agent":
        return config
    if not server_url:
        config["cluster-init"] = True
    config.update(
        {
            "agent-token-file": AGENT_TOKEN_FILE,
            # Cilium is the CNI, the network-policy engine and the service proxy; K3s must not start its own
            # (K3s docs, "Networking Options": custom CNI needs flannel and the network policy controller off).
            "flannel-backend": "none",
            "disable-network-policy": True,
            "disable-kube-proxy": True,
            # The Cilium Gateway serves ingress and Cilium announces load-balancer addresses.
            "disable": ["traefik", "servicelb"],
            "cluster-cidr": ",".join(shape.pod_cidrs),
            "service-cidr": shape.service_cidr,
            "tls-san": [shape.api_host],
            "secrets-encryption": True,
            "write-kubeconfig-mode": "0600",
            "kube-apiserver-arg": [
                # The API server's audit trail (SATRE 2.5.03), rotated by size and age.
                f"audit-policy-file={AUDIT_DIR}/policy.yaml",
                f"audit-log-path={AUDIT_DIR}/audit.log",
                f"audit-log-maxage={shape.audit_max_age_days}",
                f"audit-log-maxbackup={shape.audit_max_backups}",
                f"audit-log-maxsize={shape.audit_max_size_mib}",
                # K3s CIS hardening guide: service-account tokens are not silently given a longer life.
                "service-account-extend-token-expiration=false",
                "enable-admission-plugins=NodeRestriction,EventRateLimit",
                f"admission-control-config-file={ADMISSION_FILE}",
            ],
            **shape.server_settings,
        }
    )
    return config


def render(config: dict[str, Any]) -> str:
    """The file's text: stable key order, so an unchanged configuration is byte-identical and causes no restart."""
    return yaml.safe_dump(config, sort_keys=True, default_flow_style=False)
