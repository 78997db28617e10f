"""Preflight rules for K3s on the site's own machines: the API address and the kernel settings K3s documents.

Each rule reads what the install scripts would give the machines (the parsed script and the
``config.yaml`` it writes, :mod:`k8tre.policies.k3s_script`) and Cilium's values, and compares them
with the constraint as K3s's or kube-vip's documentation states it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml

from ..chart_lock import chart_name
from ..offline.graph import Graph, RecordedResource
from ..policies.facts import plain
from ..policies.k3s_script import K3sScript, install_commands, script_of
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

RELEASE = "kubernetes:helm.sh/v3:Release"

# The sysctl values the kubelet checks when --protect-kernel-defaults is set, as the K3s CIS hardening guide lists
# them ("Host-level Requirements", "Ensure protect-kernel-defaults is set"); written out here from the guide, not
# taken from the program, so the rule compares the program with the document.
CIS_KERNEL_DEFAULTS = {"vm.panic_on_oom": "0", "vm.overcommit_memory": "1", "kernel.panic": "10", "kernel.panic_on_oops": "1"}


def _servers(graph: Graph) -> list[tuple[RecordedResource, K3sScript]]:
    found = []
    for command in install_commands(graph):
        script = script_of(command)
        if script is not None and script.is_server:
            found.append((command, script))
    return found


def _cilium_api_host(graph: Graph) -> str | None:
    for release in graph.of_type(RELEASE):
        if chart_name(str(release.inputs.get("chart", ""))) == "cilium":
            host = (plain(release.inputs.get("values")) or {}).get("k8sServiceHost")
            return str(host) if host else None
    return None


def _decoded(script: K3sScript, variable: str) -> str:
    try:
        return base64.b64decode(script.exports.get(variable, ""), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def _vip(script: K3sScript) -> str | None:
    """The address kube-vip announces, from the manifest the install script hands K3s (none without kube-vip)."""
    for document in yaml.safe_load_all(_decoded(script, "K3S_KUBEVIP_B64")):
        if isinstance(document, dict) and document.get("kind") == "DaemonSet":
            for container in document["spec"]["template"]["spec"]["containers"]:
                env: dict[str, Any] = {e.get("name"): e.get("value") for e in container.get("env") or []}
                if env.get("address"):
                    return str(env["address"])
    return None


@preflight_rule(
    "k3s-api-address-in-certificate",
    cloud="k3s",
    constraint="Clients that reach the API server by an address other than a server's own (a virtual IP, a load "
    "balancer) must find that address among the server certificate's SANs, added with --tls-san on every server.",
    source="https://docs.k3s.io/cli/server#listeners",
)
def api_address_in_certificate(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Cilium's API address and kube-vip's address are in every server's ``tls-san``."""
    evaluation = Evaluation()
    api_host = _cilium_api_host(graph)
    for command, script in _servers(graph):
        sans = {str(s) for s in script.config.get("tls-san") or []}
        for address, who in ((api_host, "Cilium's k8sServiceHost"), (_vip(script), "kube-vip's address")):
            if address is not None:
                evaluation.check(command.urn, address in sans, f"{who} {address} is not in tls-san {sorted(sans)}")
    return evaluation


@preflight_rule(
    "k3s-ha-fixed-registration-address",
    cloud="k3s",
    constraint="With several servers, nodes and clients register through a fixed address in front of them (a load "
    "balancer or a virtual IP), not one server's address, so losing that server does not cut them off; the address "
    "kube-vip announces is the one clients use.",
    source="https://docs.k3s.io/datastore/cluster-loadbalancer",
)
def ha_fixed_registration_address(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """In HA, Cilium's API address is no server's own, and kube-vip (if any) announces exactly it."""
    evaluation = Evaluation()
    servers = _servers(graph)
    api_host = _cilium_api_host(graph)
    if len(servers) < 3 or api_host is None:
        return evaluation
    # Each server's own address as K3s uses it (node-ip in its config.yaml).
    addresses = {str(script.config.get("node-ip")) for _, script in servers}
    for command, script in servers:
        evaluation.check(command.urn, api_host not in addresses, f"the API address {api_host} is a server's own")
        vip = _vip(script)
        if vip is not None:
            evaluation.check(command.urn, vip == api_host, f"kube-vip announces {vip}, but clients use {api_host}")
    return evaluation


@preflight_rule(
    "k3s-protect-kernel-defaults-sysctls",
    cloud="k3s",
    constraint="With protect-kernel-defaults the kubelet refuses to start unless vm.panic_on_oom=0, "
    "vm.overcommit_memory=1, kernel.panic=10 and kernel.panic_on_oops=1 are set on the host.",
    source="https://docs.k3s.io/security/hardening-guide#ensure-protect-kernel-defaults-is-set",
)
def protect_kernel_defaults_sysctls(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every machine whose kubelet protects kernel defaults gets the guide's sysctl values first."""
    evaluation = Evaluation()
    for command in install_commands(graph):
        script = script_of(command)
        if script is None or script.config.get("protect-kernel-defaults") is not True:
            continue
        written = {}
        for line in _decoded(script, "K3S_SYSCTL_B64").splitlines():
            if "=" in line:
                key, value = (part.strip() for part in line.split("=", 1))
                written[key] = value
        for key, value in CIS_KERNEL_DEFAULTS.items():
            evaluation.check(command.urn, written.get(key) == value, f"{key} is {written.get(key)!r}, the guide needs {value}")
    return evaluation
