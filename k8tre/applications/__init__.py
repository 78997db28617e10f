"""Application layer: user-facing services delivered as Argo CD Applications."""

from .layer import ApplicationLayer

__all__ = ["ApplicationLayer"]
