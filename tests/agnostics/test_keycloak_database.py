"""Keycloak's database backs up to each cloud's store, with an identity the cloud modules bind to its service account."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import graph_of


def _object_store(stack: str) -> dict[str, Any]:
    (store,) = [
        r
        for r in graph_of(stack).kubernetes_objects()
        if r.inputs.get("kind") == "ObjectStore" and r.inputs["metadata"]["namespace"] == "keycloak"
    ]
    spec: dict[str, Any] = store.inputs["spec"]
    return spec["configuration"]


@pytest.mark.parametrize(
    ("stack", "scheme", "credentials"),
    [("dev", "https://", "azureCredentials"), ("aws-dev", "s3://", "s3Credentials"), ("k3s-dev", "s3://", "s3Credentials")],
)
def test_backups_go_to_the_platform_store(stack: str, scheme: str, credentials: str) -> None:
    configuration = _object_store(stack)
    assert configuration["destinationPath"].startswith(scheme) and configuration["destinationPath"].endswith("/postgres/keycloak")
    assert credentials in configuration


def test_aws_associates_the_backup_role_with_the_database_service_account() -> None:
    associations = {
        (a.inputs["namespace"], a.inputs["serviceAccount"]): a
        for a in graph_of("aws-dev").of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    database, velero = associations[("keycloak", "keycloak-db")], associations[("velero", "velero")]
    assert database.inputs["roleArn"] == velero.inputs["roleArn"]


def test_k3s_opens_the_in_cluster_store_to_the_database_namespace_alone() -> None:
    graph = graph_of("k3s-dev")
    (opening,) = [
        r
        for r in graph.kubernetes_objects()
        if r.inputs.get("kind") == "CiliumNetworkPolicy" and r.inputs["metadata"]["name"] == "s3-from-keycloak"
    ]
    (rule,) = opening.inputs["spec"]["ingress"]
    assert rule["fromEndpoints"] == [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "keycloak"}}]
