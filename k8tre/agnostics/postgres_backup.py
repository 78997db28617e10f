"""Where a Postgres cluster's backups go and how it proves who it is there: the typed backup target.

Another helper's object-storage facts (a bucket per cloud, SeaweedFS on K3s) fill this in; the Postgres
helper turns it into a Barman Cloud ``ObjectStore`` and the egress its instances need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pulumi

POD_IDENTITY_AGENT = "169.254.170.23/32"
"""The EKS Pod Identity agent's link-local address, where pods fetch their role's credentials (EKS docs,
"EKS Pod Identity agent"; port 80)."""


@dataclass(frozen=True)
class AzureWorkloadIdentity:
    """Azure Blob through workload identity: the instances' service account federated to a managed identity."""

    client_id: pulumi.Input[str]
    """The managed identity's client id (annotated on the service account CloudNativePG creates)."""


@dataclass(frozen=True)
class AwsPodIdentity:
    """S3 through EKS Pod Identity: an association for the cluster's service account (named like the cluster)."""


@dataclass(frozen=True)
class S3CredentialsSecret:
    """An S3-compatible store (SeaweedFS) with keys in a Secret the platform delivers (external-secrets)."""

    secret_name: str
    """The Secret in the database's namespace."""
    access_key_id_key: str = "ACCESS_KEY_ID"
    """Its key holding the access key id."""
    secret_access_key_key: str = "ACCESS_SECRET_KEY"  # noqa: S105 - the key's name in the Secret
    """Its key holding the secret access key."""


BackupAuth = AzureWorkloadIdentity | AwsPodIdentity | S3CredentialsSecret


@dataclass(frozen=True)
class BackupTarget:
    """An object-storage prefix for base backups and WAL, and how the instances authenticate to it."""

    destination_path: str
    """``s3://bucket/prefix`` or ``https://<account>.blob.core.windows.net/<container>/<prefix>``."""
    auth: BackupAuth
    """How the instances prove who they are to the store."""
    endpoint_url: str | None = None
    """The S3 endpoint of a store that is not AWS S3 (SeaweedFS's S3 gateway)."""
    egress_fqdns: tuple[str, ...] = field(default=())
    """Further names the instances must reach for this store (token endpoints); the store's own host is derived."""
    egress_rules: tuple[Mapping[str, Any], ...] = field(default=())
    """Cilium egress rules for a store inside the cluster (SeaweedFS): a name policy cannot follow a Service to its
    pods, so the object-storage facts name the store's pods instead."""

    def __post_init__(self) -> None:
        scheme = urlparse(self.destination_path).scheme
        if scheme not in ("s3", "https"):
            raise ValueError(f"backup destination {self.destination_path!r}: expected s3://bucket/... or https://<blob>/...")
        if isinstance(self.auth, AzureWorkloadIdentity) != (scheme == "https"):
            raise ValueError(f"backup destination {self.destination_path!r} does not match its authentication {self.auth!r}")

    def store_hosts(self, region: str = "") -> tuple[str, ...]:
        """The hosts the instances upload to: the endpoint, the blob account, or the bucket's S3 names."""
        if self.endpoint_url:
            return (urlparse(self.endpoint_url).hostname or "",)
        parsed = urlparse(self.destination_path)
        if parsed.scheme == "https":
            return (parsed.hostname or "",)
        suffix = f".s3.{region}.amazonaws.com" if region else ".s3.amazonaws.com"
        return (f"{parsed.hostname}{suffix}", f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com")

    def store_port(self) -> int:
        """The port uploads go to: the endpoint's own, else HTTPS."""
        return (urlparse(self.endpoint_url).port if self.endpoint_url else None) or 443

    def credentials(self) -> dict[str, Any]:
        """The ObjectStore's credential block (barmancloud.cnpg.io/v1 ObjectStore, ``configuration``)."""
        match self.auth:
            case AzureWorkloadIdentity():
                return {"azureCredentials": {"inheritFromAzureAD": True}}
            case AwsPodIdentity():
                return {"s3Credentials": {"inheritFromIAMRole": True}}
            case S3CredentialsSecret() as keys:
                return {
                    "s3Credentials": {
                        "accessKeyId": {"name": keys.secret_name, "key": keys.access_key_id_key},
                        "secretAccessKey": {"name": keys.secret_name, "key": keys.secret_access_key_key},
                    }
                }

    def encryption(self) -> str | None:
        """Server-side encryption barman asks S3 for (``AES256``); Azure Blob always encrypts and takes no option."""
        return "AES256" if isinstance(self.auth, AwsPodIdentity) else None

    def identity_egress(self) -> list[dict[str, Any]]:
        """Egress the store and its authentication need beyond names: in-cluster stores, the Pod Identity agent."""
        rules = [dict(rule) for rule in self.egress_rules]
        if isinstance(self.auth, AwsPodIdentity):
            rules.append({"toCIDR": [POD_IDENTITY_AGENT], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]})
        return rules
