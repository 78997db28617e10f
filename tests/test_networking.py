"""Networking on every cloud: Cilium as the only CNI, the Gateway, and default-deny isolation."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from conftest import graph_of
from k8tre.agnostics.network_policy import SYSTEM_NAMESPACES, default_deny_policy
from k8tre.chart_lock import chart_name
from k8tre.flows.evaluate import verdict
from k8tre.flows.model import Cluster, Entity, Pod
from k8tre.flows.policies import load_policies
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.policies.k3s_script import install_commands, script_of
from k8tre.policies.network import leaking_pods, uncovered_namespaces, unexplained_exemptions, unisolated_projects
from k8tre.versions import GATEWAY_API_VERSION


def _cilium(graph: Graph) -> RecordedResource:
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    return release


def _objects(graph: Graph, kind: str) -> list[dict[str, Any]]:
    return [m for m in graph.manifests() if m["kind"] == kind]


def test_cilium_waits_for_the_cluster_and_the_gateway_api_crds(any_stack: str) -> None:
    graph = graph_of(any_stack)
    cilium = _cilium(graph)
    crds = graph.of_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    gateway = [r for r in crds if r.inputs["spec"]["group"] == "gateway.networking.k8s.io"]
    # Each CRD from the vendored release: its bundle-version annotation is the release's own record.
    bundles = {r.inputs["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] for r in gateway}
    assert bundles == {GATEWAY_API_VERSION}
    assert {"gateways", "httproutes", "tlsroutes"} <= {r.inputs["spec"]["names"]["plural"] for r in gateway}
    assert {r.urn for r in gateway} <= set(cilium.dependencies)
    cluster_types = {
        "azure-native:containerservice/v20260502preview:ManagedCluster",
        "aws:eks/cluster:Cluster",
        "command:remote:Command",
    }
    assert any(graph.get(urn).type in cluster_types for urn in cilium.dependencies)


def test_kube_proxy_is_not_installed_where_the_program_controls_it() -> None:
    (eks,) = graph_of("aws-dev").of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["bootstrapSelfManagedAddons"] is False
    # A server-side setting: agents take it from the server they join (K3s docs, "k3s server": disable-kube-proxy).
    servers = [script_of(c) for c in install_commands(graph_of("k3s-dev"))]
    assert [s for s in servers if s and s.is_server] and all(s.flag("disable-kube-proxy") for s in servers if s and s.is_server)
    for stack in ("dev", "stg", "prod"):
        (aks,) = [r for r in graph_of(stack).resources if r.type.endswith(":ManagedCluster")]
        assert aks.inputs["networkProfile"]["kubeProxyConfig"] == {"enabled": False}
    for stack in ("dev", "aws-dev", "k3s-dev"):
        assert _cilium(graph_of(stack)).inputs["values"]["kubeProxyReplacement"] is True


def test_pod_cidrs_match_config_and_stay_clear_of_other_ranges(any_stack: str) -> None:
    graph = graph_of(any_stack)
    ipam = _cilium(graph).inputs["values"]["ipam"]
    if ipam["mode"] == "eni":
        # EKS in ENI mode: pods take addresses from the VPC's node subnets, so there is no separate pod range to place.
        assert "operator" not in ipam or "clusterPoolIPv4PodCIDRList" not in ipam["operator"]
        return
    pods = [ipaddress.ip_network(c) for c in ipam["operator"]["clusterPoolIPv4PodCIDRList"]]
    others = []
    for resource in graph.resources:
        inputs = resource.inputs
        if resource.type.endswith(":ManagedCluster"):
            others.append(inputs["networkProfile"]["serviceCidr"])
        elif resource.type == "azure-native:network:VirtualNetwork":
            others += inputs["addressSpace"]["addressPrefixes"]
        elif resource.type == "aws:ec2/vpc:Vpc":
            others.append(inputs["cidrBlock"])
        elif resource.type == "aws:eks/cluster:Cluster":
            others.append(inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"])
        elif resource in install_commands(graph):
            script = script_of(resource)
            assert script is not None
            if script.is_server:
                others.append(script.config["service-cidr"])
                assert script.config["cluster-cidr"] == ",".join(map(str, pods))
    assert others
    for pod in pods:
        for other in others:
            assert not pod.overlaps(ipaddress.ip_network(other)), f"{pod} overlaps {other}"


def test_gateway_serves_https_for_the_domain_and_redirects_http(any_stack: str) -> None:
    graph = graph_of(any_stack)
    domain = graph.outputs["domain"]
    (gateway,) = _shared_gateways(graph)
    assert gateway["spec"]["gatewayClassName"] == "cilium"
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["https"]["hostname"] == f"*.{domain}"
    secret = listeners["https"]["tls"]["certificateRefs"][0]["name"]
    (certificate,) = [c for c in _objects(graph, "Certificate") if c["metadata"].get("namespace") == "gateway-system"]
    assert certificate["spec"]["secretName"] == secret
    assert f"*.{domain}" in certificate["spec"]["dnsNames"]
    assert listeners["http"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    redirect = next(r for r in _objects(graph, "HTTPRoute") if r["metadata"]["name"] == "https-redirect")
    assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"


def test_published_services_attach_to_https_in_labelled_namespaces(any_stack: str) -> None:
    graph = graph_of(any_stack)
    labelled = {
        n["metadata"]["name"]
        for n in _objects(graph, "Namespace")
        if n["metadata"]["labels"].get("k8tre.io/gateway-access") == "true"
    }
    routes = [r for r in _objects(graph, "HTTPRoute") if r["metadata"]["name"] != "https-redirect"]
    assert {r["spec"]["hostnames"][0].split(".")[0] for r in routes} >= {"jupyter"}
    for route in routes:
        assert route["metadata"]["namespace"] in labelled
        assert route["spec"]["parentRefs"][0]["sectionName"] == "https"


@pytest.mark.parametrize(
    ("stack", "annotation"),
    [
        ("dev", "service.beta.kubernetes.io/azure-load-balancer-internal"),
        ("aws-dev", "service.beta.kubernetes.io/aws-load-balancer-scheme"),
    ],
)
def test_cloud_gateways_get_an_internal_load_balancer(stack: str, annotation: str) -> None:
    gateways = _objects(graph_of(stack), "Gateway")
    assert {g["metadata"]["name"] for g in gateways} == {"k8tre", "argocd"}, "the shared and Argo CD's passthrough Gateway"
    for gateway in gateways:
        assert annotation in gateway["spec"]["infrastructure"]["annotations"]


def _shared_gateways(graph: Any) -> list[dict[str, Any]]:
    return [g for g in _objects(graph, "Gateway") if g["metadata"]["namespace"] == "gateway-system"]


def test_azure_gateway_lands_in_the_ingress_subnet() -> None:
    graph = graph_of("dev")
    (gateway,) = _shared_gateways(graph)
    subnet = gateway["spec"]["infrastructure"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal-subnet"]
    assert subnet in {r.inputs["subnetName"] for r in graph.of_type("azure-native:network:Subnet")}


def test_k3s_announces_load_balancer_addresses_itself() -> None:
    graph = graph_of("k3s-dev")
    (pool,) = _objects(graph, "CiliumLoadBalancerIPPool")
    assert pool["spec"]["blocks"] == [{"cidr": "192.168.50.240/28"}]
    (l2,) = _objects(graph, "CiliumL2AnnouncementPolicy")
    assert l2["spec"]["loadBalancerIPs"] is True
    assert _cilium(graph).inputs["values"]["l2announcements"] == {"enabled": True}
    assert not _objects(graph_of("dev"), "CiliumLoadBalancerIPPool"), "clouds use their own load balancers"


def test_every_namespace_is_under_default_deny_or_exempt_with_a_reason(any_stack: str) -> None:
    graph = graph_of(any_stack)
    assert uncovered_namespaces(graph) == []
    assert unexplained_exemptions(graph) == []
    covered = [n["metadata"]["name"] for n in _objects(graph, "Namespace") if n["metadata"]["name"] not in SYSTEM_NAMESPACES]
    assert "jupyterhub" in covered and any(name.startswith("project-") for name in covered)


def test_a_namespace_left_out_of_default_deny_is_caught() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    (policy,) = graph.of_type("kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy")
    policy.inputs["spec"]["endpointSelector"]["matchExpressions"][0]["values"].append("jupyterhub")
    assert uncovered_namespaces(graph) == ["jupyterhub"]
    assert unexplained_exemptions(graph) == ["jupyterhub"]


def test_a_new_namespace_without_default_deny_is_caught() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    graph.resources.remove(graph.of_type("kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy")[0])
    assert "jupyterhub" in uncovered_namespaces(graph)


def test_default_deny_seals_new_namespaces_but_not_exempt_ones() -> None:
    policies = load_policies([default_deny_policy({"kube-system": "reason"})], Cluster())

    def reachable(namespace: str) -> bool:
        return verdict(policies, Entity("world"), Pod("p", namespace, {}), 80, "TCP", Cluster()).allowed

    assert not reachable("anything-new")
    assert reachable("kube-system")


@pytest.mark.parametrize("namespace", ["kube-public", "kube-node-lease", "cilium-secrets", "gateway-system"])
def test_namespaces_without_pods_are_inside_the_rendered_default_deny(any_stack: str, namespace: str) -> None:
    # A pod that appears there later (a cert-manager HTTP-01 solver, say) is sealed until a policy opens it.
    graph = graph_of(any_stack)
    policies = load_policies([p for p in _objects(graph, "CiliumClusterwideNetworkPolicy")], Cluster())
    pod = Pod("later", namespace, {}, namespace_labels={"kubernetes.io/metadata.name": namespace})
    assert not verdict(policies, Entity("world"), pod, 80, "TCP", Cluster()).allowed
    assert not verdict(policies, pod, Entity("world"), 443, "TCP", Cluster()).allowed


def test_only_kube_system_is_exempt_and_says_why() -> None:
    # The cloud's add-ons run in kube-system, changed by the cloud outside the program: no render shows their needs.
    assert set(SYSTEM_NAMESPACES) == {"kube-system"}
    assert all(reason.strip() for reason in SYSTEM_NAMESPACES.values())


def test_projects_are_isolated_with_egress_only_to_their_allowlist(any_stack: str) -> None:
    graph = graph_of(any_stack)
    assert unisolated_projects(graph) == []
    policies = {
        p["metadata"]["namespace"]: p
        for p in _objects(graph, "CiliumNetworkPolicy")
        if p["metadata"]["name"] == "project-isolation"
    }
    genomics = policies["project-genomics-demo"]["spec"]
    fqdns = [rule for rule in genomics["egress"] if "toFQDNs" in rule]
    assert fqdns[0]["toFQDNs"] == [{"matchName": "pypi.org"}, {"matchName": "files.pythonhosted.org"}]
    assert fqdns[0]["toPorts"] == [{"ports": [{"port": "443", "protocol": "TCP"}]}]
    imaging = policies["project-imaging-demo"]["spec"]
    assert not [rule for rule in imaging["egress"] if "toFQDNs" in rule], "no allowlist, no internet"


def test_a_project_policy_that_lets_other_namespaces_in_is_caught() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    policy = next(
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["namespace"] == "project-genomics-demo" and r.inputs["metadata"]["name"] == "project-isolation"
    )
    policy.inputs["spec"]["ingress"].append({"fromEntities": ["cluster"]})
    # Other projects still cannot send, but any unpoliced pod now gets in: the default-deny rule sees it.
    assert "project-genomics-demo/project-service" in leaking_pods(graph)
    policy.inputs["spec"]["ingress"].pop()
    policy.inputs["spec"]["egress"].append(
        {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "project-imaging-demo"}}]}
    )
    imaging = next(
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["namespace"] == "project-imaging-demo" and r.inputs["metadata"]["name"] == "project-isolation"
    )
    imaging.inputs["spec"]["ingress"].append(
        {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "project-genomics-demo"}}]}
    )
    assert unisolated_projects(graph) == ["project-genomics-demo", "project-imaging-demo"]


def test_platform_services_run_under_default_deny_with_only_what_they_need() -> None:
    graph = graph_of("stg")
    assert {"cert-manager", "argocd"}.isdisjoint(SYSTEM_NAMESPACES)
    policies = {p["metadata"]["name"]: p["spec"] for p in _objects(graph, "CiliumNetworkPolicy")}
    cert_manager = policies["cert-manager-allow"]
    fqdns = {f.get("matchName") or f.get("matchPattern") for rule in cert_manager["egress"] for f in rule.get("toFQDNs", [])}
    assert {"acme-staging-v02.api.letsencrypt.org", "management.azure.com"} <= fqdns
    assert policies["cert-manager-webhook"]["ingress"][0]["fromEntities"] == ["kube-apiserver"], (
        "the API server calls the webhook"
    )
    argocd = policies["argocd-allow"]
    sources = {f.get("matchName") or f.get("matchPattern") for rule in argocd["egress"] for f in rule.get("toFQDNs", [])}
    assert {"hub.jupyter.org", "github.com"} <= sources
    assert {"fromEntities": ["kube-apiserver"]} not in argocd["ingress"]
    for spec in (cert_manager, argocd):
        assert not any("world" in rule.get("toEntities", []) for rule in spec["egress"]), "no open internet"
