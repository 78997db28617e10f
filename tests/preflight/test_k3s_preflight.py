"""K3s preflight rules: each passes on the examples and fails on the render changed the way its document forbids."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable

import pytest
import yaml

from conftest import graph_of
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight import run_preflight


def _status(graph: Graph, rule_id: str) -> str:
    (finding,) = [f for f in run_preflight(graph) if f.rule.id == rule_id]
    return finding.status


def _installs(graph: Graph, role: str = "server") -> list[RecordedResource]:
    return [
        c
        for c in graph.of_type("command:remote:Command")
        if c.inputs.get("create") == "sudo sh -s" and f"K3S_ROLE={role}\n" in c.inputs["stdin"]
    ]


def _rewrite(command: RecordedResource, variable: str, change: Callable[[str], str]) -> None:
    """Decode a base64 setting of the install script, change its text, and put it back."""
    match = re.search(rf"^{variable}=(\S+)$", command.inputs["stdin"], re.M)
    assert match, f"{command.name} has no {variable}"
    text = change(base64.b64decode(match.group(1)).decode())
    encoded = base64.b64encode(text.encode()).decode()
    command.inputs["stdin"] = command.inputs["stdin"].replace(match.group(0), f"{variable}={encoded}")


def _yaml_edit(edit: Callable[[dict[str, object]], None]) -> Callable[[str], str]:
    def change(text: str) -> str:
        document = yaml.safe_load(text)
        edit(document)
        return yaml.safe_dump(document)

    return change


RULES = ("k3s-api-address-in-certificate", "k3s-ha-fixed-registration-address", "k3s-protect-kernel-defaults-sysctls")


@pytest.mark.parametrize("rule_id", RULES)
def test_the_prod_example_passes(rule_id: str) -> None:
    assert _status(graph_of("k3s-prod"), rule_id) == "pass"


def test_a_single_server_is_not_judged_as_ha() -> None:
    assert _status(graph_of("k3s-dev"), "k3s-ha-fixed-registration-address") == "not-applicable"
    assert _status(graph_of("k3s-dev"), "k3s-api-address-in-certificate") == "pass"


def _vip_missing_from_tls_san(graph: Graph) -> None:
    _rewrite(_installs(graph)[1], "K3S_CONFIG_B64", _yaml_edit(lambda c: c.update({"tls-san": ["tre-api.internal"]})))


def _vip_elsewhere(graph: Graph) -> None:
    _rewrite(_installs(graph)[0], "K3S_KUBEVIP_B64", lambda text: text.replace("192.168.60.5", "192.168.60.6"))


def _api_on_a_server(graph: Graph) -> None:
    _rewrite(_installs(graph)[2], "K3S_CONFIG_B64", _yaml_edit(lambda c: c.update({"node-ip": "192.168.60.5"})))


def _sysctl_wrong(graph: Graph) -> None:
    _rewrite(_installs(graph, "agent")[0], "K3S_SYSCTL_B64", lambda text: text.replace("kernel.panic = 10", "kernel.panic = 0"))


@pytest.mark.parametrize(
    ("rule_id", "mutate"),
    [
        ("k3s-api-address-in-certificate", _vip_missing_from_tls_san),
        ("k3s-api-address-in-certificate", _vip_elsewhere),
        ("k3s-ha-fixed-registration-address", _vip_elsewhere),
        ("k3s-ha-fixed-registration-address", _api_on_a_server),
        ("k3s-protect-kernel-defaults-sysctls", _sysctl_wrong),
    ],
    ids=["vip-not-in-tls-san", "kube-vip-other-address", "kube-vip-not-the-api", "api-is-a-server", "sysctl"],
)
def test_each_rule_fails_on_what_its_document_forbids(rule_id: str, mutate: Callable[[Graph], None]) -> None:
    graph = copy.deepcopy(graph_of("k3s-prod"))
    mutate(graph)
    assert _status(graph, rule_id) == "fail"
