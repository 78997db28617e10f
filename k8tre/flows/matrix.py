"""The flow matrix of a render: every declared flow, its expected and its actual verdict.

Pods come from the render (manifests and expanded charts; the chart table in
``chart_pods`` stands in for a release that was not expanded) plus the pods spawned at
run time; policies from every rendered Cilium and Kubernetes network policy. The
declarations come from the components (``*_flows`` next to their policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..agnostics.alerting import alerting_flows, receiver_targets
from ..agnostics.argocd import NAMESPACE as ARGOCD_NAMESPACE
from ..agnostics.argocd import argocd_flows
from ..agnostics.argocd_clusters import registered_api_servers, registered_cluster_flows
from ..agnostics.argocd_sso import sso_hosts
from ..agnostics.cert_manager import cert_manager_flows
from ..agnostics.cloudnative_pg import cloudnative_pg_flows
from ..agnostics.external_dns import external_dns_flows, external_dns_targets
from ..agnostics.external_secrets import external_secrets_flows, store_endpoints
from ..agnostics.issuers import solver_targets
from ..agnostics.network_policy import SYSTEM_NAMESPACES, cluster_flows
from ..agnostics.observability_network import observability_flows, operator_pods
from ..agnostics.postgres_pods import database_pods
from ..agnostics.seaweedfs import seaweedfs_flows
from ..agnostics.storage import storage_flows
from ..agnostics.velero import backup_hosts, velero_flows
from ..applications.custom_app_flows import apps_in, custom_app_flows
from ..applications.jupyterhub import NAMESPACE as JUPYTERHUB_NAMESPACE
from ..applications.jupyterhub_network import jupyterhub_flows
from ..applications.keycloak_database import NAMESPACE as KEYCLOAK_NAMESPACE
from ..applications.keycloak_network import keycloak_flows
from ..applications.research_project import PROJECT_LABEL, project_flows
from ..applications.workspace_flows import workspace_flows, workspace_namespaces
from ..offline.graph import Graph
from ..versions import application_sources
from .chart_pods import modelled_pods
from .evaluate import KUBE_DNS, verdict
from .expect import Expect, FlowContext, PodsOf, ProjectFlows
from .model import Cluster, Pod, Verdict
from .pods import namespace_labels, project_workload, spawned_workspaces, workload_pods
from .policies import POLICY_KINDS, Policy, load_policies

USERS = ("alice", "bob")
"""Two researchers: enough to show one never reaches the other."""


@dataclass(frozen=True)
class Row:
    """One evaluated flow."""

    source: str
    destination: str
    port: int
    protocol: str
    expect: str
    verdict: Verdict | None
    """None when no pod matched an end of the flow: nothing was examined."""
    why: str
    owner: str

    @property
    def ok(self) -> bool:
        """The verdict is the expected one (a flow that examined nothing is never ok)."""
        return self.verdict is not None and self.verdict.allowed == (self.expect == "allow")

    @property
    def actual(self) -> str:
        """``allow``, ``deny`` or ``no pods``."""
        return "no pods" if self.verdict is None else ("allow" if self.verdict.allowed else "deny")


def all_objects(graph: Graph) -> list[dict[str, Any]]:
    """The rendered manifests and every expanded chart object."""
    objects = list(graph.manifests())
    for release in graph.workloads:
        objects += [dict(o) for o in release.objects]
    return objects


def cluster_facts(graph: Graph) -> Cluster:
    """Where the API server runs: on K3s's own servers, else outside the cluster."""
    on_nodes = any(r.type == "command:remote:Command" for r in graph.resources)
    return Cluster(api_server="nodes" if on_nodes else "external")


def context_of(graph: Graph) -> FlowContext:
    """The stack's domain, projects (with their approved names) and applications, from the render."""
    namespaces = namespace_labels(graph.manifests())
    fqdns: dict[str, tuple[str, ...]] = {}
    for policy in graph.manifests():
        if policy.get("kind") == "CiliumNetworkPolicy" and policy["metadata"].get("labels", {}).get(PROJECT_LABEL):
            # The project's declared names are the ones its own policy approves; a name approved for
            # one project is still probed from every other.
            fqdns[policy["metadata"]["namespace"]] = tuple(
                f.get("matchName") or f.get("matchPattern") or ""
                for spec in [policy["spec"]]
                for rule in spec.get("egress") or []
                for f in rule.get("toFQDNs") or []
            )
    spawned = workspace_namespaces(graph.manifests())
    projects = tuple(
        ProjectFlows(labels[PROJECT_LABEL], name, fqdns.get(name, ()), name in spawned)
        for name, labels in sorted(namespaces.items())
        if PROJECT_LABEL in labels
    )
    issuers = [m for m in graph.manifests() if m.get("kind") == "ClusterIssuer"]
    velero = [r for r in graph.helm_releases() if r["chart"] == "velero"]
    locations = [loc for r in velero for loc in (r["values"].get("configuration") or {}).get("backupStorageLocation") or []]
    stores = [(m.get("spec") or {}).get("provider") or {} for m in graph.manifests() if m.get("kind") == "ClusterSecretStore"]
    return FlowContext(
        domain=str(graph.outputs.get("domain", "")),
        projects=projects,
        jupyterhub=JUPYTERHUB_NAMESPACE in namespaces,
        acme=any("acme" in (m.get("spec") or {}) for m in issuers),
        longhorn=any(r["chart"] == "longhorn" for r in graph.helm_releases()),
        dns01=solver_targets(issuers),
        external_dns=external_dns_targets([r for r in graph.helm_releases() if r.get("chart") == "external-dns"]),
        argocd_ha=any(
            r["chart"] == "argo-cd" and (r["values"].get("redis-ha") or {}).get("enabled") for r in graph.helm_releases()
        ),
        argocd_sso_hosts=tuple(host for r in graph.helm_releases() if r["chart"] == "argo-cd" for host in sso_hosts(r["values"])),
        velero=bool(velero),
        backup_hosts=tuple(host for location in locations for host in backup_hosts(location)),
        seaweedfs=any(r["chart"] == "seaweedfs" for r in graph.helm_releases()),
        secret_store=",".join(sorted({kind for provider in stores for kind in provider})),
        secret_store_fqdns=tuple(dict.fromkeys(name for provider in stores for name in store_endpoints(provider))),
        argocd=any(r["chart"] == "argo-cd" for r in graph.helm_releases()),
        registered_api_servers=registered_api_servers(graph.outputs),
        applications=apps_in(graph.manifests()),
        argocd_sources=tuple(sorted({urlparse(url).hostname or "" for url in _repo_urls(graph)} - {""})),
        keycloak=KEYCLOAK_NAMESPACE in namespaces,
        alert_receivers=tuple(
            target
            for r in graph.helm_releases()
            if r["chart"] == "kube-prometheus-stack"
            for target in receiver_targets(r["values"])
        ),
    )


def _repo_urls(graph: Graph) -> list[str]:
    """Every source repository of the rendered Applications: where Argo CD's repo server must fetch from."""
    return [
        str(source.get("repoURL") or "")
        for app in graph.manifests()
        if app.get("kind") == "Application"
        for source in [app["spec"].get("source") or {}, *(app["spec"].get("sources") or [])]
    ]


def declared_flows(context: FlowContext) -> list[Expect]:
    """Every component's declared flows for this stack."""
    flows = [
        *cluster_flows(context),
        *cert_manager_flows(context),
        *cloudnative_pg_flows(context),
        *storage_flows(context),
        *argocd_flows(sorted({*application_sources(), *context.argocd_sources}), context.argocd_ha, context.argocd_sso_hosts),
        *observability_flows(context),
        *external_dns_flows(context),
        *velero_flows(context),
        *seaweedfs_flows(context),
        *external_secrets_flows(context),
        *jupyterhub_flows(context, JUPYTERHUB_NAMESPACE),
        *project_flows(context),
        *registered_cluster_flows(context),
        *custom_app_flows(context.applications),
        *workspace_flows(context, JUPYTERHUB_NAMESPACE),
        *keycloak_flows(context),
        *alerting_flows(context),
    ]
    if context.argocd:
        return flows
    # A registered environment runs no Argo CD (the management stack's delivers to it): no pods to judge there.
    return [
        f
        for f in flows
        if ARGOCD_NAMESPACE not in (getattr(f.source, "namespace", None), getattr(f.destination, "namespace", None))
    ]


def population(graph: Graph) -> list[Pod]:
    """Every pod the render will run, rendered, expanded, modelled or spawned."""
    manifests = graph.manifests()
    namespaces = namespace_labels(all_objects(graph))
    pods = workload_pods(manifests, namespaces, origin="rendered")
    expanded = {(release.name, release.namespace) for release in graph.workloads}
    for release in graph.workloads:
        pods += workload_pods(release.objects, namespaces, origin=f"chart {release.chart}", default_namespace=release.namespace)
    for installed in graph.helm_releases():
        if (installed["name"], installed["namespace"]) not in expanded:
            pods += modelled_pods(str(installed["chart"]), str(installed["name"]), str(installed["namespace"]), namespaces)
    for app in (m for m in manifests if m.get("kind") == "Application"):
        source = app["spec"].get("source") or {}
        destination = app["spec"]["destination"]["namespace"]
        if (app["metadata"]["name"], destination) not in expanded:
            pods += modelled_pods(str(source.get("chart")), app["metadata"]["name"], destination, namespaces)
        if source.get("chart") == "jupyterhub":
            values = (source.get("helm") or {}).get("valuesObject") or {}
            pods += spawned_workspaces(
                values, release=app["metadata"]["name"], release_namespace=destination, users=USERS, namespaces=namespaces
            )
    pods += [project_workload(name, namespaces) for name, labels in namespaces.items() if PROJECT_LABEL in labels]
    # Prometheus and Alertmanager pods exist only once the Prometheus Operator acts on their resources.
    pods += operator_pods(all_objects(graph), namespaces)
    # Postgres instances exist only once CloudNativePG acts on their Cluster resources.
    pods += database_pods(all_objects(graph), namespaces)
    return [*pods, KUBE_DNS]


def policies_of(graph: Graph, cluster: Cluster | None = None) -> list[Policy]:
    """Every network policy in the render, normalised."""
    objects = [o for o in all_objects(graph) if o.get("kind") in POLICY_KINDS]
    return load_policies(objects, cluster or cluster_facts(graph))


def evaluate(graph: Graph, flows: Sequence[Expect] | None = None) -> list[Row]:
    """The matrix: each declared flow between each matching pair of pods, with its verdict."""
    cluster = cluster_facts(graph)
    policies = policies_of(graph, cluster)
    pods = population(graph)
    rows: list[Row] = []
    for flow in declared_flows(context_of(graph)) if flows is None else flows:
        rows += _rows(flow, pods, policies, cluster)
    return rows


def _ends(end: object, pods: Iterable[Pod]) -> list[Any]:
    return end.select(pods, SYSTEM_NAMESPACES) if isinstance(end, PodsOf) else [end]


def _rows(flow: Expect, pods: list[Pod], policies: list[Policy], cluster: Cluster) -> list[Row]:
    sources, destinations = _ends(flow.source, pods), _ends(flow.destination, pods)
    pairs = [
        (s, d)
        for s in sources
        for d in destinations
        if s != d
        and not (
            flow.differ_on
            and isinstance(s, Pod)
            and isinstance(d, Pod)
            and s.labels.get(flow.differ_on) == d.labels.get(flow.differ_on)
        )
    ]
    if not pairs:
        return [Row(flow.source.ref, flow.destination.ref, flow.port, flow.protocol, flow.expect, None, flow.why, flow.owner)]
    return [
        Row(
            s.ref,
            d.ref,
            flow.port,
            flow.protocol,
            flow.expect,
            verdict(policies, s, d, flow.port, flow.protocol, cluster),
            flow.why,
            flow.owner,
        )
        for s, d in pairs
    ]


def markdown(rows: Sequence[Row]) -> str:
    """The matrix as a Markdown table."""
    lines = ["| From | To | Port | Expected | Verdict | Deciding policy | Why |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in sorted(rows, key=lambda r: (r.source, r.destination, r.port, r.protocol)):
        deciding = ", ".join(sorted(row.verdict.deciding)) if row.verdict else "-"
        mark = row.actual if row.ok else f"**{row.actual} (unexpected)**"
        lines.append(
            f"| {row.source} | {row.destination} | {row.port}/{row.protocol} | {row.expect} | {mark} | {deciding} | {row.why} |"
        )
    return "\n".join(lines) + "\n"
