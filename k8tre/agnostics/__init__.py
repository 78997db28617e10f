"""Agnostics layer: platform services installed identically on every cloud."""

from .layer import AgnosticsLayer
from .platform import Platform

__all__ = ["AgnosticsLayer", "Platform"]
