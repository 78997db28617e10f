"""Whole-stack tests: every stack and example runs end to end under the offline engine."""

from __future__ import annotations

import base64
import re

import yaml

from conftest import graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.graph import Secret, contains_secret, redacted
from k8tre.policies.facts import managed_clusters

LAYER_TYPES = {
    "infrastructure": "k8tre:infrastructure:InfrastructureLayer",
    "agnostics": "k8tre:agnostics:AgnosticsLayer",
    "applications": "k8tre:applications:ApplicationLayer",
}


def test_stack_builds_all_three_layers(any_stack: str) -> None:
    graph = graph_of(any_stack)
    types = {r.type for r in graph.resources}
    for layer_type in LAYER_TYPES.values():
        assert layer_type in types
    assert "kubernetes:helm.sh/v3:Release" in types
    releases = {release["chart"] for release in graph.helm_releases()}
    assert {"cilium", "cert-manager", "argo-cd"} <= releases
    kinds = {(m["apiVersion"], m["kind"]) for m in graph.manifests()}
    assert ("argoproj.io/v1alpha1", "Application") in kinds
    assert ("argoproj.io/v1alpha1", "AppProject") in kinds


def test_kubeconfig_output_is_secret(any_stack: str) -> None:
    graph = graph_of(any_stack)
    kubeconfig = graph.outputs["kubeconfig"]
    assert isinstance(kubeconfig, Secret)
    document = yaml.safe_load(kubeconfig.value)
    server = document["clusters"][0]["cluster"]["server"]
    assert server.startswith("https://")
    assert "127.0.0.1" not in server, "the kubeconfig must reach the cluster from outside"
    assert graph.to_json()["outputs"]["kubeconfig"] == "[secret]"


def test_kubernetes_provider_gets_the_kubeconfig_as_a_secret(any_stack: str) -> None:
    graph = graph_of(any_stack)
    (provider,) = graph.of_type("pulumi:providers:kubernetes")
    assert isinstance(provider.inputs["kubeconfig"], Secret)


def test_every_kubernetes_resource_uses_the_cluster_provider(any_stack: str) -> None:
    graph = graph_of(any_stack)
    (provider,) = graph.of_type("pulumi:providers:kubernetes")
    kubernetes = [r for r in graph.resources if r.type.startswith("kubernetes:")]
    assert kubernetes
    for resource in kubernetes:
        assert resource.provider == provider.urn, f"{resource.urn} uses {resource.provider or 'the default provider'}"


def test_every_component_is_parented_in_its_own_layer(any_stack: str) -> None:
    graph = graph_of(any_stack)
    layer_of_type = {t: layer for layer, t in LAYER_TYPES.items()}
    for resource in graph.resources:
        if resource.type == "pulumi:pulumi:Stack":
            continue
        chain = list(graph.ancestors(resource))
        layers = [layer_of_type[a.type] for a in chain if a.type in layer_of_type]
        if resource.type in layer_of_type:
            assert not chain, f"layer {resource.name} must sit directly under the stack"
            continue
        assert len(layers) == 1, f"{resource.urn} is under {layers or 'no layer'}"
        if resource.type.startswith("k8tre:"):
            token_layer = resource.type.split(":")[1]
            # PostgresDatabase is the agnostics layer's helper that applications call for their own databases.
            shared = resource.type == "k8tre:agnostics:PostgresDatabase" and layers[0] == "applications"
            assert token_layer == layers[0] or shared, f"{resource.type} sits in the {layers[0]} layer"


def test_component_names_follow_their_parent(any_stack: str) -> None:
    graph = graph_of(any_stack)
    for resource in graph.resources:
        parent = next(graph.ancestors(resource), None)
        if parent is not None:
            assert resource.name.startswith(f"{parent.name}-"), f"{resource.name} is not named after {parent.name}"


def test_kubernetes_resources_wait_for_cilium(any_stack: str) -> None:
    graph = graph_of(any_stack)
    (cilium,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    for resource in graph.kubernetes_objects() + graph.of_type("kubernetes:helm.sh/v3:Release"):
        if resource is cilium or resource.urn in cilium.dependencies:
            continue  # what Cilium itself waits for (the Gateway API CRDs) cannot wait for Cilium
        assert cilium.urn in resource.dependencies, f"{resource.name} may start before the CNI exists"


def _secret_texts(value: object) -> list[str]:
    if isinstance(value, Secret):
        return [line for text in _plain_texts(value.value) for line in text.splitlines() if len(line) >= 16]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _secret_texts(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _secret_texts(item)]
    return []


def _plain_texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _plain_texts(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _plain_texts(item)]
    return []


def test_no_plaintext_secret_in_inputs(any_stack: str) -> None:
    graph = graph_of(any_stack)
    rendered = str(graph.to_json())
    for resource in graph.resources:
        for key, value in resource.inputs.items():
            if key in ("kubeconfig", "connection", "privateKey", "password", "token"):
                assert contains_secret(value), f"{resource.name}.{key} is not a secret"
    # Every secret value (a join token, a key) appears nowhere in plain text, whatever the key it travels in.
    secrets = {text for r in graph.resources for text in _secret_texts(r.inputs)}
    for resource in graph.resources:
        plain = [text for text in _plain_texts(redacted(resource.inputs)) if text != "[secret]"]
        for secret in secrets:
            assert not any(secret in text for text in plain), f"{resource.name} carries a secret in plain text"
    assert "offline-placeholder" not in rendered
    assert "BEGIN CERTIFICATE" not in rendered and "client-key-data" not in rendered


def test_stateful_resources_are_protected_only_in_prod() -> None:
    from k8tre.policies.rules.resilience import STATEFUL_TYPES

    for stack, expected in (("dev", False), ("stg", False), ("prod", True)):
        stateful = [r for r in graph_of(stack).resources if r.type in STATEFUL_TYPES]
        kinds = {r.type.rsplit(":", 1)[-1] for r in stateful}
        assert {"ResourceGroup", "ManagedCluster", "Vault", "StorageAccount", "Zone"} <= kinds, stack
        for resource in stateful:
            assert resource.options.protect is expected, f"{stack}: {resource.name}"


def test_aks_is_bring_your_own_cni_with_entra_id() -> None:
    for stack in ("dev", "stg", "prod"):
        (cluster,) = managed_clusters(graph_of(stack))
        assert cluster.inputs["networkProfile"]["networkPlugin"] == "none"
        assert cluster.inputs["oidcIssuerProfile"] == {"enabled": True}
        assert cluster.inputs["aadProfile"]["enableAzureRBAC"] is True
        assert cluster.inputs["disableLocalAccounts"] is (stack != "dev")
        assert cluster.inputs["apiServerAccessProfile"]["enablePrivateCluster"] is (stack != "dev")  # stg: private, as prod


def test_aks_kubeconfig_comes_from_the_user_credentials_call() -> None:
    graph = graph_of("dev")
    calls = [i for i in graph.invokes if i.token.endswith("listManagedClusterUserCredentials")]
    assert len(calls) == 1
    assert calls[0].args["resourceName"] == "aks-k8tre-dev"
    kubeconfig = yaml.safe_load(graph.outputs["kubeconfig"].value)
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "kubelogin"


def test_eks_is_created_without_default_networking_addons() -> None:
    graph = graph_of("aws-dev")
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    addons = {a.inputs["addonName"] for a in graph.of_type("aws:eks/addon:Addon")}
    # CoreDNS restored and the Pod Identity Agent added (platform services' IAM roles), both after the nodes.
    assert addons == {"coredns", "eks-pod-identity-agent"}, "no vpc-cni or kube-proxy add-on"
    for addon in graph.of_type("aws:eks/addon:Addon"):
        assert {g.urn for g in graph.of_type("aws:eks/nodeGroup:NodeGroup")} <= set(addon.dependencies)
    private = [s for s in graph.of_type("aws:ec2/subnet:Subnet") if "internal-elb" in str(s.inputs.get("tags"))]
    nats = graph.of_type("aws:ec2/natGateway:NatGateway")
    assert len(private) == 3 and len(nats) == 1  # one NAT outside prod
    by_id = {r.id: r for r in graph.resources if r.id}
    internet_tables = {t.id for t in graph.of_type("aws:ec2/routeTable:RouteTable") if "gatewayId" in t.inputs["routes"][0]}
    for association in graph.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        subnet = by_id[association.inputs["subnetId"]]
        faces_internet = association.inputs["routeTableId"] in internet_tables
        assert faces_internet == (subnet.inputs["tags"].get("k8tre.io/purpose") == "nat-only"), subnet.name
    kubeconfig = yaml.safe_load(graph.outputs["kubeconfig"].value)
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"])


def test_k3s_installs_without_flannel_kube_proxy_or_traefik() -> None:
    graph = graph_of("k3s-dev")
    installs = [r for r in graph.of_type("command:remote:Command") if r.inputs["create"] == "sudo sh -s"]
    assert len(installs) == 3  # one server, two agents
    script = installs[0].inputs["stdin"]
    encoded = re.search(r"^K3S_CONFIG_B64=(\S+)$", script, re.M)
    assert encoded, "the machine's K3s configuration travels with the script"
    config = yaml.safe_load(base64.b64decode(encoded.group(1).strip("'")))
    assert config["flannel-backend"] == "none"
    assert config["disable-kube-proxy"] is True
    assert {"traefik", "servicelb"} <= set(config["disable"])
    # The kubeconfig comes from the deploy identity's token, issued on the first server (never the admin's k3s.yaml).
    (fetch,) = [r for r in graph.of_type("command:remote:Command") if r.name.endswith("-deploy-token")]
    assert "stdout" in fetch.options.additional_secret_outputs
    assert not [r for r in graph.of_type("command:remote:Command") if "k3s.yaml" in str(r.inputs["create"])]
    server = yaml.safe_load(graph.outputs["kubeconfig"].value)["clusters"][0]["cluster"]["server"]
    assert server == "https://192.168.50.10:6443"


def test_outputs_describe_the_environment(any_stack: str) -> None:
    graph = graph_of(any_stack)
    assert graph.outputs["environment"] in ("dev", "stg", "prod")
    assert graph.outputs["cloud"] in ("azure", "aws", "k3s")
    assert graph.outputs["clusterName"]
    assert graph.outputs["applications"] == ["jupyterhub", "keycloak"]


def test_cloud_inputs_use_the_providers_wire_names(any_stack: str) -> None:
    """Keys the SDK could not translate reach the cloud API unchanged and are silently ignored."""
    graph = graph_of(any_stack)

    def snake(value: object, path: str) -> list[str]:
        if isinstance(value, dict):
            found = [f"{path}.{k}" for k in value if "_" in str(k).strip("_")]
            return found + [p for k, v in value.items() for p in snake(v, f"{path}.{k}")]
        if isinstance(value, list):
            return [p for item in value for p in snake(item, f"{path}[]")]
        return []

    for resource in graph.resources:
        if resource.type.startswith(("azure-native:", "aws:")):
            assert snake(resource.inputs, resource.name) == []
