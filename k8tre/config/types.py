"""Small reusable annotated types for the stack configuration.

Each type carries its own validation so a model field reads as what it means
(``Cidr``, ``DnsName``) and the error names the offending value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

Environment = Literal["dev", "stg", "prod"]
"""The promotion stages of a K8TRE: changes move dev -> stg -> prod."""

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^1\.(2[5-9]|3[0-9])(\.[0-9]+)?$")
_CHART_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$")
_AZURE_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR block with its host bits zero ({exc})") from None
    return str(network)


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(f"{value!r} is not a DNS label (lower-case letters, digits and '-', 1-63 characters)")
    return value


def _dns_name(value: str) -> str:
    labels = value.rstrip(".").split(".")
    if len(labels) < 2 or len(value) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a fully qualified lower-case DNS name")
    return value.rstrip(".")


def _fqdn_pattern(value: str) -> str:
    name = value.removeprefix("*.")
    if "://" in value or "/" in value or not name or "*" in name:
        raise ValueError(f"{value!r} is not a host name: give a name like 'pypi.org' or '*.example.org', no scheme or path")
    _dns_name(name)
    return value


def _k8s_version(value: str) -> str:
    if not _K8S_VERSION.match(value):
        raise ValueError(f"{value!r} is not a supported Kubernetes version (1.25 to 1.39, e.g. '1.33')")
    return value


def _chart_version(value: str) -> str:
    if not _CHART_VERSION.match(value):
        raise ValueError(f"{value!r} is not an exact semantic version; ranges are not allowed")
    return value


def _azure_location(value: str) -> str:
    if not _AZURE_LOCATION.match(value):
        raise ValueError(f"{value!r} is not an Azure location name such as 'uksouth'")
    return value


def _aws_region(value: str) -> str:
    if not _AWS_REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region name such as 'eu-west-2'")
    return value


def _ipv4_address(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address such as '10.1.0.4'") from None


def _host(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return _dns_name(value) if "." in value else _dns_label(value)
    return value


# The key types OpenSSH servers offer as host keys (sshd(8), HostKey); DSA is refused by
# OpenSSH since 9.8 and is not accepted here either.
_HOST_KEY_TYPES = frozenset({"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"})


def _ssh_host_key(value: str) -> str:
    # pulumi-command parses this with golang.org/x/crypto/ssh ParseAuthorizedKey: "<type> <base64 blob> [comment]".
    # The blob starts with its own length-prefixed type name (RFC 4253, section 6.6), which must agree.
    parts = value.split()
    hint = "give one line of `ssh-keyscan -t ed25519 <address>` without the address, e.g. 'ssh-ed25519 AAAAC3Nza...'"
    if len(parts) < 2 or parts[0] not in _HOST_KEY_TYPES:
        raise ValueError(f"{value!r} is not an SSH public host key: {hint}")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{value!r} is not an SSH public host key: its key data is not base64") from None
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4 : 4 + length].decode("ascii", "replace") != parts[0]:
        raise ValueError(f"{value!r} is not an SSH public host key: its key data is not a {parts[0]} key") from None
    return f"{parts[0]} {parts[1]}"


Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 or IPv6 network in CIDR notation with no host bits set."""

DnsLabel = Annotated[str, AfterValidator(_dns_label)]
"""One RFC 1123 label: used for names that become Kubernetes or cloud names."""

DnsName = Annotated[str, AfterValidator(_dns_name)]
"""A fully qualified DNS name such as ``dev.tre.example.ac.uk``."""

Fqdn = Annotated[str, AfterValidator(_fqdn_pattern)]
"""An internet host name, optionally with a leading ``*.`` wildcard label."""

KubernetesVersion = Annotated[str, AfterValidator(_k8s_version)]
"""A Kubernetes minor (``1.33``) or patch (``1.33.4``) version."""

ChartVersion = Annotated[str, AfterValidator(_chart_version)]
"""An exact chart or image version: pinned, never a range."""

AzureLocation = Annotated[str, AfterValidator(_azure_location)]
"""An Azure region name, e.g. ``uksouth``."""

AwsRegion = Annotated[str, AfterValidator(_aws_region)]
"""An AWS region name, e.g. ``eu-west-2``."""

Ipv4Address = Annotated[str, AfterValidator(_ipv4_address)]
"""One IPv4 address, each part 0-255 (``999.10.0.4`` is refused)."""

Host = Annotated[str, AfterValidator(_host)]
"""An IP address or DNS name of a machine."""

SshHostKey = Annotated[str, AfterValidator(_ssh_host_key)]
"""A machine's SSH public host key, ``<type> <base64>``, as ``ssh-keyscan`` prints it."""

Port = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port."""
