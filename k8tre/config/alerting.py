"""Where Alertmanager sends alerts: receivers by severity, each credential a Pulumi secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .base import K8treModel
from .types import Fqdn, Port

if TYPE_CHECKING:
    from .model import K8treConfig

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AlertReceiver(K8treModel):
    """One notification channel. Its URL (or SMTP password) is the stack secret named in :class:`AlertingSettings`."""

    kind: Literal["webhook", "slack", "msteams", "email"]
    """``webhook`` (any HTTPS endpoint: an on-call or incident tool), ``slack`` (an incoming webhook), ``msteams`` (a
    Teams Workflows webhook; Microsoft retired the Office 365 connectors) or ``email`` (SMTP with STARTTLS)."""
    host: Fqdn
    """The host Alertmanager connects to: the webhook URL's host, or the SMTP server. Alertmanager's network policy
    allows this host alone, so a secret URL pointing anywhere else fails closed. On Azure, add it to
    ``cluster.egressAllowlist`` too (the preflight rule ``azure-firewall-allows-policy-fqdns`` checks it)."""
    port: Port = 443
    """The port on ``host``: 443 for the web kinds; for email the submission port (587, STARTTLS required)."""
    email_to: Annotated[str, Field(pattern=_EMAIL)] | None = None
    """``email`` only: the address alerts go to (an operators' list)."""
    email_from: Annotated[str, Field(pattern=_EMAIL)] | None = None
    """``email`` only: the sender address."""
    smtp_username: Annotated[str, Field(min_length=1)] | None = None
    """``email`` only: the SMTP account; its password is the receiver's secret."""


class AlertingSettings(K8treModel):
    """Alert routing by severity: ``critical`` alerts to ``critical`` (else ``default``), the rest to ``default``."""

    default: AlertReceiver | None = None
    """Receives every alert no other route takes (warnings, and critical ones without a ``critical`` receiver); its
    credential is ``k8tre:alertingDefaultSecret``. Required outside dev: an Alertmanager that tells nobody is silence."""
    critical: AlertReceiver | None = None
    """Receives ``severity: critical`` alerts (e.g. the on-call pager); its credential is ``k8tre:alertingCriticalSecret``."""
    group_wait: Annotated[str, Field(pattern=r"^[0-9]+[smh]$")] = "30s"
    """How long Alertmanager gathers alerts of one group before the first notification."""
    repeat_interval: Annotated[str, Field(pattern=r"^[0-9]+[mh]$")] = "4h"
    """How often a still-firing alert is sent again."""


def alerting_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    """Cross-field rules: a receiver outside dev, each receiver with its secret and no secret without one, email fields."""
    alerting = config.agnostics.alerting
    secrets = {"default": config.secrets.alerting_default_secret, "critical": config.secrets.alerting_critical_secret}
    if alerting.default is None and config.environment != "dev":
        yield "agnostics.alerting.default", "is required outside dev: without a receiver, alerts reach nobody"
    if alerting.critical is not None and alerting.default is None:
        yield "agnostics.alerting.default", "is required with agnostics.alerting.critical (warnings need somewhere to go)"
    for role, receiver in (("default", alerting.default), ("critical", alerting.critical)):
        key = f"alerting{role.capitalize()}Secret"
        if receiver is not None and secrets[role] is None:
            yield key, f"is required with agnostics.alerting.{role}: set it with `pulumi config set --secret k8tre:{key}`"
        if receiver is None and secrets[role] is not None:
            yield key, f"is set, but agnostics.alerting.{role} is not: configure the receiver or remove the secret"
        if receiver is None:
            continue
        email = ("emailTo", receiver.email_to), ("emailFrom", receiver.email_from), ("smtpUsername", receiver.smtp_username)
        for field, value in email:
            if receiver.kind == "email" and value is None:
                yield f"agnostics.alerting.{role}.{field}", "is required for an email receiver"
            if receiver.kind != "email" and value is not None:
                yield f"agnostics.alerting.{role}.{field}", f"applies to email receivers only, not {receiver.kind!r}"
