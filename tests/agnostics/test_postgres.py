"""The Postgres helper as a component under the offline engine: what it declares, checked against the CNPG CRDs."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from k8tre.agnostics.cloudnative_pg import NAMESPACE as OPERATOR_NAMESPACE
from k8tre.agnostics.cloudnative_pg import OPERATOR_LABELS, TO_INSTANCES_ANYWHERE
from k8tre.agnostics.external_secrets import STORE_NAME
from k8tre.agnostics.network_policy import default_deny_policy, service_policy
from k8tre.agnostics.postgres import PostgresDatabase, PostgresSpec, instance_policy
from k8tre.agnostics.postgres_backup import AwsPodIdentity, AzureWorkloadIdentity, BackupTarget, S3CredentialsSecret
from k8tre.flows.evaluate import verdict
from k8tre.flows.model import Cluster as FlowCluster
from k8tre.flows.model import Entity, Pod
from k8tre.flows.policies import load_policies
from k8tre.infrastructure.cluster import Cluster, PlatformFacts, StorageClassFacts, StorageFacts
from k8tre.infrastructure.k3s.secret_store import STORE_NAMESPACE, in_cluster_store
from k8tre.offline.graph import Secret
from k8tre.offline.monitor import RecordingMonitor
from k8tre.offline.schemas import validate_manifest
from k8tre.stage import Stage

KUBERNETES = "1.35"
SEAWEED = BackupTarget(
    "s3://postgres-backups/keycloak",
    S3CredentialsSecret("keycloak-backup-credentials"),
    endpoint_url="https://seaweedfs-s3.object-storage.svc.cluster.local:8333",
)


def _cluster(environment: str, stage: Stage) -> Cluster:
    """A K3s cluster with its in-cluster secret store, External Secrets installed (a store to wait for)."""
    provider = k8s.Provider("test-k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
    block = StorageClassFacts("driver.longhorn.io", {}, zonal=False)
    store = k8s.apiextensions.CustomResource(
        "test-store",
        api_version="external-secrets.io/v1",
        kind="ClusterSecretStore",
        metadata={"name": STORE_NAME},
        spec={},
        opts=pulumi.ResourceOptions(provider=provider),
    )
    return Cluster(
        cloud="k3s",
        environment=environment,
        name=pulumi.Output.from_input("c"),
        kubernetes_version=KUBERNETES,
        kubeconfig=pulumi.Output.secret("apiVersion: v1"),
        provider=provider,
        ready=[],
        platform=PlatformFacts(
            storage=StorageFacts(block, block),
            internal_lb_annotations={},
            secret_store=in_cluster_store(provider, stage),
        ),
        secret_store_ready=[store],
    )


def _spec(backup: BackupTarget = SEAWEED, retention: int = 14) -> PostgresSpec:
    return PostgresSpec(namespace="keycloak", database="keycloak", owner="keycloak", backup=backup, retention_days=retention)


def _declared(monitor: RecordingMonitor) -> dict[str, Any]:
    """The helper's objects by kind, as the API server would receive them."""
    found: dict[str, Any] = {}
    for resource in monitor.recorded.values():
        kind = resource.inputs.get("kind")
        if kind in ("Cluster", "ObjectStore", "ScheduledBackup", "CiliumNetworkPolicy", "Secret", "ExternalSecret"):
            found[str(kind)] = resource
    return found


def _body(resource: Any) -> dict[str, Any]:
    inputs = resource.inputs
    return {"apiVersion": inputs["apiVersion"], "kind": inputs["kind"], "metadata": inputs["metadata"], "spec": inputs["spec"]}


def _settled(database: PostgresDatabase) -> pulumi.Output[Any]:
    """Resolves once every object the helper declares has been registered."""
    return pulumi.Output.all(database.database.id, database.schedule.id, database.policy.id)


def _build(environment: str, spec: PostgresSpec) -> PostgresDatabase:
    stage = Stage(environment, "k8tre", "tre.example.org")  # type: ignore[arg-type]
    return PostgresDatabase("test-pg", "keycloak-db", spec, _cluster(environment, stage), stage, depends_on=[])


@pulumi.runtime.test
def test_dev_gets_one_instance_on_the_platform_class_backed_up_with_its_retention(
    pulumi_runtime: RecordingMonitor,
) -> pulumi.Output[None]:
    database = _build("dev", _spec(retention=14))

    def check(_: object) -> None:
        declared = _declared(pulumi_runtime)
        spec = declared["Cluster"].inputs["spec"]
        assert spec["instances"] == 1
        assert spec["enableSuperuserAccess"] is False
        assert spec["storage"]["storageClass"] == "rwo-default"
        assert spec["resources"]["limits"]["memory"] == spec["resources"]["requests"]["memory"]
        assert spec["plugins"] == [
            {
                "name": "barman-cloud.cloudnative-pg.io",
                "isWALArchiver": True,
                "parameters": {"barmanObjectName": "keycloak-db-backup"},
            }
        ]
        # The application user's password is generated, written to the store as a secret, and delivered by an
        # ExternalSecret into the Secret the database bootstraps from, in the database's namespace.
        external = declared["ExternalSecret"]
        assert spec["bootstrap"]["initdb"]["secret"]["name"] == external.inputs["metadata"]["name"] == database.secret
        assert external.inputs["metadata"]["namespace"] == "keycloak"
        assert external.inputs["spec"]["target"]["name"] == database.secret
        data = external.inputs["spec"]["data"]
        assert {d["secretKey"] for d in data} == {"username", "password"}
        entry = declared["Secret"]
        assert entry.inputs["metadata"]["namespace"] == STORE_NAMESPACE
        assert {d["remoteRef"]["key"] for d in data} == {entry.inputs["metadata"]["name"]}
        assert entry.urn in external.dependencies  # it reads the entry only once written
        assert isinstance(entry.inputs["stringData"], Secret)
        assert set(entry.inputs["stringData"].value) == {"username", "password"}
        assert entry.inputs["stringData"].value["username"] == "keycloak"
        store = declared["ObjectStore"].inputs["spec"]
        assert store["retentionPolicy"] == "14d"
        assert store["configuration"]["endpointURL"] == SEAWEED.endpoint_url
        assert store["configuration"]["s3Credentials"]["secretAccessKey"]["name"] == "keycloak-backup-credentials"
        schedule = declared["ScheduledBackup"].inputs["spec"]
        assert schedule["method"] == "plugin" and schedule["cluster"] == {"name": "keycloak-db"}
        assert not declared["Cluster"].options.protect

    return _settled(database).apply(check)


@pulumi.runtime.test
def test_prod_gets_three_instances_on_separate_nodes_and_protection(pulumi_runtime: RecordingMonitor) -> pulumi.Output[None]:
    database = _build("prod", _spec())

    def check(_: object) -> None:
        declared = _declared(pulumi_runtime)
        spec = declared["Cluster"].inputs["spec"]
        assert spec["instances"] == 3 and spec["enablePDB"] is True
        assert spec["affinity"]["podAntiAffinityType"] == "required"
        assert declared["Cluster"].options.protect
        assert declared["ExternalSecret"].options.protect
        passwords = [r for r in pulumi_runtime.recorded.values() if r.type == "random:index/randomPassword:RandomPassword"]
        assert passwords and all(r.options.protect for r in passwords)

    return _settled(database).apply(check)


@pulumi.runtime.test
def test_what_the_helper_declares_is_valid_against_the_cnpg_and_barman_crds(
    pulumi_runtime: RecordingMonitor,
) -> pulumi.Output[None]:
    database = _build("stg", _spec(BackupTarget("s3://tre-backups/pg", AwsPodIdentity())))

    def check(_: object) -> None:
        declared = _declared(pulumi_runtime)
        for kind in ("Cluster", "ObjectStore", "ScheduledBackup"):
            body = _body(declared[kind])
            assert validate_manifest(body, KUBERNETES) == [], kind
            # The schemas are strict: a misspelt field is caught, so the check above can fail.
            broken = copy.deepcopy(body)
            broken["spec"]["retentionPolicyz"] = "1d"
            assert validate_manifest(broken, KUBERNETES)

    return _settled(database).apply(check)


def test_each_authentication_becomes_its_credential_block() -> None:
    azure = BackupTarget("https://trebackups.blob.core.windows.net/pg/keycloak", AzureWorkloadIdentity("client-id"))
    aws = BackupTarget("s3://tre-backups/pg", AwsPodIdentity())
    assert azure.credentials() == {"azureCredentials": {"inheritFromAzureAD": True}}
    assert aws.credentials() == {"s3Credentials": {"inheritFromIAMRole": True}}
    assert aws.encryption() == "AES256" and azure.encryption() is None
    assert azure.store_hosts() == ("trebackups.blob.core.windows.net",)
    assert "tre-backups.s3.eu-west-2.amazonaws.com" in aws.store_hosts("eu-west-2")
    assert SEAWEED.store_hosts() == ("seaweedfs-s3.object-storage.svc.cluster.local",)


def test_a_destination_that_does_not_match_its_authentication_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        BackupTarget("s3://bucket/pg", AzureWorkloadIdentity("client-id"))
    with pytest.raises(ValueError, match="expected s3://"):
        BackupTarget("gs://bucket/pg", AwsPodIdentity())


def _pods() -> dict[str, Pod]:
    instance_labels = {"cnpg.io/cluster": "keycloak-db", "cnpg.io/podRole": "instance"}
    return {
        "operator": Pod("operator", OPERATOR_NAMESPACE, OPERATOR_LABELS, {"kubernetes.io/metadata.name": OPERATOR_NAMESPACE}),
        "instance": Pod("keycloak-db-1", "keycloak", instance_labels, {"kubernetes.io/metadata.name": "keycloak"}),
        "replica": Pod("keycloak-db-2", "keycloak", instance_labels, {"kubernetes.io/metadata.name": "keycloak"}),
        "app": Pod("keycloak", "keycloak", {"app": "keycloak"}, {"kubernetes.io/metadata.name": "keycloak"}),
        "stranger": Pod("notebook", "project-x", {"app": "notebook"}, {"kubernetes.io/metadata.name": "project-x"}),
    }


def test_instances_admit_the_operator_replicas_and_their_namespace_only() -> None:
    operator_policy = service_policy(OPERATOR_NAMESPACE, "cloudnative-pg", api_server=True, extra_egress=[TO_INSTANCES_ANYWHERE])
    # The application's namespace has the usual service policy (its pods talk to each other).
    app_policy = service_policy("keycloak", "keycloak")
    stranger_policy = service_policy("project-x", "notebook", egress_fqdns=["keycloak-db-rw.keycloak.svc.cluster.local"])
    objects = [default_deny_policy(), operator_policy, app_policy, stranger_policy, instance_policy("keycloak-db", _spec())]
    cluster = FlowCluster()
    policies = load_policies(objects, cluster)
    pods = _pods()

    def allowed(source: Pod | Entity, destination: Pod, port: int) -> bool:
        return verdict(policies, source, destination, port, "TCP", cluster).allowed

    assert allowed(pods["operator"], pods["instance"], 8000)
    assert allowed(pods["replica"], pods["instance"], 5432)
    assert allowed(pods["app"], pods["instance"], 5432)
    assert not allowed(pods["stranger"], pods["instance"], 5432)
    assert not allowed(Entity("ingress"), pods["instance"], 5432)
    assert not allowed(pods["stranger"], pods["instance"], 8000)


def test_instances_reach_their_store_on_its_own_port_and_nothing_else_outside() -> None:
    in_cluster = {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "object-storage"}}]}
    backup = BackupTarget(SEAWEED.destination_path, SEAWEED.auth, endpoint_url=SEAWEED.endpoint_url, egress_rules=(in_cluster,))
    egress = instance_policy("keycloak-db", _spec(backup))["spec"]["egress"]
    to_names = [rule for rule in egress if "toFQDNs" in rule]
    assert [r["toPorts"][0]["ports"][0]["port"] for r in to_names] == ["8333"]
    assert in_cluster in egress
    assert not [rule for rule in egress if "toEntities" in rule and rule["toEntities"] != ["kube-apiserver"]]
    aws = instance_policy("keycloak-db", _spec(BackupTarget("s3://tre-backups/pg", AwsPodIdentity())))["spec"]["egress"]
    assert {"toCIDR": ["169.254.170.23/32"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]} in aws
