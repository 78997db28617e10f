"""What the cluster serves besides Kubernetes' own APIs: the API versions Helm's templates may ask about.

Helm's ``.Capabilities.APIVersions`` on a real cluster lists what discovery reports, so
offline it is built from the CustomResourceDefinitions the program applies, the charts
render, and the operators they run register at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .expand import ChartInstall

# CRDs no manifest or chart declares but that an operator registers when it starts, so the cluster
# serves them by the time anything else is installed or synced. Cilium's operator creates its CRDs
# unless `operator.skipCRDCreation` is set (Cilium docs, "Cilium Operator": CRD registration;
# chart value operator.skipCRDCreation). Kinds and scopes from cilium/cilium
# pkg/k8s/apis/cilium.io/client/crds/v2*/ (scope: Namespaced or Cluster in each file).
OPERATOR_CRDS: Mapping[str, tuple[tuple[str, str, bool], ...]] = {
    "cilium": (
        ("cilium.io/v2", "CiliumNetworkPolicy", True),
        ("cilium.io/v2", "CiliumClusterwideNetworkPolicy", False),
        ("cilium.io/v2", "CiliumEndpoint", True),
        ("cilium.io/v2", "CiliumIdentity", False),
        ("cilium.io/v2", "CiliumNode", False),
        ("cilium.io/v2", "CiliumCIDRGroup", False),
        ("cilium.io/v2", "CiliumEgressGatewayPolicy", False),
        ("cilium.io/v2", "CiliumLoadBalancerIPPool", False),
        ("cilium.io/v2", "CiliumEnvoyConfig", True),
        ("cilium.io/v2", "CiliumClusterwideEnvoyConfig", False),
        ("cilium.io/v2", "CiliumLocalRedirectPolicy", True),
        ("cilium.io/v2", "CiliumNodeConfig", True),
        ("cilium.io/v2alpha1", "CiliumL2AnnouncementPolicy", False),
        ("cilium.io/v2alpha1", "CiliumPodIPPool", False),
        ("cilium.io/v2alpha1", "CiliumGatewayClassConfig", True),
    ),
}


def served_api_versions(objects: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """``group/version`` and ``group/version/Kind`` of every served version of the CRDs among ``objects``.

    Helm's ``.Capabilities.APIVersions.Has`` accepts either form, as the cluster's discovery lists both.
    """
    versions: set[str] = set()
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for entry in spec.get("versions") or ():
            if entry.get("served", True):
                versions |= {f"{group}/{entry['name']}", f"{group}/{entry['name']}/{kind}"}
    return frozenset(versions)


def operator_crds(plans: Iterable[ChartInstall]) -> list[dict[str, Any]]:
    """Minimal CRD objects for what the operators of these charts register at start-up."""
    crds = []
    for plan in plans:
        if plan.chart == "cilium" and (plan.values.get("operator") or {}).get("skipCRDCreation"):
            continue
        for api_version, kind, namespaced in OPERATOR_CRDS.get(plan.chart, ()):
            group, version = api_version.split("/")
            crds.append(
                {
                    "kind": "CustomResourceDefinition",
                    "spec": {
                        "group": group,
                        "names": {"kind": kind},
                        "scope": "Namespaced" if namespaced else "Cluster",
                        "versions": [{"name": version, "served": True}],
                    },
                }
            )
    return crds
