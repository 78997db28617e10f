"""References to Pulumi secrets held in the stack file.

The model never holds a secret's plaintext: a :class:`SecretRef` names the
top-level ``k8tre:`` key that holds a ``secure:`` value, and :meth:`SecretRef.output`
asks Pulumi for it as a secret ``Output`` only when a resource needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .base import K8treModel


@dataclass(frozen=True)
class SecretRef:
    """A named ``k8tre:`` config key whose value is a Pulumi secret."""

    key: str
    """The config key without its namespace, e.g. ``sshPrivateKey``."""

    def output(self) -> pulumi.Output[str]:
        """The secret's value as a secret Output (decrypted by Pulumi, never logged)."""
        return pulumi.Config("k8tre").require_secret(self.key)

    def __repr__(self) -> str:
        return f"SecretRef(k8tre:{self.key})"


class Secrets(K8treModel):
    """The secrets a stack may hold, each a top-level ``secure:`` key of the stack file."""

    ssh_private_key: SecretRef | None = None
    """SSH private key that reaches the K3s machines (``k8tre:sshPrivateKey``)."""
    argocd_oidc_client_secret: SecretRef | None = None
    """Argo CD's OIDC client secret (``k8tre:argocdOidcClientSecret``), for ``agnostics.argocd.sso``."""
    rfc2136_tsig_secret: SecretRef | None = None
    """Base64 secret of the TSIG key for ``cluster.rfc2136`` (``k8tre:rfc2136TsigSecret``)."""
    etcd_s3_access_key: SecretRef | None = None
    """Access key of ``cluster.etcdSnapshots.s3`` (``k8tre:etcdS3AccessKey``), K3s."""
    etcd_s3_secret_key: SecretRef | None = None
    """Secret key of ``cluster.etcdSnapshots.s3`` (``k8tre:etcdS3SecretKey``), K3s."""
    alerting_default_secret: SecretRef | None = None
    """The default alert receiver's webhook URL or SMTP password (``k8tre:alertingDefaultSecret``)."""
    alerting_critical_secret: SecretRef | None = None
    """The critical alert receiver's webhook URL or SMTP password (``k8tre:alertingCriticalSecret``)."""

    model_config = {"arbitrary_types_allowed": True}


SECRET_KEYS: frozenset[str] = frozenset(field.alias or name for name, field in Secrets.model_fields.items())
"""Top-level config keys that must be ``secure:`` values."""
