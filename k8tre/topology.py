"""The management topology, wired: a management stack's opening to its registered clusters, an environment's registration.

The agnostics layer provides Argo CD: installed in the cluster, or, for an environment that names a management
stack, the management cluster's, registered with. So these components sit in the agnostics layer. An environment
without a management stack is untouched (its own Argo CD delivers in-cluster). One registered with a management
stack gets a :class:`~k8tre.delivery.ArgoDelivery` on its ``Platform`` before the application layer is built (its
AppProjects and Applications are created on the management cluster, delivering here), and the RBAC grant after it
(the namespaces it delivers to exist by then).
"""

from __future__ import annotations

import dataclasses

import pulumi

from .agnostics import AgnosticsLayer, Platform
from .agnostics.argocd_clusters import ArgoCdRegisteredClusters
from .agnostics.argocd_delivery_grant import DeliveryGrant
from .agnostics.argocd_management import ManagementCluster
from .agnostics.argocd_registration import ClusterRegistration
from .applications import jupyterhub
from .applications.keycloak_database import NAMESPACE as KEYCLOAK_NAMESPACE
from .config import K8treConfig
from .stage import Stage


def registration_name(config: K8treConfig) -> str:
    """The environment's name on the shared Argo CD: ``<name>-<stack>`` (unique per stack of one project)."""
    return f"{config.name}-{pulumi.get_stack()}"


def delivered_namespaces(config: K8treConfig) -> tuple[str, ...]:
    """The namespaces the environment's Applications deliver into: all the registration may manage.

    Add an application's destination namespace here when it is delivered through Argo CD (a test compares this
    with every rendered Application's destination).
    """
    hub = (jupyterhub.NAMESPACE,) if config.applications.jupyterhub.enabled else ()
    identity = (KEYCLOAK_NAMESPACE,) if config.applications.keycloak.enabled else ()
    return (*hub, *identity, *(app.namespace for app in config.applications.apps))


def _in_layer(agnostics: AgnosticsLayer) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=agnostics)


def open_registered_clusters(layer: str, config: K8treConfig, agnostics: AgnosticsLayer) -> None:
    """On a management stack: let its Argo CD reach the API servers of the clusters registered with it."""
    after = [agnostics.argocd.release] if agnostics.argocd else []
    ArgoCdRegisteredClusters(
        f"{layer}-registered-clusters", agnostics.cluster, config.registered_clusters, after, opts=_in_layer(agnostics)
    )


def register(layer: str, config: K8treConfig, stage: Stage, agnostics: AgnosticsLayer) -> Platform:
    """Register the environment with its management stack (if it names one); the Platform the applications use."""
    if config.management is None:
        return agnostics.platform
    management = ManagementCluster(f"{layer}-management", config.management, opts=_in_layer(agnostics))
    registration = ClusterRegistration(
        f"{layer}-registration",
        registration_name(config),
        agnostics.cluster,
        management,
        stage,
        delivered_namespaces(config),
        opts=_in_layer(agnostics),
    )
    return dataclasses.replace(agnostics.platform, delivery=registration.delivery)


def grant(layer: str, config: K8treConfig, agnostics: AgnosticsLayer, applications: pulumi.Resource) -> None:
    """After the application layer: the registered Argo CD's Roles in the namespaces it delivers to."""
    if config.management is not None:
        namespaces = delivered_namespaces(config)
        DeliveryGrant(f"{layer}-delivery-grant", agnostics.cluster, namespaces, [applications], opts=_in_layer(agnostics))
