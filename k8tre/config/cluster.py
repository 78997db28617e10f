"""Cluster configuration: one model per cloud, chosen by ``cluster.provider``.

A discriminated union, so a stack file names its cloud once and gets exactly
that cloud's keys; a new cloud is a new model plus one union member.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .azure import AzureClusterConfig
from .base import K8treModel
from .common import ClusterBase
from .k3s_options import K3sEtcdSnapshots, K3sInstall, K3sKubeVip
from .types import AwsRegion, Cidr, DnsLabel, Host, Ipv4Address, Port, SshHostKey


class AwsNodeGroup(K8treModel):
    """An EKS managed node group."""

    name: DnsLabel
    """Node group name."""
    instance_types: tuple[str, ...] = Field(default=("m6i.xlarge",), min_length=1)
    """EC2 instance types."""
    min_size: Annotated[int, Field(ge=0)] = 2
    """Fewest nodes."""
    desired_size: Annotated[int, Field(ge=0)] = 3
    """Nodes at creation."""
    max_size: Annotated[int, Field(ge=1)] = 6
    """Most nodes."""
    disk_size_gib: Annotated[int, Field(ge=20)] = 100
    """Root volume size."""


class AwsClusterConfig(ClusterBase):
    """An EKS cluster in its own VPC."""

    provider: Literal["aws"]
    """Selects AWS."""
    region: AwsRegion
    """AWS region."""
    vpc_cidr: Cidr = "10.20.0.0/16"
    """The environment's VPC range."""
    availability_zones: Annotated[int, Field(ge=2, le=3)] = 3
    """How many zones the VPC and node groups span."""
    node_groups: tuple[AwsNodeGroup, ...] = Field(min_length=1)
    """Managed node groups."""
    pod_networking: Literal["eni"] = "eni"
    """``eni``: pods get VPC addresses (Cilium ENI mode), the only choice on EKS. An overlay (``cluster-pool``) is
    refused: the EKS control plane runs in AWS's VPC and cannot reach overlay pod addresses, so every admission
    webhook and aggregated API served from a pod (cert-manager's, Kyverno's, metrics) would time out
    (preflight rule ``eks-cilium-eni-mode``)."""
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    """EKS support type at the end of standard support: ``STANDARD`` upgrades the cluster automatically; ``EXTENDED``
    keeps the version at six times the cluster-hour price. Always sent: left unset, EKS chooses ``EXTENDED``
    (https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html)."""
    public_api_cidrs: tuple[Cidr, ...] = ()
    """dev/stg: the public addresses (deployers, operators) allowed to the public API endpoint; never 0.0.0.0/0.
    Empty: the endpoint is private. Not allowed in prod, whose endpoint is always private."""
    private_api_cidrs: tuple[Cidr, ...] = ()
    """Private networks (an in-VPC deploy runner's subnet, a peered or VPN network) allowed to the private API endpoint
    on 443 through a security group on the cluster: the deploy path of a private cluster (docs/aws.md)."""
    access_admin_role_arns: tuple[Annotated[str, Field(pattern=r"^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")], ...] = ()
    """IAM roles (CI deployer, break-glass) given cluster admin through EKS access entries, instead of the creator
    alone (``bootstrapClusterCreatorAdminPermissions`` stays on only while this is empty)."""


class K3sHost(K8treModel):
    """An existing machine reached over SSH."""

    name: DnsLabel
    """Node name in Kubernetes."""
    address: Host
    """Address Pulumi connects to over SSH."""
    user: str = "k8tre"
    """SSH user with passwordless sudo."""
    port: Port = 22
    """SSH port."""
    host_key: SshHostKey | None = None
    """The machine's SSH host key; Pulumi refuses to connect to anything else. Required outside dev."""


class K3sAuditLog(K8treModel):
    """Rotation of the API server's audit log on each server's disk.

    The API server keeps at most ``maxBackups`` rotated files of ``maxSizeMib`` each, and deletes files
    older than the environment's retention (kube-apiserver ``--audit-log-max*`` flags), whichever comes
    first: size x count bounds what is really kept, so size it for the cluster's activity or ship the
    log off the host.
    """

    max_size_mib: Annotated[int, Field(ge=1, le=10_000)] = 100
    """Size in MiB at which the log rotates."""
    max_backups: Annotated[int, Field(ge=1, le=1_000)] = 10
    """Rotated files kept."""


_KEY_NAME = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
"""A TSIG key's name: a domain name, one label or more (BIND's ``key "externaldns-key"`` is common)."""


class Rfc2136Server(K8treModel):
    """A DNS server on the site's network that accepts TSIG-signed dynamic updates (RFC 2136), e.g. BIND.

    external-dns publishes the Gateway's routes there, and cert-manager answers ACME DNS-01
    challenges there when the issuer is ACME. The TSIG secret is the stack's
    ``k8tre:rfc2136TsigSecret`` (a ``secure:`` value), never a key of this section.
    """

    server: Ipv4Address
    """The server's IPv4 address: the network policy allows exactly this address, so no name lookup is trusted."""
    port: Port = 53
    """Its DNS port (updates over UDP or TCP; external-dns lists the zone by AXFR over TCP)."""
    tsig_key_name: Annotated[str, Field(pattern=_KEY_NAME, max_length=253)]
    """Name of the TSIG key the server accepts updates signed with (BIND ``key "<name>"``)."""
    tsig_algorithm: Literal["hmac-sha256", "hmac-sha512"] = "hmac-sha256"
    """HMAC algorithm of the key (RFC 8945): those both external-dns and cert-manager's RFC2136 solver accept
    (https://cert-manager.io/docs/configuration/acme/dns01/rfc2136/); MD5 and SHA-1 are not offered."""


class K3sClusterConfig(ClusterBase):
    """K3s installed on existing machines over SSH."""

    provider: Literal["k3s"]
    """Selects K3s."""
    k3s_version: Annotated[str, Field(pattern=r"^v1\.[0-9]+\.[0-9]+\+k3s[0-9]+$")] | None = Field(
        default=None, alias="k3sVersion"
    )
    """K3s release, e.g. ``v1.35.8+k3s1``; must match ``kubernetesVersion``."""
    api_host: Host
    """Address of the Kubernetes API (first server or a virtual IP)."""
    node_cidr: Cidr
    """The machines' own network."""
    load_balancer_cidrs: tuple[Cidr, ...] = Field(min_length=1)
    """Addresses on the machines' network that Cilium announces (L2) for LoadBalancer services."""
    servers: tuple[K3sHost, ...] = Field(min_length=1)
    """Control-plane machines (1, or 3 or more for HA)."""
    agents: tuple[K3sHost, ...] = ()
    """Worker machines."""
    audit_log: K3sAuditLog = K3sAuditLog()
    """How much API server audit log each server keeps on its own disk."""
    rfc2136: Rfc2136Server | None = None
    """The site's DNS server for the environment's domain (external-dns, ACME DNS-01); none: no external-dns and
    HTTP-01 only."""
    install: K3sInstall = K3sInstall()
    """How each machine obtains the pinned K3s release (download or air gap) and the digests it must match."""
    kube_vip: K3sKubeVip | None = None
    """kube-vip announcing ``apiHost`` from the servers; none: ``apiHost`` is a single server (dev) or your own
    load balancer in front of the servers."""
    etcd_snapshots: K3sEtcdSnapshots = K3sEtcdSnapshots()
    """Scheduled etcd snapshots on the servers and, with ``s3``, copied to an object store off the machines."""
    node_interface: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,15}$")] | None = None
    """The machines' interface on ``nodeCidr`` (the same name on every machine, e.g. ``eth0``): Cilium's only
    device, so LoadBalancer addresses are announced there and nowhere else; none: every device with a route."""


ClusterConfig = Annotated[
    AzureClusterConfig | AwsClusterConfig | K3sClusterConfig,
    Field(discriminator="provider"),
]
"""The cluster section: exactly one cloud's model, chosen by ``provider``."""
