"""What every mock shares: the offline account, stable identifiers, kubeconfig documents.

Identifiers a cloud generates (GUIDs, hex ids, certificates) cannot be derived from inputs;
they are derived from the resource's own identity (its name, its ARM id) so a render is the
same every time, and they are never asserted on by a test (only their relation to inputs is).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import yaml

SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
"""The offline deployer's Azure subscription (the same one getClientConfig answers)."""
TENANT = "11111111-1111-4111-8111-111111111111"
"""The offline deployer's Entra ID tenant."""
AWS_ACCOUNT = "123456789012"
"""The offline deployer's AWS account (the account AWS uses in its own documentation)."""
CA_DATA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBofflineCA\n-----END CERTIFICATE-----\n").decode()
"""A cluster CA in the base64 PEM form kubeconfigs carry (not a parseable certificate)."""

Outputs = dict[str, Any]


class MockMissing(NotImplementedError):  # noqa: N818 - reads as what happened: the mock is missing
    """The program used a resource type or function the offline engine does not model."""


def stable_hex(seed: str, length: int = 16) -> str:
    """Hex digits derived from ``seed``: what a cloud would generate, stable across renders."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def stable_uuid(seed: str) -> str:
    """A version-4-shaped GUID derived from ``seed``."""
    h = stable_hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def autoname(logical: str) -> str:
    """Pulumi's default physical name: the logical name and a random suffix of 7 hex digits.

    https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming
    """
    return f"{logical}-{stable_hex(logical, 7)}"


def kubeconfig_document(cluster: str, server: str, user_name: str, user: dict[str, Any], context: str | None = None) -> str:
    """A kubeconfig (``kind: Config``, v1) with one cluster, user and context, as clouds return it."""
    context = context or cluster
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "clusters": [{"cluster": {"certificate-authority-data": CA_DATA, "server": server}, "name": cluster}],
            "contexts": [{"context": {"cluster": cluster, "user": user_name}, "name": context}],
            "current-context": context,
            "kind": "Config",
            "preferences": {},
            "users": [{"name": user_name, "user": user}],
        },
        sort_keys=False,
    )
