"""Which Gateway listeners a route really attaches to, and whether a listener encrypts what it serves.

The semantics follow the Gateway API v1 specification
(https://gateway-api.sigs.k8s.io/reference/spec/, ``ParentReference``, ``Listener``,
``AllowedRoutes``, ``GatewayTLSConfig``) and the validations of the CRDs the program
installs (``../shared/manifests/gateway-api-v1.4.1/standard-install.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..offline.graph import Graph, RecordedResource
from .facts import objects, plain, releases

GATEWAY_GROUP = "gateway.networking.k8s.io"

# The kinds a listener accepts when ``allowedRoutes.kinds`` is empty: the spec's defaults per protocol
# (Listener.allowedRoutes: "the default ... is determined by the protocol").
DEFAULT_KINDS = {"HTTP": {"HTTPRoute", "GRPCRoute"}, "HTTPS": {"HTTPRoute", "GRPCRoute"}, "TLS": {"TLSRoute"}}


@dataclass(frozen=True)
class Listener:
    """One listener of one Gateway, as the route attachment sees it."""

    gateway: RecordedResource
    namespace: str
    spec: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``<namespace>/<gateway>:<listener>`` for messages."""
        return f"{self.namespace}/{self.gateway.inputs['metadata']['name']}:{self.spec.get('name')}"

    def encryption_problem(self) -> str | None:
        """Why traffic to this listener is not encrypted, or None when it is."""
        protocol = self.spec.get("protocol")
        tls = self.spec.get("tls") or {}
        # GatewayTLSConfig.mode defaults to Terminate; Terminate needs a certificate (CRD validation
        # "certificateRefs or options must be specified when mode is Terminate"); HTTPS allows only Terminate.
        mode = tls.get("mode") or "Terminate"
        if protocol == "HTTPS":
            if not tls:
                return "HTTPS listener without tls"
            if mode != "Terminate":
                return f"HTTPS listener with tls mode {mode} (the CRD allows only Terminate)"
            if not tls.get("certificateRefs"):
                return "HTTPS listener terminates TLS without a certificateRef"
            return None
        if protocol == "TLS":
            if mode == "Passthrough":
                return None  # the backend terminates TLS itself: the bytes stay encrypted end to end
            return None if tls.get("certificateRefs") else "TLS listener terminates TLS without a certificateRef"
        return f"{protocol} listener: plain text"


def listeners(graph: Graph) -> list[Listener]:
    """Every listener of every rendered Gateway."""
    found = []
    for gateway in objects(graph, "Gateway"):
        spec = plain(gateway.inputs.get("spec")) or {}
        namespace = (gateway.inputs.get("metadata") or {}).get("namespace") or "default"
        found += [Listener(gateway, namespace, listener) for listener in spec.get("listeners") or []]
    return found


def namespace_labels(graph: Graph) -> dict[str, dict[str, str]]:
    """Labels of every rendered Namespace, plus the one Kubernetes sets itself.

    ``kubernetes.io/metadata.name`` is set on every namespace by the API server
    (Kubernetes docs, "Well-Known Labels": kubernetes.io/metadata.name).
    """
    labels: dict[str, dict[str, str]] = {}
    for namespace in objects(graph, "Namespace"):
        metadata = namespace.inputs.get("metadata") or {}
        name = str(metadata.get("name"))
        labels[name] = {**(metadata.get("labels") or {}), "kubernetes.io/metadata.name": name}
    return labels


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    # metav1.LabelSelector: matchLabels AND every matchExpression.
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _admits(listener: Listener, kind: str, route_namespace: str, ns_labels: Mapping[str, Mapping[str, str]]) -> bool:
    allowed = listener.spec.get("allowedRoutes") or {}
    kinds = {k.get("kind") for k in allowed.get("kinds") or []} or DEFAULT_KINDS.get(str(listener.spec.get("protocol")), set())
    if kind not in kinds:
        return False
    namespaces = allowed.get("namespaces") or {}
    origin = namespaces.get("from") or "Same"  # AllowedRoutes.namespaces.from defaults to Same
    if origin == "All":
        return True
    if origin == "Same":
        return route_namespace == listener.namespace
    if origin == "Selector":
        return _selects(namespaces.get("selector") or {}, ns_labels.get(route_namespace, {}))
    return False


def _host_matches(pattern: str, host: str) -> bool:
    # A wildcard matches one or more leading labels ("*.example.com" matches "a.b.example.com", not "example.com").
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host != pattern[2:]
    return pattern == host


def _hostnames_intersect(listener_host: str | None, route_hosts: list[str]) -> bool:
    # Empty on either side matches all (HTTPRouteSpec.hostnames, Listener.hostname).
    if not listener_host or not route_hosts:
        return True
    return any(
        _host_matches(listener_host, host) or _host_matches(host, listener_host) or host == listener_host for host in route_hosts
    )


def attached_listeners(graph: Graph, route: RecordedResource) -> tuple[list[Listener], list[str]]:
    """The listeners ``route`` attaches to, and the parents it names that are not in the graph."""
    metadata = route.inputs.get("metadata") or {}
    route_namespace = metadata.get("namespace") or "default"
    spec = plain(route.inputs.get("spec")) or {}
    kind = str(route.inputs.get("kind"))
    ns_labels = namespace_labels(graph)
    every = listeners(graph)
    attached: list[Listener] = []
    missing: list[str] = []
    for ref in spec.get("parentRefs") or []:
        if (ref.get("group") or GATEWAY_GROUP) != GATEWAY_GROUP or (ref.get("kind") or "Gateway") != "Gateway":
            missing.append(f"{ref.get('kind')}/{ref.get('name')}")
            continue
        namespace = ref.get("namespace") or route_namespace  # ParentReference.namespace defaults to the route's
        candidates = [
            listener
            for listener in every
            if listener.namespace == namespace and listener.gateway.inputs["metadata"].get("name") == ref.get("name")
        ]
        if not candidates:
            missing.append(f"{namespace}/{ref.get('name')}")
            continue
        # sectionName selects a listener by name, port by port; both must match when both are set; neither means all.
        for listener in candidates:
            if "sectionName" in ref and listener.spec.get("name") != ref["sectionName"]:
                continue
            if "port" in ref and listener.spec.get("port") != ref["port"]:
                continue
            if not _admits(listener, kind, route_namespace, ns_labels):
                continue
            if not _hostnames_intersect(listener.spec.get("hostname"), list(spec.get("hostnames") or [])):
                continue
            attached.append(listener)
    return attached, missing


def only_redirects_to_https(route: RecordedResource) -> bool:
    """Every rule of the route redirects to ``https`` and forwards nothing to a backend."""
    rules = (plain(route.inputs.get("spec")) or {}).get("rules") or []
    return bool(rules) and all(
        not rule.get("backendRefs")
        and any(
            f.get("type") == "RequestRedirect" and (f.get("requestRedirect") or {}).get("scheme") == "https"
            for f in rule.get("filters") or []
        )
        for rule in rules
    )


# The first Cilium minor whose operator watches BackendTLSPolicy: 1.19's ClusterRole lists no
# ``backendtlspolicies`` (templates/cilium-operator/clusterrole.yaml in charts/cilium-1.19.6.tgz), and
# "BackendTLSPolicy support didn't make it to v1.19" (cilium/cilium pull request #44743).
CILIUM_BACKEND_TLS_SINCE = (1, 20)


def _minor(version: str) -> tuple[int, int]:
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return (0, 0)


def backend_tls_honoured(graph: Graph) -> bool:
    """Whether the Gateway implementation in this render (Cilium) verifies backends per BackendTLSPolicy."""
    versions = [str(r.inputs.get("version", "")) for r in releases(graph, "cilium")]
    return bool(versions) and all(_minor(v) >= CILIUM_BACKEND_TLS_SINCE for v in versions)


def _backend_tls_policies(graph: Graph, namespace: str) -> set[str]:
    # BackendTLSPolicy targets Services in its own namespace (spec.targetRefs, group "" kind Service); one that
    # names no CA (caCertificateRefs) and no well-known CAs is refused by the CRD's validation.
    targeted: set[str] = set()
    for policy in objects(graph, "BackendTLSPolicy"):
        if ((policy.inputs.get("metadata") or {}).get("namespace") or "default") != namespace:
            continue
        spec = plain(policy.inputs.get("spec")) or {}
        targeted |= {
            str(ref.get("name"))
            for ref in spec.get("targetRefs") or []
            if (ref.get("group") or "") == "" and ref.get("kind") == "Service"
        }
    return targeted


def backend_hop_problem(graph: Graph, route: RecordedResource, listener: Listener, plaintext_annotation: str) -> str | None:
    """Why the hop from ``listener`` to the route's backends is plain text without a stated reason, or None.

    Encrypted: a TLSRoute on a ``Passthrough`` listener (the client's TLS reaches the backend), or a
    backend Service targeted by a BackendTLSPolicy that this render's Gateway implementation honours.
    Anything else is plain text from the Gateway to the backend, acceptable only with the reason on the
    route (``plaintext_annotation``), where a reviewer reads it.
    """
    spec = plain(route.inputs.get("spec")) or {}
    backends = [ref for rule in spec.get("rules") or [] for ref in rule.get("backendRefs") or []]
    if not backends:
        return None
    kind = route.inputs.get("kind")
    if kind == "TLSRoute" and ((listener.spec.get("tls") or {}).get("mode") or "Terminate") == "Passthrough":
        return None
    metadata = route.inputs.get("metadata") or {}
    namespace = metadata.get("namespace") or "default"
    targeted = _backend_tls_policies(graph, namespace)
    unverified = [str(ref.get("name")) for ref in backends if str(ref.get("name")) not in targeted]
    if not unverified and backend_tls_honoured(graph):
        return None
    reason = str((metadata.get("annotations") or {}).get(plaintext_annotation) or "").strip()
    if reason:
        return None
    names = ", ".join(sorted({str(ref.get("name")) for ref in backends}))
    if not unverified:
        return f"BackendTLSPolicy for {names} is ignored by this Cilium (backend TLS from {CILIUM_BACKEND_TLS_SINCE})"
    return f"the Gateway reaches {names} in plain text, and the route gives no reason ({plaintext_annotation})"
