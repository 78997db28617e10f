"""Issue 12's remaining hardening, rendered from real and changed stack files and judged by the preflight rules.

Node subnet NSG and the Gateway's client ranges, KMS encryption of etcd Secrets, ephemeral OS disks,
storage soft delete and infrastructure encryption, and the hub owner's firewall rules as a file.
Each rule is shown passing on the shipped stacks and failing on a harmfully changed render.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import graph_of, stack_file
from k8tre.infrastructure.azure.managed_cluster import PREVIEW_TOKEN
from k8tre.offline.engine import execute, read
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.offline.render import HUB_FIREWALL_RULES_FILE, write
from k8tre.preflight.azure_network import Flow, inbound_verdict
from k8tre.preflight.azure_os_disk import VM_SIZES
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)
STACKS = ("dev", "stg", "prod")


def _with(stack: str, change: dict[str, Any]) -> Graph:
    loaded = read(stack_file(stack))
    values = copy.deepcopy(loaded.values)
    values["k8tre:cluster"] |= change
    return execute(loaded.stack, values, set(loaded.secret_keys))


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def _one(graph: Graph, suffix: str) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.name.endswith(suffix)]
    return found


def _cluster(graph: Graph) -> RecordedResource:
    (cluster,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    return cluster


def _nsg_rules(graph: Graph, part: str) -> list[dict[str, Any]]:
    return list(_one(graph, f"spoke-nsg-{part}").inputs["securityRules"])


# --- Node subnet NSG and the Gateway's clients --------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_node_subnet_admits_what_aks_needs_and_denies_its_peers(stack: str) -> None:
    graph = graph_of(stack)
    assert _finding(graph, "azure-aks-node-subnet-nsg").status == "pass"
    rules = _nsg_rules(graph, "nodes")
    node = _one(graph, "spoke-nodes").inputs["addressPrefix"].rsplit(".", 2)[0]
    pod = _cluster(graph).inputs["networkProfile"]["podCidr"].rsplit(".", 2)[0]
    assert inbound_verdict(rules, Flow(f"{node}.0.4", f"{node}.0.5", 51871, "Udp"))[0] == "Allow"  # WireGuard
    assert inbound_verdict(rules, Flow(f"{pod}.3.7", f"{node}.0.5", 4240))[0] == "Allow"  # pod to node
    # A peered spoke or the hub, on any port the Gateway does not serve, meets the group's own deny.
    assert inbound_verdict(rules, Flow("10.99.0.4", f"{node}.0.5", 10250)) == ("Deny", "deny-all-inbound")
    private = _cluster(graph).inputs["apiServerAccessProfile"]["enablePrivateCluster"]
    assert any(r["name"] == "allow-private-api-clients" for r in rules) is private


def test_without_its_own_deny_the_node_subnet_trusts_every_peer() -> None:
    graph = copy.deepcopy(graph_of("prod"))
    nsg = _one(graph, "spoke-nsg-nodes")
    nsg.inputs["securityRules"] = [r for r in nsg.inputs["securityRules"] if r["access"] != "Deny"]
    finding = _finding(graph, "azure-aks-node-subnet-nsg")
    assert finding.status == "fail"
    assert any("AllowVNetInBound" in v.message for v in finding.evaluation.violations)


def test_an_nsg_that_blocks_node_to_node_traffic_is_refused() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    nsg = _one(graph, "spoke-nsg-nodes")
    nsg.inputs["securityRules"] = [r for r in nsg.inputs["securityRules"] if r["name"] != "allow-node-to-node"]
    assert _finding(graph, "azure-aks-node-subnet-nsg").status == "fail"


def test_the_gateway_accepts_only_the_configured_client_ranges() -> None:
    graph = _with("prod", {"clientRanges": ["10.1.0.0/22", "192.168.10.0/24"]})
    (gateway,) = [m for m in graph.manifests() if m.get("kind") == "Gateway" and m["metadata"]["name"] == "k8tre"]
    annotations = gateway["spec"]["infrastructure"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-allowed-ip-ranges"] == "10.1.0.0/22,192.168.10.0/24"
    frontend = "10.12.8.10"  # the internal load balancer's address in snet-ingress
    for part in ("nodes", "ingress"):
        rules = _nsg_rules(graph, part)
        assert inbound_verdict(rules, Flow("10.1.0.20", frontend, 443))[0] == "Allow"
        assert inbound_verdict(rules, Flow("192.168.10.9", frontend, 80))[0] == "Allow"
        # Another spoke of the same hub is private space, but not a client: denied on the Gateway's port too.
        assert inbound_verdict(rules, Flow("10.20.0.4", frontend, 443)) == ("Deny", "deny-all-inbound")


# --- KMS encryption of etcd Secrets -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_etcd_secrets_are_encrypted_with_a_rotating_key_in_a_private_vault(stack: str) -> None:
    graph = graph_of(stack)
    assert _finding(graph, "azure-aks-kms-etcd-encryption").status == "pass"
    kms = _cluster(graph).inputs["securityProfile"]["azureKeyVaultKms"]
    key = _one(graph, "etcd-key")
    assert kms["keyId"].endswith("/keys/etcd-kek") and kms["keyVaultNetworkAccess"] == "Private"
    actions = {a["action"]["type"] for a in key.inputs["properties"]["rotationPolicy"]["lifetimeActions"]}
    assert actions == {"rotate", "notify"}
    # The key and its vault are the only way back to the Secrets: protected in prod.
    assert key.options.protect is (stack == "prod") and _one(graph, "etcd-kv").options.protect is (stack == "prod")
    # The trusted-services exception opens only the key's own vault, never the secrets vault.
    assert _one(graph, "data-kv").inputs["properties"]["networkAcls"]["bypass"] == "None"


def _mutated(change: Any) -> PreflightFinding:
    graph = copy.deepcopy(graph_of("prod"))
    change(graph)
    return _finding(graph, "azure-aks-kms-etcd-encryption")


def test_a_versioned_key_a_public_vault_or_a_missing_role_fails_the_kms_rule() -> None:
    def versioned(graph: Graph) -> None:
        kms = _cluster(graph).inputs["securityProfile"]["azureKeyVaultKms"]
        kms["keyId"] += "/0123456789abcdef"

    def no_bypass(graph: Graph) -> None:
        _one(graph, "etcd-kv").inputs["properties"]["networkAcls"]["bypass"] = "None"

    def no_crypto_user(graph: Graph) -> None:
        graph.resources.remove(_one(graph, "etcd-cluster-crypto-user"))

    def off(graph: Graph) -> None:
        del _cluster(graph).inputs["securityProfile"]["azureKeyVaultKms"]

    for change in (versioned, no_bypass, no_crypto_user, off):
        assert _mutated(change).status == "fail", change.__name__


def test_kms_takes_the_preview_api_even_with_kube_proxy_kept() -> None:
    graph = _with("dev", {"kubeProxy": "cilium-alongside"})
    cluster = _cluster(graph)
    assert cluster.type == PREVIEW_TOKEN and "kubeProxyConfig" not in cluster.inputs["networkProfile"]
    assert _finding(graph, "azure-aks-kms-etcd-encryption").status == "pass"


# --- Ephemeral OS disks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_pool_boots_from_an_ephemeral_disk_that_fits(stack: str) -> None:
    graph = graph_of(stack)
    for pool in _cluster(graph).inputs["agentPoolProfiles"]:
        assert pool["osDiskType"] == "Ephemeral"
        assert pool["osDiskSizeGB"] <= VM_SIZES[pool["vmSize"]].temp_gib
    assert _finding(graph, "azure-aks-ephemeral-os-disk-fits").status == "pass"
    assert _finding(graph, "azure-aks-ephemeral-os-disk-preferred").status == "pass"


def _pool(**change: Any) -> dict[str, Any]:
    return {"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5", "count": 3} | change


@pytest.mark.parametrize(
    ("pool", "why"),
    [
        (_pool(vmSize="Standard_D4s_v5"), "a size without local storage"),
        (_pool(osDiskSizeGb=200), "a disk larger than the 150 GiB temporary disk"),
        (_pool(vmSize="Standard_X9_v9"), "a size the table does not know"),
    ],
)
def test_an_ephemeral_disk_that_does_not_fit_fails(pool: dict[str, Any], why: str) -> None:
    graph = _with("dev", {"nodePools": [pool]})
    assert _finding(graph, "azure-aks-ephemeral-os-disk-fits").status == "fail", why


def test_a_managed_disk_where_an_ephemeral_one_fits_is_a_warning() -> None:
    graph = _with("dev", {"nodePools": [_pool(osDiskType="Managed")]})
    assert _finding(graph, "azure-aks-ephemeral-os-disk-preferred").status == "warn"
    graph = _with("dev", {"nodePools": [_pool(osDiskType="Managed", vmSize="Standard_D4s_v5")]})
    assert _finding(graph, "azure-aks-ephemeral-os-disk-preferred").status == "pass", "no local storage: nothing better"


# --- Storage ------------------------------------------------------------------------------------------------


def test_the_data_lake_account_keeps_deleted_blobs_and_containers_too() -> None:
    graph = copy.deepcopy(graph_of("prod"))
    service = _one(graph, "st-workspace-blob-protection")
    assert service.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert "isVersioningEnabled" not in service.inputs, "Data Lake accounts do not support versioning"
    assert _finding(graph, "azure-storage-blob-data-protection").status == "pass"
    service.inputs["containerDeleteRetentionPolicy"] = {"enabled": False}
    assert _finding(graph, "azure-storage-blob-data-protection").status == "fail"


def test_infrastructure_encryption_is_on_and_cannot_be_flipped_in_place() -> None:
    graph = graph_of("prod")
    assert _finding(graph, "azure-storage-infrastructure-encryption").status == "pass"
    for account in graph.of_type("azure-native:storage:StorageAccount"):
        assert account.inputs["encryption"]["requireInfrastructureEncryption"] is True
        # A flip is planned as a replacement, and prod's protection refuses to replace the account.
        assert account.options.protect and account.options.replace_on_changes == ("encryption.requireInfrastructureEncryption",)
    waived = _with("prod", {"storageInfrastructureEncryption": False})
    assert _finding(waived, "azure-storage-infrastructure-encryption").status == "warn"
    changed = copy.deepcopy(graph)
    account = changed.of_type("azure-native:storage:StorageAccount")[0]
    changed.resources[changed.resources.index(account)] = dataclasses.replace(
        account, options=dataclasses.replace(account.options, replace_on_changes=())
    )
    assert _finding(changed, "azure-storage-infrastructure-encryption").status == "warn"


# --- The hub owner's rules as a file ------------------------------------------------------------------------


def test_the_render_hands_the_hub_owner_the_rules_as_a_file(tmp_path: Path) -> None:
    write(graph_of("stg"), tmp_path)
    handed = json.loads((tmp_path / HUB_FIREWALL_RULES_FILE).read_text())
    assert handed == graph_of("stg").outputs["hubFirewallRules"] and handed[0]["properties"]["ruleCollections"]
    write(graph_of("dev"), tmp_path)  # a stack that owns its firewall: no file, and no stale one left behind
    assert not (tmp_path / HUB_FIREWALL_RULES_FILE).exists()
