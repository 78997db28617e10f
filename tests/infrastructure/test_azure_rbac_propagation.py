"""Azure role assignments are waited for before what relies on them: AKS, the etcd key, the first Kubernetes call."""

from __future__ import annotations

from conftest import graph_of
from k8tre.offline.graph import Graph, RecordedResource

WAIT = "command:local:Command"


def _reaches(graph: Graph, start: RecordedResource, target: str) -> bool:
    """Whether ``start`` depends on ``target`` (a URN), directly or through other resources."""
    by_urn = {r.urn: r for r in graph.resources}
    seen, todo = set(), list(start.dependencies)
    while todo:
        urn = todo.pop()
        if urn == target:
            return True
        if urn not in seen and urn in by_urn:
            seen.add(urn)
            todo += by_urn[urn].dependencies
    return False


def test_each_wait_follows_its_grants_and_is_keyed_on_them() -> None:
    graph = graph_of("dev")
    waits = graph.of_type(WAIT)
    assert len(waits) == 3
    for wait in waits:
        grants = [graph.get(u) for u in wait.dependencies]
        assert grants and all(g.type == "azure-native:authorization:RoleAssignment" for g in grants)
        # Keyed on the assignments: a new or replaced one waits again, an unchanged one never.
        assert sorted(wait.inputs["triggers"]) == sorted(g.id for g in grants)
        assert wait.inputs["create"] == "sleep 300"


def test_aks_the_key_and_cilium_wait_for_the_roles_they_use() -> None:
    graph = graph_of("dev")
    (cluster,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    (key,) = graph.of_type("azure-native:keyvault:Key")
    (cilium,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("cilium-release")]
    by_name = {r.name: r for r in graph.of_type(WAIT)}
    assert by_name["k8tre-infra-aks-rbac-propagation"].urn in cluster.dependencies
    assert by_name["k8tre-infra-aks-etcd-rbac-propagation"].urn in key.dependencies
    assert _reaches(graph, cilium, by_name["k8tre-infra-aks-access-rbac-propagation"].urn)
    officer = next(r for r in graph.resources if r.name.endswith("etcd-deployer-crypto-officer"))
    assert officer.urn not in key.dependencies, "the key waits for the role to be honoured, not merely created"
