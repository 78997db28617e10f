"""A research project's namespace with its isolation policy (SATRE 2.2.10, 2.2.11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..agnostics.network_policy import dns_egress_rule, egress_to_names
from ..agnostics.storage import RWX_CLASS
from ..config.layers import JupyterHubSettings, ProjectSettings
from ..flows.expect import EXFILTRATION_NAME, METADATA_SERVICE, WORLD_ADDRESS, Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import DnsLookup, Entity, Fqdn
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from .jupyterhub_network import singleuser_policy
from .project_k8s import data_options, guard_rails, pvc, spawner_rbac
from .project_resources import DECOMMISSION_LABEL, INPUT_VOLUME, SHARED_VOLUME, data_volume

PROJECT_LABEL = "k8tre.io/project"
_NOT_WORKSPACES = {"matchExpressions": [{"key": "component", "operator": "NotIn", "values": ["singleuser-server"]}]}


def project_isolation_policy(namespace: str, project: str, egress_fqdns: Sequence[str]) -> dict[str, Any]:
    """A CiliumNetworkPolicy for one project: its services talk to each other, never to another project.

    Internet egress goes only to the project's FQDN allowlist on HTTPS, and only those
    names (and cluster names) resolve (SATRE 2.2.11); an empty list means no internet
    and no outside names at all. Workspaces spawned here (KubeSpawner's
    ``component: singleuser-server``) are left out of the namespace-wide allows, so two
    users' notebooks in one project never reach each other; they may use the project's
    services.
    """
    egress = [{"toEndpoints": [{}]}, dns_egress_rule(egress_fqdns), *egress_to_names(egress_fqdns)]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {
            "name": "project-isolation",
            "namespace": namespace,
            "labels": {"k8tre.io/policy": "project-isolation", "k8tre.io/project": project},
        },
        "spec": {
            "description": f"Project {project}: its services reach each other and the gateway reaches them; nothing else",
            # A namespaced policy's selectors stay in its namespace (Cilium's getEndpointSelector).
            "endpointSelector": _NOT_WORKSPACES,
            "enableDefaultDeny": {"ingress": True, "egress": True},
            "ingress": [{"fromEndpoints": [{}]}, {"fromEntities": ["ingress"]}],
            "egress": egress,
        },
    }


def project_namespace(project: str) -> str:
    """The namespace that holds one project's workloads."""
    return f"project-{project}"


def project_flows(context: FlowContext) -> list[Expect]:
    """Each project reaches its own names; nothing else, and no other project."""
    flows: list[Expect] = []
    service = {"app.kubernetes.io/name": "project-service"}
    for project in context.projects:
        pods = PodsOf(project.namespace, service, f"{project.name} service")
        flows += [allow(pods, Fqdn(name), 443, "an approved destination") for name in project.egress_fqdns]
        flows += [
            deny(pods, WORLD_ADDRESS, 443, "no internet beyond the allowlist"),
            deny(pods, Entity("kube-apiserver"), 443, "projects never touch the Kubernetes API"),
            deny(pods, METADATA_SERVICE, 80, "cloud credentials stay out of reach"),
            deny(pods, DnsLookup(EXFILTRATION_NAME), 53, "DNS is no channel out", protocol="UDP"),
        ]
        for other in context.projects:
            if other == project:
                continue
            flows.append(deny(pods, PodsOf(other.namespace, service, f"{other.name} service"), 8080, "projects are sealed"))
            for name in set(other.egress_fqdns) - set(project.egress_fqdns):
                flows.append(deny(pods, Fqdn(name), 443, f"{other.name}'s approved name is not {project.name}'s"))
                flows.append(deny(pods, DnsLookup(name), 53, "not resolvable outside its project", protocol="UDP"))
    return flows


def project_workspace_policy(namespace: str, project: str, egress_fqdns: Sequence[str]) -> dict[str, Any]:
    """Workspaces spawned into the project: its services and its allowed names only, never each other."""
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "project-workspaces", "namespace": namespace, "labels": {"k8tre.io/project": project}},
        "spec": {
            "description": f"Project {project}: workspaces use the project's services and allowed names only",
            "endpointSelector": {"matchLabels": {"component": "singleuser-server"}},
            "egress": [{"toEndpoints": [_NOT_WORKSPACES]}, dns_egress_rule(egress_fqdns), *egress_to_names(egress_fqdns)],
        },
    }


class ResearchProject(pulumi.ComponentResource):
    """One project's namespace: isolated, bounded, its data volumes, and JupyterHub allowed to spawn there."""

    namespace: str
    """The project's namespace."""

    def __init__(
        self,
        name: str,
        settings: ProjectSettings,
        cluster: Cluster,
        stage: Stage,
        hub: JupyterHubSettings,
        storage_classes: Sequence[pulumi.Resource],
        hub_namespace: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``hub_namespace``: where JupyterHub runs when it spawns into this project, else None."""
        super().__init__("k8tre:applications:ResearchProject", name, None, opts)
        self.namespace = project_namespace(settings.name)
        keep = data_options(settings, stage)
        # The decision is written on what holds the data, where the protected-state rule reads it.
        decision: dict[str, str] = {DECOMMISSION_LABEL: settings.decommission} if settings.decommission else {}
        namespace = platform_namespace(
            f"{name}-ns",
            self.namespace,
            cluster,
            self,
            layer="applications",
            gateway_access=True,
            extra_labels={PROJECT_LABEL: settings.name, **decision},
            extra_opts=keep,
        )
        inside = cluster.opts(self, depends_on=[namespace])
        policy = project_isolation_policy(self.namespace, settings.name, settings.egress_fqdns)
        self.policy = custom_object(f"{name}-isolation", policy, cluster, self, depends_on=[namespace])
        workspaces = project_workspace_policy(self.namespace, settings.name, settings.egress_fqdns)
        custom_object(f"{name}-workspaces", workspaces, cluster, self, depends_on=[namespace])
        guard_rails(name, self.namespace, settings, hub, inside)
        after_classes = pulumi.ResourceOptions.merge(inside, pulumi.ResourceOptions(depends_on=list(storage_classes)))
        for volume, size in ((SHARED_VOLUME, settings.volumes.shared_gib), (INPUT_VOLUME, settings.volumes.input_gib)):
            pvc(
                f"{name}-{volume}",
                data_volume(self.namespace, volume, size, RWX_CLASS, decision),
                pulumi.ResourceOptions.merge(after_classes, keep),
            )
        if hub_namespace is not None:
            custom_object(
                f"{name}-singleuser", singleuser_policy(hub_namespace, self.namespace), cluster, self, depends_on=[namespace]
            )
            spawner_rbac(name, self.namespace, hub_namespace, inside)
        self.register_outputs({"namespace": self.namespace})
