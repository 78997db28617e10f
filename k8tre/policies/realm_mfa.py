"""Whether a Keycloak realm lets anyone sign in without a second factor: judged on the realm's flows.

Keycloak's flow semantics (server admin guide, "Authentication flows", "Execution requirements"): in a
flow, REQUIRED executions must all succeed; ALTERNATIVE ones are ignored as soon as the flow has any
REQUIRED or CONDITIONAL execution, else one successful ALTERNATIVE suffices; a CONDITIONAL subflow runs
only when its conditions hold; DISABLED executions do not run. A flow therefore guarantees a second
factor when a REQUIRED execution is an OTP or WebAuthn authenticator (or a subflow that guarantees one),
or, with only alternatives, when every alternative does. A session cookie is the one alternative that
needs no factor of its own: it is issued only by a completed sign-in through the realm's flows, and the
same check holds every flow a client may bind instead of the browser flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECOND_FACTORS = frozenset({"auth-otp-form", "webauthn-authenticator", "direct-grant-validate-otp"})
"""Authenticators that check something the user has (Keycloak's OTP form, WebAuthn as a second factor, and the
password grant's OTP check)."""
SESSION_COOKIE = "auth-cookie"
SETUP_ACTIONS = frozenset({"CONFIGURE_TOTP", "webauthn-register"})
"""Required actions that make a user enrol a second factor."""


def _flows(realm: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    flows: dict[str, Mapping[str, Any]] = {}
    for flow in realm.get("authenticationFlows") or []:
        for key in ("alias", "id"):
            if flow.get(key):
                flows[str(flow[key])] = flow
    return flows


def _guarantees(execution: Mapping[str, Any], flows: Mapping[str, Mapping[str, Any]], seen: frozenset[str]) -> bool:
    if execution.get("authenticatorFlow"):
        return guarantees_second_factor(str(execution.get("flowAlias") or ""), flows, seen)
    return execution.get("authenticator") in SECOND_FACTORS


def guarantees_second_factor(alias: str, flows: Mapping[str, Mapping[str, Any]], seen: frozenset[str] = frozenset()) -> bool:
    """Whether every successful path through the flow ``alias`` passes a second factor."""
    flow = flows.get(alias)
    if flow is None or alias in seen:
        return False
    seen = seen | {alias}
    live = [e for e in flow.get("authenticationExecutions") or [] if e.get("requirement") != "DISABLED"]
    required = [e for e in live if e.get("requirement") == "REQUIRED"]
    if required or any(e.get("requirement") == "CONDITIONAL" for e in live):
        return any(_guarantees(e, flows, seen) for e in required)
    alternatives = [e for e in live if e.get("authenticator") != SESSION_COOKIE or e.get("authenticatorFlow")]
    return bool(alternatives) and all(_guarantees(e, flows, seen) for e in alternatives)


def mfa_gaps(realm: Mapping[str, Any]) -> list[str]:
    """Every way the realm lets a user in without a second factor (empty: none found)."""
    gaps: list[str] = []
    name = realm.get("realm", "?")
    actions = realm.get("requiredActions") or []
    if not any(a.get("alias") in SETUP_ACTIONS and a.get("enabled") and a.get("defaultAction") for a in actions):
        gaps.append(f"realm {name}: configuring OTP (or WebAuthn) is not a default required action of new users")
    flows = _flows(realm)
    browser = str(realm.get("browserFlow") or "browser")
    if not guarantees_second_factor(browser, flows):
        gaps.append(f"realm {name}: browser flow {browser!r} has a path that skips OTP (or is not defined in the realm)")
    # Keycloak adds clients of its own to every realm (admin-cli: public, password grant on), which no file lists:
    # the realm's password grant must demand a second factor whatever the file's clients say.
    direct = str(realm.get("directGrantFlow") or "direct grant")
    if not guarantees_second_factor(direct, flows):
        gaps.append(f"realm {name}: the password grant (flow {direct!r}) skips OTP, and Keycloak's admin-cli client uses it")
    for client in realm.get("clients") or []:
        client_id = client.get("clientId", "?")
        for binding, override in (client.get("authenticationFlowBindingOverrides") or {}).items():
            if override and not guarantees_second_factor(str(override), flows):
                gaps.append(f"realm {name}: client {client_id} binds its {binding} flow to {override!r}, which skips OTP")
    for provider in realm.get("identityProviders") or []:
        if provider.get("enabled", True) and not guarantees_second_factor(
            str(provider.get("postBrokerLoginFlowAlias") or ""), flows
        ):
            gaps.append(f"realm {name}: identity provider {provider.get('alias')} signs users in without OTP")
    return gaps
