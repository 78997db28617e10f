"""The TRE realm as code: the realm file Keycloak imports at start-up, with placeholders where secrets go.

Keycloak imports every ``*.json`` file in ``/opt/keycloak/data/import`` when started with
``--import-realm``, skips a realm that already exists, and resolves ``${VAR}`` placeholders in the file
from its environment (Keycloak server guide, "Importing and exporting realms", "Importing a realm
during startup" and "Using environment variables within the realm configuration files":
https://www.keycloak.org/server/importExport). So the file carries only placeholders for the OIDC
clients' secrets; the values reach the container as environment variables read from Secrets that
External Secrets delivers (:mod:`.keycloak_secrets`), and neither git nor a render holds them.

The realm demands a second factor of every user (SATRE 3.2.04) twice over: configuring OTP is a default
required action, and the browser flow requires the OTP form after the password form. A session cookie
is the only alternative to those forms, and a cookie is issued only by a completed sign-in through them.
No client may use the password grant (it would bypass the browser flow) or override the browser flow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..config.layers import KeycloakRealmSettings

REALM: Final = "k8tre"
"""The realm's name: JupyterHub's and Argo CD's issuer is ``https://keycloak.<domain>/realms/k8tre``."""
BROWSER_FLOW: Final = "tre browser"
FORMS_FLOW: Final = "tre browser forms"
DIRECT_GRANT_FLOW: Final = "tre direct grant"
ADMIN_GROUP: Final = "tre-admins"
"""Platform administrators (JupyterHub's ``admin_groups``, Argo CD's admin group)."""
RESEARCHERS_GROUP: Final = "researchers"
"""Everyone who may sign in to JupyterHub at all (its ``allowed_groups``)."""
GROUPS_CLAIM: Final = "groups"
REALM_FILE: Final = "k8tre-realm.json"
REALM_LABEL: Final = "k8tre.io/realm"
"""Label on the ConfigMap holding the realm file: how the ``mfa-required`` rule finds it in a render."""


@dataclass(frozen=True)
class OidcClient:
    """A confidential OIDC client of the realm, its secret delivered from the generated store entry."""

    client_id: str
    """The client id the application presents."""
    app: str
    """Its host label: the application is published at ``<app>.<domain>``."""
    callback: str
    """Its redirect (callback) path, exact: no wildcard."""
    secret_name: str
    """The Kubernetes Secret holding its client secret under ``client-secret`` (Keycloak's and the application's copy)."""

    @property
    def env(self) -> str:
        """The environment variable Keycloak resolves the client's secret placeholder from."""
        return f"K8TRE_CLIENT_{self.client_id.upper().replace('-', '_')}_SECRET"


CLIENT_SECRET_KEY: Final = "client-secret"  # noqa: S105 - a key's name in a Secret
CLIENTS: Final = (
    # z2jh / OAuthenticator: the callback is <hub>/hub/oauth_callback (jupyterhub.py, oauth_callback_url).
    OidcClient("jupyterhub", "jupyter", "/hub/oauth_callback", "jupyterhub-oauth"),
    # Argo CD docs, "User Management", "Existing OIDC Provider": the callback is https://<argocd>/auth/callback.
    OidcClient("argocd", "argocd", "/auth/callback", "argocd-keycloak-oidc"),
    # Grafana docs, "Configure Keycloak OAuth2 authentication": redirect https://<grafana>/login/generic_oauth.
    OidcClient("grafana", "grafana", "/login/generic_oauth", "grafana-keycloak-oidc"),
)


def placeholder(client: OidcClient) -> str:
    """The placeholder Keycloak replaces with the client's secret at import."""
    return "${" + client.env + "}"


def _client(client: OidcClient, domain: str) -> dict[str, Any]:
    origin = f"https://{client.app}.{domain}"
    return {
        "clientId": client.client_id,
        "name": client.client_id,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": placeholder(client),
        "rootUrl": origin,
        # Exact URIs only: a wildcard would let a look-alike path on the host receive the authorisation code.
        "redirectUris": [f"{origin}{client.callback}"],
        "webOrigins": [origin],
        "attributes": {"post.logout.redirect.uris": f"{origin}/"},
        "standardFlowEnabled": True,
        # The password grant signs in with a password alone, outside the browser flow and its OTP step.
        "directAccessGrantsEnabled": False,
        "implicitFlowEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": True,
        "fullScopeAllowed": False,
        "protocolMappers": [
            {
                "name": "groups",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-group-membership-mapper",
                "consentRequired": False,
                "config": {
                    "full.path": "false",
                    "claim.name": GROUPS_CLAIM,
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                },
            }
        ],
    }


def _execution(authenticator: str, requirement: str, priority: int) -> dict[str, Any]:
    return {
        "authenticator": authenticator,
        "authenticatorFlow": False,
        "requirement": requirement,
        "priority": priority,
        "userSetupAllowed": False,
    }


def _flows() -> list[dict[str, Any]]:
    """The browser flow: a session cookie, or the username and password form AND the OTP form.

    Unlike Keycloak's built-in browser flow there is no conditional OTP subflow (it asks for OTP only of
    users who already configured it) and no identity-provider redirector (a brokered sign-in would skip
    the OTP form). A user without OTP meets the required OTP form and is made to configure it first.
    """
    return [
        {
            "alias": BROWSER_FLOW,
            "description": "Session cookie, or password and OTP: no path without a second factor",
            "providerId": "basic-flow",
            "topLevel": True,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("auth-cookie", "ALTERNATIVE", 10),
                {
                    "flowAlias": FORMS_FLOW,
                    "authenticatorFlow": True,
                    "requirement": "ALTERNATIVE",
                    "priority": 20,
                    "userSetupAllowed": False,
                },
            ],
        },
        {
            # Keycloak creates clients of its own in every imported realm (admin-cli among them, a public client
            # with the password grant on), so the realm's password grant must demand OTP too, not only the file's
            # clients. A user without OTP configured cannot use it at all: the grant cannot enrol a factor.
            "alias": DIRECT_GRANT_FLOW,
            "description": "Password grant: username, password and OTP, all required",
            "providerId": "basic-flow",
            "topLevel": True,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("direct-grant-validate-username", "REQUIRED", 10),
                _execution("direct-grant-validate-password", "REQUIRED", 20),
                _execution("direct-grant-validate-otp", "REQUIRED", 30),
            ],
        },
        {
            "alias": FORMS_FLOW,
            "description": "Username and password, then OTP: both required",
            "providerId": "basic-flow",
            "topLevel": False,
            "builtIn": False,
            "authenticationExecutions": [
                _execution("auth-username-password-form", "REQUIRED", 10),
                _execution("auth-otp-form", "REQUIRED", 20),
            ],
        },
    ]


def realm(settings: KeycloakRealmSettings, domain: str, project_groups: Sequence[str]) -> dict[str, Any]:
    """The realm representation (Keycloak Admin REST API, ``RealmRepresentation``) the server imports."""
    groups = sorted({ADMIN_GROUP, RESEARCHERS_GROUP, *project_groups})
    return {
        "realm": REALM,
        "enabled": True,
        "displayName": "K8TRE",
        # Every request over HTTPS: the Gateway terminates TLS and says so in X-Forwarded-Proto.
        "sslRequired": "all",
        # Accounts are created by administrators only (SATRE 3.2.01: known, approved users).
        "registrationAllowed": False,
        "resetPasswordAllowed": False,
        "editUsernameAllowed": False,
        "rememberMe": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "ssoSessionIdleTimeout": settings.sso_session_idle_timeout,
        "ssoSessionMaxLifespan": settings.sso_session_max_lifespan,
        "accessTokenLifespan": settings.access_token_lifespan,
        "offlineSessionIdleTimeout": settings.sso_session_max_lifespan,
        # Temporary lockout with growing waits, not permanent: an attacker cannot lock a researcher out for good.
        "bruteForceProtected": True,
        "permanentLockout": False,
        "failureFactor": settings.brute_force_failures,
        "waitIncrementSeconds": 60,
        "maxFailureWaitSeconds": 900,
        "maxDeltaTimeSeconds": 43200,
        "minimumQuickLoginWaitSeconds": 60,
        "quickLoginCheckMilliSeconds": 1000,
        # Keycloak password policy syntax (server admin guide, "Password policies").
        "passwordPolicy": (
            f"length({settings.password_min_length}) and maxLength(128) and notUsername and notEmail and passwordHistory(5)"
        ),
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyPeriod": 30,
        "requiredActions": [
            {
                "alias": "CONFIGURE_TOTP",
                "name": "Configure OTP",
                "providerId": "CONFIGURE_TOTP",
                "enabled": True,
                # A default action is given to every new user: nobody starts without setting up OTP.
                "defaultAction": True,
                "priority": 10,
                "config": {},
            },
            {
                "alias": "UPDATE_PASSWORD",
                "name": "Update Password",
                "providerId": "UPDATE_PASSWORD",
                "enabled": True,
                "defaultAction": False,
                "priority": 20,
                "config": {},
            },
        ],
        "browserFlow": BROWSER_FLOW,
        "directGrantFlow": DIRECT_GRANT_FLOW,
        "authenticationFlows": _flows(),
        "groups": [{"name": group, "path": f"/{group}"} for group in groups],
        "clients": [_client(client, domain) for client in CLIENTS],
        "eventsEnabled": True,
        "adminEventsEnabled": True,
        "adminEventsDetailsEnabled": True,
    }


def realm_file(settings: KeycloakRealmSettings, domain: str, project_groups: Sequence[str]) -> str:
    """The realm as the JSON file Keycloak reads."""
    return json.dumps(realm(settings, domain, project_groups), indent=2, sort_keys=True)
