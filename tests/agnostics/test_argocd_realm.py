"""Argo CD signs in through the TRE realm when Keycloak is delivered and no other provider is configured."""

from __future__ import annotations

from typing import Any

from conftest import graph_of, stack_file
from k8tre.agnostics.argocd_realm import argocd_settings, uses_realm
from k8tre.agnostics.argocd_sso import OIDC_SECRET, OIDC_SECRET_KEY, PART_OF_ARGOCD
from k8tre.applications.keycloak_realm import CLIENTS
from k8tre.offline.engine import load


def _argocd_oidc(stack: str) -> list[Any]:
    return [
        r
        for r in graph_of(stack).kubernetes_objects()
        if r.inputs.get("kind") == "ExternalSecret" and r.inputs["metadata"]["name"] == OIDC_SECRET
    ]


def test_dev_defaults_to_the_realm_with_the_generated_secret() -> None:
    (external,) = _argocd_oidc("dev")
    spec = external.inputs["spec"]
    assert spec["target"]["template"]["metadata"]["labels"] == PART_OF_ARGOCD  # Argo CD reads labelled Secrets only
    (data,) = spec["data"]
    assert data["secretKey"] == OIDC_SECRET_KEY and data["remoteRef"]["property"] == "client-secret"
    argocd_client = next(c for c in CLIENTS if c.client_id == "argocd")
    assert argocd_client.secret_name in str(data["remoteRef"]["key"])
    (release,) = [r for r in graph_of("dev").helm_releases() if r["chart"] == "argo-cd"]
    oidc = release["values"]["configs"]["cm"]["oidc.config"]
    assert "issuer: https://keycloak.dev.tre.example.ac.uk/realms/k8tre" in oidc and "clientID: argocd" in oidc


def test_a_configured_provider_is_kept() -> None:
    # stg names Entra ID with its own client secret (a plain Secret from the stack): no realm copy is made.
    assert _argocd_oidc("stg") == []
    assert not uses_realm(load(stack_file("stg")))


def test_no_realm_default_without_keycloak() -> None:
    config = load(stack_file("dev"))
    assert uses_realm(config) and argocd_settings(config).sso is not None
    keycloak = config.applications.keycloak.model_copy(update={"enabled": False})
    off = config.model_copy(update={"applications": config.applications.model_copy(update={"keycloak": keycloak})})
    assert not uses_realm(off) and argocd_settings(off).sso is None
