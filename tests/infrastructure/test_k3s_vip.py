"""The API's virtual IP on K3s: kube-vip on every server announcing apiHost by ARP, in the certificate, Cilium's API."""

from __future__ import annotations

import base64
import re

import yaml

from conftest import ROOT, graph_of
from k8tre.infrastructure.k3s import kube_vip
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.policies.facts import plain

PROD = yaml.safe_load((ROOT / "examples/Pulumi.k3s-prod.yaml").read_text())["config"]["k8tre:cluster"]


def _installs(graph: Graph) -> list[RecordedResource]:
    return [c for c in graph.of_type("command:remote:Command") if c.inputs.get("create") == "sudo sh -s"]


def _setting(command: RecordedResource, variable: str) -> str | None:
    match = re.search(rf"^{variable}=(\S+)$", command.inputs["stdin"], re.M)
    return base64.b64decode(match.group(1)).decode() if match else None


def test_every_server_runs_kube_vip_for_the_api_address_and_no_agent_does() -> None:
    installs = _installs(graph_of("k3s-prod"))
    servers = [c for c in installs if "K3S_ROLE=server\n" in c.inputs["stdin"]]
    assert len(servers) == 3
    for server in servers:
        text = _setting(server, "K3S_KUBEVIP_B64")
        assert text is not None, server.name
        (daemonset,) = [d for d in yaml.safe_load_all(text) if d["kind"] == "DaemonSet"]
        pod = daemonset["spec"]["template"]["spec"]
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        assert env["address"] == PROD["apiHost"] and env["vip_interface"] == PROD["kubeVip"]["interface"]
        assert env["vip_arp"] == "true" and env["cp_enable"] == "true" and env["vip_leaderelection"] == "true"
        assert env["svc_enable"] == "false", "Cilium announces LoadBalancer services, not kube-vip"
        assert pod["hostNetwork"] is True
        assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": "true"}
        assert pod["tolerations"] == [{"operator": "Exists"}], "it must start before Cilium makes the node Ready"
        assert pod["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]}
        config = yaml.safe_load(_setting(server, "K3S_CONFIG_B64") or "")
        assert PROD["apiHost"] in config["tls-san"]
        assert kube_vip.announced_address(text) == PROD["apiHost"]
    for agent in installs[3:]:
        assert _setting(agent, "K3S_KUBEVIP_B64") is None


def test_cilium_reaches_the_api_through_the_virtual_ip() -> None:
    (cilium,) = [r for r in graph_of("k3s-prod").of_type("kubernetes:helm.sh/v3:Release") if "cilium" in str(r.inputs["chart"])]
    assert plain(cilium.inputs["values"])["k8sServiceHost"] == PROD["apiHost"]


def test_without_kube_vip_no_manifest_is_written() -> None:
    for install in _installs(graph_of("k3s-dev")):
        assert _setting(install, "K3S_KUBEVIP_B64") is None


def test_machines_use_their_configured_address_as_node_ip() -> None:
    expected = {h["name"]: h["address"] for h in PROD["servers"] + PROD["agents"]}
    for install in _installs(graph_of("k3s-prod")):
        config = yaml.safe_load(_setting(install, "K3S_CONFIG_B64") or "")
        assert config["node-ip"] == expected[config["node-name"]]
