"""Encryption rules: at rest (SATRE 2.8.01) and in transit (2.8.02, 2.8.03)."""

from __future__ import annotations

from ...offline.graph import Graph
from ..facts import is_prod, managed_clusters, objects, plain, releases
from ..registry import Evaluation, rule


@rule(
    "encryption-at-rest",
    "Cluster secrets and volumes are encrypted at rest: EKS envelope encryption, K3s secrets encryption, "
    "encrypted storage classes.",
    satre=("2.8.01",),
    severity="mandatory",
)
def at_rest(graph: Graph) -> Evaluation:
    """Every place data rests says how it is encrypted."""
    result = Evaluation()
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        config = cluster.inputs.get("encryptionConfig") or {}
        result.check(
            cluster.urn,
            "secrets" in (config.get("resources") or []) and bool(config.get("provider")),
            "EKS cluster has no KMS envelope encryption of secrets",
        )
    for command in graph.of_type("command:remote:Command"):
        script = plain(command.inputs.get("stdin"))
        if isinstance(script, str) and "K3S_ROLE=server" in script:
            result.check(command.urn, "--secrets-encryption" in script, "K3s server installed without --secrets-encryption")
    for key in graph.of_type("aws:kms/key:Key"):
        result.check(key.urn, key.inputs.get("enableKeyRotation") is True, "KMS key without automatic rotation")
    for storage_class in objects(graph, "StorageClass"):
        parameters = storage_class.inputs.get("parameters") or {}
        encrypted = parameters.get("encrypted") == "true" or "skuName" in parameters or "diskEncryptionSetID" in parameters
        result.check(storage_class.urn, encrypted, "storage class does not say how its volumes are encrypted")
    for cluster in managed_clusters(graph):
        # AKS encrypts OS and data disks with platform-managed keys and etcd at rest by default;
        # host-based encryption must not have been switched off.
        pools = cluster.inputs.get("agentPoolProfiles") or []
        result.check(
            cluster.urn,
            all(pool.get("enableEncryptionAtHost") is not False for pool in pools),
            "an AKS node pool disables encryption at host",
        )
    return result


@rule(
    "tls-on-every-route",
    "Every route is served over HTTPS; plain HTTP only redirects.",
    satre=("2.8.02",),
    severity="mandatory",
)
def tls_routes(graph: Graph) -> Evaluation:
    """HTTPRoutes attach to HTTPS listeners, and the HTTP listener only redirects."""
    result = Evaluation()
    for gateway in objects(graph, "Gateway"):
        for listener in gateway.inputs["spec"]["listeners"]:
            if listener["protocol"] == "HTTPS":
                result.check(
                    gateway.urn,
                    bool((listener.get("tls") or {}).get("certificateRefs")),
                    f"listener {listener['name']} has no certificate",
                )
            elif listener["protocol"] == "HTTP":
                result.check(
                    gateway.urn,
                    listener.get("allowedRoutes") == {"namespaces": {"from": "Same"}},
                    f"HTTP listener {listener['name']} accepts routes from other namespaces",
                )
    for route in objects(graph, "HTTPRoute"):
        spec = route.inputs["spec"]
        redirects = all(
            any(
                f.get("type") == "RequestRedirect" and f["requestRedirect"].get("scheme") == "https"
                for f in entry.get("filters", [])
            )
            for entry in spec.get("rules", [])
        )
        https = all(ref.get("sectionName") == "https" for ref in spec.get("parentRefs", []))
        result.check(route.urn, redirects or https, "route is reachable over plain HTTP")
    return result


@rule(
    "encryption-in-cluster",
    "Traffic between nodes is encrypted by Cilium (WireGuard) in prod.",
    satre=("2.8.03",),
    severity="mandatory",
)
def in_cluster(graph: Graph) -> Evaluation:
    """Stricter than SATRE's 'should': K8TRE requires it in prod."""
    result = Evaluation()
    if not is_prod(graph):
        return result
    for release in releases(graph, "cilium"):
        encryption = (plain(release.inputs.get("values")) or {}).get("encryption") or {}
        result.check(release.urn, encryption.get("enabled") is True, "Cilium transparent encryption is off in prod")
    return result
