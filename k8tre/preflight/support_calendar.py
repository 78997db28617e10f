"""When each Kubernetes minor version stops being supported, per platform: data, with the source of each entry.

Dates are the last day of support (inclusive). Where a page gives only a month,
the date is that month's last day, as Microsoft's calendar says to read it
("Mar 2026 indicates March 31, 2026"). Refresh this table from the sources when a
new minor version appears; the preflight rule refuses a version that is missing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

Platform = Literal["aks", "eks", "k3s"]
"""Where the cluster runs."""

AKS_CALENDAR = (
    "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions#aks-kubernetes-release-calendar-and-upcoming-versions"
)
"""Microsoft's AKS release calendar and LTS table.

Read from MicrosoftDocs/azure-aks-docs, articles/aks/supported-kubernetes-versions.md (August 2026).
"""
AKS_LTS = "https://learn.microsoft.com/azure/aks/long-term-support#enable-long-term-support"
"""LTS needs the Premium tier and the ``AKSLongTermSupport`` support plan."""
EKS_CALENDAR = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar"
"""AWS's EKS release calendar (end of standard and of extended support)."""
UPSTREAM = "https://kubernetes.io/releases/{minor}/"
"""Upstream end of life per minor: K3s publishes patch releases only for the minors upstream maintains."""
UPSTREAM_POLICY = "https://kubernetes.io/releases/patch-releases/#support-period"
"""Upstream's support period for each minor version."""


@dataclass(frozen=True)
class SupportEntry:
    """One minor version on one platform."""

    platform: Platform
    """Where."""
    minor: str
    """Kubernetes minor version, e.g. ``1.35``."""
    end_of_support: datetime.date
    """Last day of standard (community) support."""
    source: str
    """Where the date is published."""
    extended_until: datetime.date | None = None
    """Last day of paid extended support (AKS LTS, EKS extended support), if the platform offers it."""
    extended_requires: str = ""
    """What the cluster must declare to be under extended support (checked by the rule)."""


def _aks(minor: str, end: datetime.date, lts_end: datetime.date) -> SupportEntry:
    return SupportEntry(
        "aks", minor, end, AKS_CALENDAR, lts_end, "sku.tier Premium and supportPlan AKSLongTermSupport (" + AKS_LTS + ")"
    )


def _eks(minor: str, end: datetime.date, extended_end: datetime.date) -> SupportEntry:
    return SupportEntry("eks", minor, end, EKS_CALENDAR, extended_end, "upgradePolicy.supportType EXTENDED")


def _k3s(minor: str, end: datetime.date) -> SupportEntry:
    return SupportEntry("k3s", minor, end, UPSTREAM.format(minor=minor))


_D = datetime.date
CALENDAR: tuple[SupportEntry, ...] = (
    # AKS: "End of life" and "LTS End of life" columns.
    _aks("1.29", _D(2025, 3, 31), _D(2026, 4, 30)),
    _aks("1.30", _D(2025, 8, 22), _D(2026, 7, 31)),
    _aks("1.31", _D(2025, 11, 1), _D(2026, 11, 30)),
    _aks("1.32", _D(2026, 3, 31), _D(2027, 3, 31)),
    _aks("1.33", _D(2026, 7, 31), _D(2027, 7, 31)),
    _aks("1.34", _D(2026, 11, 30), _D(2027, 11, 30)),
    _aks("1.35", _D(2027, 3, 31), _D(2028, 3, 31)),
    _aks("1.36", _D(2027, 6, 30), _D(2028, 6, 30)),
    _aks("1.37", _D(2027, 10, 31), _D(2028, 10, 31)),
    # EKS: "End of standard support" and "End of extended support" columns.
    _eks("1.29", _D(2025, 3, 23), _D(2026, 3, 23)),
    _eks("1.30", _D(2025, 7, 23), _D(2026, 7, 23)),
    _eks("1.31", _D(2025, 11, 26), _D(2026, 11, 26)),
    _eks("1.32", _D(2026, 3, 23), _D(2027, 3, 23)),
    _eks("1.33", _D(2026, 7, 29), _D(2027, 7, 29)),
    _eks("1.34", _D(2026, 12, 2), _D(2027, 12, 2)),
    _eks("1.35", _D(2027, 3, 27), _D(2028, 3, 27)),
    # K3s: upstream Kubernetes "End Of Life Date" of each minor.
    _k3s("1.32", _D(2026, 2, 28)),
    _k3s("1.33", _D(2026, 6, 28)),
    _k3s("1.34", _D(2026, 10, 27)),
    _k3s("1.35", _D(2027, 2, 28)),
    _k3s("1.36", _D(2027, 6, 28)),
)
"""Every known (platform, minor) support window."""


def minor_of(version: str) -> str:
    """``1.35`` from ``1.35``, ``1.35.4``, ``v1.35.9+k3s1``."""
    return ".".join(version.lstrip("v").split("+")[0].split(".")[:2])


def support_entry(platform: Platform, version: str) -> SupportEntry | None:
    """The calendar entry for a version on a platform, or None if the calendar does not know it."""
    minor = minor_of(version)
    return next((e for e in CALENDAR if e.platform == platform and e.minor == minor), None)
