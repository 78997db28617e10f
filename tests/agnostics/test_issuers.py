"""cert-manager's issuers: the internal CA chain, and ACME with a working DNS-01 solver on every cloud."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from dns_variants import objects, release_values, variant

from conftest import graph_of
from k8tre.agnostics.issuers import DNS01_CHECK_HOST, DNS01_CHECK_RESOLVER, INTERNAL_CA_ISSUER
from k8tre.flows.matrix import evaluate
from k8tre.infrastructure.azure.firewall_rules import ACME_FQDNS
from k8tre.infrastructure.azure.identities import ROLE_IDS
from k8tre.offline.graph import Graph, RecordedResource, Secret

CLOUD_SOLVER = {"dev": "azureDNS", "aws-dev": "route53", "k3s-dev": "rfc2136"}
"""The DNS-01 solver each cloud's public zone gets."""


def _issuer(graph: Graph, name: str) -> dict[str, Any]:
    (issuer,) = [i for i in objects(graph, "ClusterIssuer") if i["metadata"]["name"] == name]
    return issuer


def _resource(graph: Graph, type_: str, name: str, namespace: str | None = None) -> RecordedResource:
    (found,) = [
        r
        for r in graph.of_type(type_)
        if r.inputs.get("metadata", {}).get("name") == name and namespace in (None, r.inputs.get("metadata", {}).get("namespace"))
    ]
    return found


@pytest.mark.parametrize("stack", CLOUD_SOLVER)
def test_acme_answers_dns01_in_the_clouds_public_zone_and_keeps_http01(stack: str) -> None:
    graph = variant(stack, "acme")
    domain = str(graph.outputs["domain"])
    solvers = _issuer(graph, "letsencrypt-staging")["spec"]["acme"]["solvers"]
    assert solvers[0]["selector"] == {"dnsZones": [domain]}
    assert list(solvers[0]["dns01"]) == [CLOUD_SOLVER[stack]]
    assert "http01" in solvers[-1], "names outside the zone still have HTTP-01 through the Gateway"


def test_azure_solver_uses_the_identity_the_service_account_is_federated_as() -> None:
    graph = variant("dev", "acme")
    azure = _issuer(graph, "letsencrypt-staging")["spec"]["acme"]["solvers"][0]["dns01"]["azureDNS"]
    values = release_values(graph, "cert-manager") or {}
    # Workload identity hands the pod a token for the client ID on its service account: the solver must name the same.
    assert azure["managedIdentity"]["clientID"] == values["serviceAccount"]["annotations"]["azure.workload.identity/client-id"]
    (zone,) = graph.of_type("azure-native:dns:Zone")
    assert azure["hostedZoneName"] == zone.inputs["zoneName"]
    assert azure["resourceGroupName"] == zone.inputs["resourceGroupName"]


def test_route53_solver_names_the_zone_its_pod_identity_role_may_change() -> None:
    graph = variant("aws-dev", "acme")
    route53 = _issuer(graph, "letsencrypt-staging")["spec"]["acme"]["solvers"][0]["dns01"]["route53"]
    assert set(route53) == {"region", "hostedZoneID"}, "ambient credentials: no key in the solver"
    policy = _role_policy(graph, "cert-manager")
    changes = [s for s in policy["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert [s["Resource"] for s in changes] == [[f"arn:aws:route53:::hostedzone/{route53['hostedZoneID']}"]]


def test_rfc2136_solver_signs_with_the_stacks_secret_tsig_key() -> None:
    graph = variant("k3s-dev", "acme")
    rfc = _issuer(graph, "letsencrypt-staging")["spec"]["acme"]["solvers"][0]["dns01"]["rfc2136"]
    assert rfc["nameserver"] == "192.168.50.2:53" and rfc["tsigKeyName"] == "externaldns-key"
    assert rfc["tsigAlgorithm"] == "HMACSHA256"
    ref = rfc["tsigSecretSecretRef"]
    secret = _resource(graph, "kubernetes:core/v1:Secret", ref["name"], "cert-manager")
    assert isinstance(secret.inputs["stringData"], Secret), "the TSIG secret stays a Pulumi secret"


def test_k3s_without_a_site_dns_server_has_http01_only() -> None:
    graph = variant("k3s-dev", "no-site-dns")
    values = release_values(graph, "cert-manager") or {}
    assert "dns01RecursiveNameservers" not in values
    acme = variant("k3s-dev", "acme")
    assert "dns01RecursiveNameservers" in (release_values(acme, "cert-manager") or {}), "the contrast: with a server, DNS-01"


@pytest.mark.parametrize("stack", CLOUD_SOLVER)
def test_dns01_self_check_asks_a_public_resolver_over_https_and_may_reach_it(stack: str) -> None:
    graph = variant(stack, "acme")
    values = release_values(graph, "cert-manager") or {}
    # The private zone of the same name hides the public records from the cluster's resolver (split horizon).
    assert values["dns01RecursiveNameservers"] == DNS01_CHECK_RESOLVER
    assert values["dns01RecursiveNameserversOnly"] is True
    assert DNS01_CHECK_HOST in _egress_names(graph, "cert-manager-allow")


def test_the_azure_firewall_lets_the_self_check_out() -> None:
    assert DNS01_CHECK_HOST in ACME_FQDNS
    groups = graph_of("dev").of_type("azure-native:network:FirewallPolicyRuleCollectionGroup")
    text = json.dumps([g.inputs for g in groups])
    assert DNS01_CHECK_HOST in text


def test_self_signed_dev_has_no_dns01_egress() -> None:
    graph = graph_of("dev")
    assert _issuer(graph, "selfsigned")["spec"] == {"selfSigned": {}}
    assert DNS01_CHECK_HOST not in _egress_names(graph, "cert-manager-allow")
    assert "management.azure.com" not in _egress_names(graph, "cert-manager-allow")


@pytest.mark.parametrize("stack", ["dev", "aws-dev", "k3s-dev", "prod"])
def test_internal_ca_chain_root_then_ca_certificate_then_ca_issuer(stack: str) -> None:
    graph = graph_of(stack)
    root_name, ca_name = "k8tre-internal-root", INTERNAL_CA_ISSUER
    assert INTERNAL_CA_ISSUER == "k8tre-internal-ca", "Argo CD's backend certificate asks for this name"
    root = _resource(graph, "kubernetes:cert-manager.io/v1:ClusterIssuer", root_name)
    certificate = _resource(graph, "kubernetes:cert-manager.io/v1:Certificate", "k8tre-internal-ca")
    issuer = _resource(graph, "kubernetes:cert-manager.io/v1:ClusterIssuer", ca_name)
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "cert-manager"]
    spec = certificate.inputs["spec"]
    assert root.inputs["spec"] == {"selfSigned": {}}
    assert spec["isCA"] is True and spec["privateKey"]["algorithm"] == "ECDSA"
    assert certificate.inputs["metadata"]["namespace"] == "cert-manager", "a CA ClusterIssuer reads its Secret there"
    assert spec["issuerRef"] == {"name": root_name, "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert int(spec["duration"].removesuffix("h")) >= 5 * 8760
    assert issuer.inputs["spec"] == {"ca": {"secretName": spec["secretName"]}}
    # Each link waits for the one before it: CRDs, then the root, then the CA's key pair.
    assert release.urn in root.options.depends_on
    assert root.urn in certificate.options.depends_on
    assert certificate.urn in issuer.options.depends_on


def test_least_privilege_on_azure_each_writer_has_one_zone() -> None:
    _assert_azure_scoped(graph_of("dev"))


def _assert_azure_scoped(graph: Graph) -> None:
    """cert-manager may write the public zone only, external-dns the private zone only."""
    (public,) = graph.of_type("azure-native:dns:Zone")
    (private,) = [
        z for z in graph.of_type("azure-native:privatedns:PrivateZone") if z.inputs["privateZoneName"] == graph.outputs["domain"]
    ]
    assert _role(graph, "cert-manager") == (ROLE_IDS["DNS Zone Contributor"], public.id)
    assert _role(graph, "external-dns") == (ROLE_IDS["Private DNS Zone Contributor"], private.id)


def _assert_aws_scoped(graph: Graph) -> None:
    """Each Pod Identity role changes records in its own zone only; only zone listing is unscoped."""
    zones = {("private" if z.inputs.get("vpcs") else "public"): z for z in graph.of_type("aws:route53/zone:Zone")}
    for service, zone in (("cert-manager", zones["public"]), ("external-dns", zones["private"])):
        for statement in _role_policy(graph, service)["Statement"]:
            if statement["Resource"] == ["*"]:
                # Only listing zones, which IAM cannot scope to a resource.
                assert statement["Action"] == ["route53:ListHostedZones"], (service, statement)
            elif "route53:ChangeResourceRecordSets" in statement["Action"]:
                assert statement["Resource"] == [f"arn:aws:route53:::hostedzone/{zone.id}"], service
        trust = json.loads(_role_for(graph, service).inputs["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "pods.eks.amazonaws.com"}]


def test_least_privilege_on_aws_each_writer_has_one_zone() -> None:
    graph = graph_of("aws-dev")
    _assert_aws_scoped(graph)
    (change,) = [s for s in _role_policy(graph, "cert-manager")["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert change["Condition"]["ForAllValues:StringEquals"] == {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}


@pytest.mark.parametrize("widened", ["arn:aws:route53:::hostedzone/*", "*"])
def test_a_role_widened_beyond_its_zone_is_caught(widened: str) -> None:
    graph = copy.deepcopy(graph_of("aws-dev"))
    role = _role_for(graph, "external-dns")
    (policy,) = [p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if role.urn in p.dependencies]
    document = json.loads(policy.inputs["policy"])
    document["Statement"][0]["Resource"] = [widened]
    policy.inputs["policy"] = json.dumps(document)
    with pytest.raises(AssertionError):
        _assert_aws_scoped(graph)


@pytest.mark.parametrize("widen", ["resource group", "subscription", "root"])
def test_an_azure_role_beyond_its_zone_is_caught(widen: str) -> None:
    graph = copy.deepcopy(graph_of("dev"))
    (assignment,) = [
        r for r in graph.of_type("azure-native:authorization:RoleAssignment") if r.name.endswith("-external-dns-role")
    ]
    zone_id = str(assignment.inputs["scope"])
    group = zone_id.split("/providers/")[0]
    assignment.inputs["scope"] = {"resource group": group, "subscription": group.split("/resourceGroups/")[0], "root": "/"}[widen]
    with pytest.raises(AssertionError):
        _assert_azure_scoped(graph)


def _role(graph: Graph, service: str) -> tuple[str, str]:
    (assignment,) = [r for r in graph.of_type("azure-native:authorization:RoleAssignment") if r.name.endswith(f"-{service}-role")]
    return str(assignment.inputs["roleDefinitionId"]).rsplit("/", 1)[-1], str(assignment.inputs["scope"])


def _role_for(graph: Graph, service: str) -> RecordedResource:
    (role,) = [r for r in graph.of_type("aws:iam/role:Role") if r.name.endswith(f"-{service}-role")]
    (association,) = [
        a for a in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") if a.inputs["serviceAccount"] == service
    ]
    assert role.urn in association.dependencies, f"{service}'s service account is associated with its own role"
    return role


def _role_policy(graph: Graph, service: str) -> dict[str, Any]:
    role = _role_for(graph, service)
    (policy,) = [p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if role.urn in p.dependencies]
    return dict(json.loads(policy.inputs["policy"]))


def _egress_names(graph: Graph, policy: str) -> set[str]:
    (found,) = [p for p in objects(graph, "CiliumNetworkPolicy") if p["metadata"]["name"] == policy]
    return {f.get("matchName", f.get("matchPattern")) for rule in found["spec"]["egress"] for f in rule.get("toFQDNs") or []}


@pytest.mark.parametrize("stack", CLOUD_SOLVER)
def test_acme_flows_hold_with_dns01_writes_and_the_self_check(stack: str) -> None:
    rows = [r for r in evaluate(variant(stack, "acme")) if r.source == "cert-manager/cert-manager"]
    allowed = {r.destination for r in rows if r.expect == "allow"}
    assert f"fqdn:{DNS01_CHECK_HOST}" in allowed
    writes = {"dev": "fqdn:management.azure.com", "aws-dev": "fqdn:route53.amazonaws.com", "k3s-dev": "ip:192.168.50.2"}
    assert writes[stack] in allowed
    assert [f"{r.source}->{r.destination}:{r.port} {r.actual}" for r in rows if not r.ok] == []
