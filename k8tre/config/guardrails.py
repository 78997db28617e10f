"""Production guard rails, and the accepted risks that let a stack file override one on the record.

A guard rail refuses a prod setting that weakens the TRE without breaking it (a
staging certificate, no automatic patches, one zone). Unlike the hard rules, an
organisation may have a reason to run that way for a while: then the stack file says
so in ``k8tre:acceptedRisks`` with a reason and an approver, and the check report
lists the decision for assessors. An accepted risk that names no guard rail, or one
the stack does not trip, is an error: the record must stay true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import AfterValidator

from .azure import AzureClusterConfig
from .base import K8treModel

if TYPE_CHECKING:
    from .model import K8treConfig

GuardRailId = Literal[
    "prod-acme-staging",
    "prod-no-auto-upgrade",
    "prod-single-zone",
    "prod-argocd-not-ha",
    "prod-kube-proxy-alongside",
    "prod-no-admin-groups",
]
"""The stable ids of the guard rails, as ``k8tre:acceptedRisks[].rule`` names them."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must say something: an accepted risk needs a reason and an approver")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]


class AcceptedRisk(K8treModel):
    """A guard rail a prod stack deliberately does not meet, with why and who approved it."""

    rule: GuardRailId
    """The guard rail's id."""
    reason: Text
    """Why the stack runs this way, for the assessor reading the check report."""
    approved_by: Text
    """Who accepted the risk (a name or role)."""


@dataclass(frozen=True)
class GuardRail:
    """One prod guard rail: where it looks, and what it says when tripped."""

    id: str
    """Stable id (``GuardRailId``)."""
    title: str
    """What the risk is, for the report."""
    tripped: Callable[[K8treConfig], Iterator[str]]
    """The keys (without ``k8tre:``) whose values trip it in this config."""


def _acme_staging(config: K8treConfig) -> Iterator[str]:
    # Let's Encrypt's staging CA is untrusted by browsers: users learn to click through certificate warnings.
    if config.agnostics.cert_manager.issuer == "letsencrypt-staging":
        yield "agnostics.certManager.issuer"


def _no_auto_upgrade(config: K8treConfig) -> Iterator[str]:
    # Without an upgrade channel AKS applies no Kubernetes patch releases (AKS docs, "Automatically upgrade an AKS cluster").
    if isinstance(config.cluster, AzureClusterConfig) and config.cluster.upgrade_channel == "none":
        yield "cluster.upgradeChannel"


def _single_zone(config: K8treConfig) -> Iterator[str]:
    # A pool in fewer than two zones stops with its zone (AKS docs, "Create an AKS cluster that uses availability zones").
    if isinstance(config.cluster, AzureClusterConfig):
        for i, pool in enumerate(config.cluster.node_pools):
            if len(set(pool.zones)) < 2:
                yield f"cluster.nodePools[{i}].zones"


def _argocd_not_ha(config: K8treConfig) -> Iterator[str]:
    if config.agnostics.argocd.high_availability is False:
        yield "agnostics.argocd.highAvailability"


def _kube_proxy_alongside(config: K8treConfig) -> Iterator[str]:
    # kube-proxy next to Cilium: two service proxies, and Services bypass Cilium's kube-proxy replacement.
    if isinstance(config.cluster, AzureClusterConfig) and config.cluster.kube_proxy == "cilium-alongside":
        yield "cluster.kubeProxy"


def _no_admin_groups(config: K8treConfig) -> Iterator[str]:
    # With local accounts off (outside dev), Entra ID admin groups are the audited way to administer the cluster.
    if isinstance(config.cluster, AzureClusterConfig) and not config.cluster.api_server.admin_group_object_ids:
        yield "cluster.apiServer.adminGroupObjectIds"


GUARD_RAILS: dict[str, GuardRail] = {
    rail.id: rail
    for rail in (
        GuardRail("prod-acme-staging", "certificates from Let's Encrypt's untrusted staging CA", _acme_staging),
        GuardRail("prod-no-auto-upgrade", "no automatic Kubernetes patch upgrades (upgradeChannel none)", _no_auto_upgrade),
        GuardRail("prod-single-zone", "a node pool in fewer than two availability zones", _single_zone),
        GuardRail("prod-argocd-not-ha", "Argo CD without high availability", _argocd_not_ha),
        GuardRail("prod-kube-proxy-alongside", "kube-proxy kept next to Cilium", _kube_proxy_alongside),
        GuardRail("prod-no-admin-groups", "no Entra ID group administers the cluster", _no_admin_groups),
    )
}
"""Every guard rail by id (tests check these are exactly the ids ``GuardRailId`` accepts)."""

GUARD_RAIL_IDS: tuple[str, ...] = get_args(GuardRailId)
"""The ids an accepted risk may name."""


def guard_rail_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    """Guard rails tripped in prod and not accepted, and accepted risks that do not match a tripped rail."""
    accepted: dict[str, int] = {}
    for i, risk in enumerate(config.accepted_risks):
        if risk.rule in accepted:
            yield f"acceptedRisks[{i}].rule", f"{risk.rule!r} is accepted twice (also k8tre:acceptedRisks[{accepted[risk.rule]}])"
        accepted.setdefault(risk.rule, i)
    tripped: set[str] = set()
    for rail in GUARD_RAILS.values():
        keys = list(rail.tripped(config)) if config.is_prod else []
        if keys:
            tripped.add(rail.id)
        if keys and rail.id not in accepted:
            for key in keys:
                yield (
                    key,
                    (
                        f"is refused in prod ({rail.title}); fix it, or record the decision in k8tre:acceptedRisks as "
                        f"{{rule: {rail.id}, reason: ..., approvedBy: ...}}"
                    ),
                )
    for rule, i in accepted.items():
        if rule not in tripped:
            where = "this prod stack does not take it" if config.is_prod else "guard rails apply to prod only"
            yield f"acceptedRisks[{i}].rule", f"accepts {rule!r}, but {where}: remove it so the record stays true"
