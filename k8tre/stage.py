"""Facts about the environment being deployed that every layer shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .config import K8treConfig
from .config.types import Environment


@dataclass(frozen=True)
class Stage:
    """Which environment this is, and the defaults that follow from it."""

    environment: Environment
    """dev, stg or prod."""
    prefix: str
    """Short name that prefixes cloud resource names, e.g. ``k8tre``."""
    domain: str
    """DNS domain of the environment."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags put on every cloud resource that takes them."""

    @classmethod
    def from_config(cls, config: K8treConfig) -> Stage:
        """Derive the stage from validated config."""
        return cls(
            environment=config.environment,
            prefix=config.name,
            domain=config.domain,
            tags={"k8tre:environment": config.environment, "k8tre:managed-by": "pulumi"},
        )

    @property
    def is_prod(self) -> bool:
        """Production gets HA, encryption and protected state."""
        return self.environment == "prod"

    @property
    def audit_retention_days(self) -> int:
        """Days security and audit logs are kept (SATRE 2.5.03): a year in prod for incident review."""
        return {"dev": 30, "stg": 90, "prod": 365}[self.environment]

    @property
    def slug(self) -> str:
        """``<prefix>-<environment>``: the base of cloud resource names."""
        return f"{self.prefix}-{self.environment}"

    def stateful(self, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
        """Options for a resource that holds state: protected from deletion in prod.

        ``protect`` makes ``pulumi destroy`` or a replacing change fail until an
        operator deliberately unprotects the resource: an explicit decision.
        """
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=self.is_prod))
