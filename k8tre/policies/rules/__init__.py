"""The rule set; importing this package registers every rule in :data:`k8tre.policies.registry.RULES`."""

from . import access, argocd, encryption, isolation, resilience, secrets, supply_chain

__all__ = ["access", "argocd", "encryption", "isolation", "resilience", "secrets", "supply_chain"]
