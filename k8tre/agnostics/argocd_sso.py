"""Argo CD single sign-on through OIDC, and who may do what once signed in.

Argo CD talks to the provider itself (no Dex): ``oidc.config`` in ``argocd-cm`` names the issuer,
the client and the groups claim (Argo CD docs, "User Management", "Existing OIDC Provider"). The client
secret stays a Pulumi secret end to end: it lands in its own Kubernetes Secret, which ``oidc.config``
references as ``$<secret>:<key>`` (Argo CD docs, "Sensitive Data and SSO Client Secrets"; Argo CD reads
such a Secret only if it carries ``app.kubernetes.io/part-of: argocd``), so neither the chart values nor
any render holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s
import yaml

from ..config import SecretRef
from ..config.layers import ArgoCdSso
from ..infrastructure import Cluster

OIDC_SECRET = "argocd-oidc"  # noqa: S105 - a Secret's name, not its content
"""The Secret holding the OIDC client secret under ``clientSecret``."""
OIDC_SECRET_KEY = "clientSecret"  # noqa: S105 - a key's name
PART_OF_ARGOCD = {"app.kubernetes.io/part-of": "argocd"}
"""The label without which Argo CD refuses to read a referenced Secret."""


def oidc_config(sso: ArgoCdSso, secret_name: str = OIDC_SECRET) -> str:
    """``oidc.config`` for ``argocd-cm``: the provider, the client, a reference to its secret, the groups claim.

    Keycloak and Microsoft Entra ID fit the same shape: both publish a discovery document under the
    issuer URL; Entra ID carries group object IDs in its ``groups`` claim when the app registration asks
    for it (Argo CD docs, "Microsoft", "Entra ID App Registration Auth using OIDC"), Keycloak group
    names through a mapper (Argo CD docs, "Keycloak").
    """
    config: dict[str, Any] = {
        "name": sso.name,
        "issuer": sso.issuer,
        "clientID": sso.client_id,
        "clientSecret": f"${secret_name}:{OIDC_SECRET_KEY}",
        "requestedScopes": list(sso.scopes),
        "requestedIDTokenClaims": {sso.groups_claim: {"essential": True}},
    }
    return yaml.safe_dump(config, sort_keys=False)


def rbac_config(sso: ArgoCdSso | None) -> dict[str, str]:
    """``argocd-rbac-cm``: no role unless a group grants one (least privilege, SATRE 3.2.01).

    ``policy.default`` is the role every authenticated user gets (Argo CD docs, "RBAC Configuration"):
    empty, so someone the provider lets in but no group names sees nothing. ``scopes`` names the claim
    whose values ``g,`` lines match.
    """
    lines: list[str] = []
    if sso is not None:
        lines += [f"g, {group}, role:admin" for group in sso.admin_groups]
        lines += [f"g, {group}, role:readonly" for group in sso.readonly_groups]
    config = {"policy.default": "", "policy.csv": "\n".join(lines) + ("\n" if lines else "")}
    if sso is not None:
        config["scopes"] = f"[{sso.groups_claim}]"
    return config


def issuer_host(sso: ArgoCdSso | None) -> tuple[str, ...]:
    """The provider's host name, which argocd-server must resolve and reach over HTTPS (discovery, keys, tokens)."""
    return () if sso is None else (urlparse(sso.issuer).hostname or "",)


def sso_hosts(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The issuer host named by the ``oidc.config`` in rendered argo-cd chart values (none without SSO)."""
    text = ((values.get("configs") or {}).get("cm") or {}).get("oidc.config")
    if not isinstance(text, str):
        return ()
    issuer = (yaml.safe_load(text) or {}).get("issuer")
    host = urlparse(issuer).hostname if isinstance(issuer, str) else None
    return (host,) if host else ()


def oidc_client_secret(
    name: str,
    *,
    secret: SecretRef,
    namespace: str,
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.core.v1.Secret:
    """The Secret ``argocd-oidc`` with the client secret from the stack's ``k8tre:argocdOidcClientSecret``.

    ``SecretRef.output()`` is a Pulumi secret, so the Secret's data stays encrypted in the state and
    ``[secret]`` in every render.
    """
    return k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=OIDC_SECRET, namespace=namespace, labels=dict(PART_OF_ARGOCD)),
        type="Opaque",
        string_data={OIDC_SECRET_KEY: secret.output()},
        opts=cluster.opts(parent, depends_on=list(depends_on)),
    )
