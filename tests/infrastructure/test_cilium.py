"""Cilium: the values every cloud gets, and the component under Pulumi's own test runner."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from conftest import graph_of
from k8tre.chart_lock import chart_name
from k8tre.config.common import CiliumSettings, PodNetwork
from k8tre.infrastructure.cilium import Cilium, cilium_values
from k8tre.infrastructure.cluster import CiliumFacts, PlatformFacts, ProvisionedCluster, StorageClassFacts, StorageFacts
from k8tre.offline.monitor import RecordingMonitor
from k8tre.stage import Stage
from k8tre.versions import CHARTS


def _cilium_values(stack: str) -> dict[str, object]:
    graph = graph_of(stack)
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    assert release.inputs["namespace"] == "kube-system"
    return dict(release.inputs["values"])


@pytest.mark.parametrize("stack", ["dev", "stg", "prod", "aws-dev", "k3s-dev"])
def test_cilium_replaces_kube_proxy_with_cluster_pool_ipam(stack: str) -> None:
    values = _cilium_values(stack)
    assert values["kubeProxyReplacement"] is True
    assert values["k8sServiceHost"] and values["k8sServicePort"] in (443, 6443)
    # EKS: ENI mode, pods on VPC addresses the control plane can reach (tests/infrastructure/test_aws.py).
    assert values["ipam"]["mode"] == ("eni" if stack.startswith("aws") else "cluster-pool")  # type: ignore[index]
    assert values["l7Proxy"] is True
    assert values["gatewayAPI"] == {"enabled": True}


def test_pod_cidr_comes_from_config() -> None:
    values = _cilium_values("stg")
    assert values["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == ["10.245.0.0/16"]  # type: ignore[index]


def test_encryption_is_on_outside_dev() -> None:
    assert _cilium_values("dev")["encryption"]["enabled"] is False  # type: ignore[index]
    assert _cilium_values("stg")["encryption"]["enabled"] is True  # type: ignore[index]
    assert _cilium_values("prod")["encryption"] == {"enabled": True, "type": "wireguard"}


def test_only_aks_gets_the_byo_cni_switch() -> None:
    assert _cilium_values("dev")["aksbyocni"] == {"enabled": True}
    assert "aksbyocni" not in _cilium_values("aws-dev")
    assert "aksbyocni" not in _cilium_values("k3s-dev")


def _facts(host: str) -> ProvisionedCluster:
    provider = k8s.Provider("test-k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
    return ProvisionedCluster(
        name=pulumi.Output.from_input("c"),
        kubeconfig=pulumi.Output.secret("apiVersion: v1"),
        provider=provider,
        ready=[],
        cilium=CiliumFacts(api_server_host=host, api_server_port=6443),
        platform=PlatformFacts(
            StorageFacts(StorageClassFacts("p", {}, zonal=False), StorageClassFacts("p", {}, zonal=False)), {}
        ),
    )


@pulumi.runtime.test
def test_cilium_component_registers_a_release_on_the_cluster_provider(
    pulumi_runtime: RecordingMonitor,
) -> pulumi.Output[None]:
    stage = Stage("prod", "k8tre", "tre.example.org")
    cluster = _facts("10.0.0.1")
    values = cilium_values(cluster, PodNetwork(), CiliumSettings(), stage)
    component = Cilium("test-cilium", cluster, CHARTS["cilium"], values)

    def check(status: object) -> None:
        recorded = {r.name: r for r in pulumi_runtime.recorded.values()}
        release = recorded["test-cilium-release"]
        assert release.parent.endswith("k8tre:infrastructure:Cilium::test-cilium")
        assert release.provider == recorded["test-k8s"].urn
        assert release.inputs["version"] == CHARTS["cilium"].version
        assert release.inputs["values"]["operator"]["replicas"] == 2
        assert status is not None

    return component.release.status.apply(check)
