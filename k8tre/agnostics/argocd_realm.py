"""Argo CD signs in through the TRE realm by default when the stack delivers Keycloak.

When the stack names no provider (``agnostics.argocd.sso``) and Keycloak is enabled, Argo CD's
``oidc.config`` points at ``https://keycloak.<domain>/realms/k8tre`` with the realm's ``argocd`` client,
``tre-admins`` as its administrators and no role for anyone else. The client secret is generated with
the realm (:mod:`k8tre.applications.keycloak`), which delivers it as the Secret ``argocd-oidc`` in Argo
CD's namespace through External Secrets: no ``k8tre:argocdOidcClientSecret`` is needed.
"""

from __future__ import annotations

from ..config import K8treConfig
from ..config.layers import ArgoCdSettings, ArgoCdSso

REALM_CLIENT = "argocd"
"""The realm's client for Argo CD (``keycloak_realm.CLIENTS``)."""
REALM_ADMINS = "tre-admins"
"""The realm group whose members administer Argo CD."""


def uses_realm(config: K8treConfig) -> bool:
    """Whether Argo CD's sign-in defaults to the TRE realm: no provider configured, Keycloak delivered by this stack.

    A management stack delivers no applications, so it has no realm of its own.
    """
    return config.agnostics.argocd.sso is None and config.applications.keycloak.enabled and config.role == "environment"


def argocd_settings(config: K8treConfig) -> ArgoCdSettings:
    """Argo CD's settings as configured, with SSO through the realm when :func:`uses_realm`."""
    settings = config.agnostics.argocd
    if not uses_realm(config):
        return settings
    # By the stack file's (camelCase) names: the model accepts nothing else, as a stack file would give it.
    sso = ArgoCdSso.model_validate(
        {
            "issuer": f"https://keycloak.{config.domain}/realms/k8tre",
            "clientId": REALM_CLIENT,
            "name": "K8TRE sign-in",
            "adminGroups": (REALM_ADMINS,),
        }
    )
    return settings.model_copy(update={"sso": sso})
