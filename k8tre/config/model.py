"""The root of the stack configuration and its cross-field rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Self

from pydantic import model_validator

from ..versions import K3S_DEFAULT_VERSION
from .azure import AzureClusterConfig, CreatedHub
from .base import K8treModel
from .cluster import AwsClusterConfig, ClusterConfig, K3sClusterConfig
from .layers import AgnosticsConfig, ApplicationsConfig, VersionOverrides
from .secrets import Secrets
from .types import DnsLabel, DnsName, Environment


class ConfigRuleError(ValueError):
    """Cross-field rule failures, each as (dotted key path, message)."""

    def __init__(self, issues: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in issues))
        self.issues = issues


class K8treConfig(K8treModel):
    """Everything a stack file says about one K8TRE environment."""

    environment: Environment
    """Promotion stage: dev, stg or prod."""
    name: DnsLabel = "k8tre"
    """Short name used as the prefix of cloud resource names."""
    domain: DnsName
    """DNS domain the environment's services are published under."""
    cluster: ClusterConfig
    """The Kubernetes cluster and its cloud."""
    agnostics: AgnosticsConfig = AgnosticsConfig()
    """Platform services."""
    applications: ApplicationsConfig = ApplicationsConfig()
    """User-facing services."""
    versions: VersionOverrides = VersionOverrides()
    """Chart version overrides."""
    secrets: Secrets = Secrets()
    """Secret config keys (top-level ``secure:`` values)."""

    @property
    def is_prod(self) -> bool:
        """Production gets the strict defaults: HA, encryption, protection."""
        return self.environment == "prod"

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        issues = list(_rule_issues(self))
        if issues:
            raise ConfigRuleError(issues)
        return self


def _networks(config: K8treConfig) -> Iterator[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    cluster = config.cluster
    for i, cidr in enumerate(cluster.network.pod_cidrs):
        yield f"cluster.network.podCidrs[{i}]", ipaddress.ip_network(cidr)
    yield "cluster.network.serviceCidr", ipaddress.ip_network(cluster.network.service_cidr)
    match cluster:
        case AzureClusterConfig():
            yield "cluster.vnetCidr", ipaddress.ip_network(cluster.vnet_cidr)
            if isinstance(cluster.hub, CreatedHub):
                yield "cluster.hub.vnetCidr", ipaddress.ip_network(cluster.hub.vnet_cidr)
        case AwsClusterConfig():
            yield "cluster.vpcCidr", ipaddress.ip_network(cluster.vpc_cidr)
        case K3sClusterConfig():
            yield "cluster.nodeCidr", ipaddress.ip_network(cluster.node_cidr)


def _rule_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    nets = list(_networks(config))
    for i, (path_a, net_a) in enumerate(nets):
        for path_b, net_b in nets[i + 1 :]:
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                yield path_a, f"{net_a} overlaps k8tre:{path_b} ({net_b}); pod, service and node ranges must be disjoint"
    cluster = config.cluster
    for i, cidr in enumerate(cluster.network.pod_cidrs):
        if ipaddress.ip_network(cidr).version != 4:
            yield f"cluster.network.podCidrs[{i}]", f"{cidr} is IPv6; Cilium cluster-pool IPAM is configured for IPv4 ranges here"
    if cluster.cilium.encryption == "none" and config.is_prod:
        yield "cluster.cilium.encryption", "must not be 'none' in prod: traffic between nodes is encrypted (SATRE 2.8.03)"
    match cluster:
        case AzureClusterConfig():
            yield from _azure_issues(cluster, config.is_prod)
        case AwsClusterConfig():
            yield from _aws_issues(cluster, config.is_prod)
        case K3sClusterConfig():
            yield from _k3s_issues(config, cluster)
    agn = config.agnostics.cert_manager
    if agn.issuer != "selfsigned" and agn.acme_email is None:
        yield "agnostics.certManager.acmeEmail", f"is required when agnostics.certManager.issuer is {agn.issuer!r}"
    if config.is_prod and agn.issuer == "selfsigned":
        yield "agnostics.certManager.issuer", "must be an ACME issuer in prod, not 'selfsigned'"
    names = [project.name for project in config.applications.projects]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield f"applications.projects[{i}].name", f"{name!r} is used by more than one project"
    if config.applications.jupyterhub.singleuser_tag == "latest":
        yield "applications.jupyterhub.singleuserTag", "must be a pinned tag, not 'latest'"


def _azure_issues(cluster: AzureClusterConfig, prod: bool) -> Iterator[tuple[str, str]]:
    vnet = ipaddress.ip_network(cluster.vnet_cidr)
    subnets = {
        "nodeSubnetCidr": ipaddress.ip_network(cluster.node_subnet_cidr),
        "ingressSubnetCidr": ipaddress.ip_network(cluster.ingress_subnet_cidr),
        "endpointsSubnetCidr": ipaddress.ip_network(cluster.endpoints_subnet_cidr),
    }
    keys = list(subnets)
    for i, key in enumerate(keys):
        if not subnets[key].subnet_of(vnet):  # type: ignore[arg-type]
            yield f"cluster.{key}", f"{subnets[key]} is not inside k8tre:cluster.vnetCidr ({vnet})"
        for other in keys[i + 1 :]:
            if subnets[key].overlaps(subnets[other]):
                yield f"cluster.{other}", f"{subnets[other]} overlaps k8tre:cluster.{key} ({subnets[key]})"
    if isinstance(cluster.hub, CreatedHub):
        firewall = ipaddress.ip_network(cluster.hub.firewall_subnet_cidr)
        if not firewall.subnet_of(ipaddress.ip_network(cluster.hub.vnet_cidr)) or firewall.prefixlen > 26:  # type: ignore[arg-type]
            yield (
                "cluster.hub.firewallSubnetCidr",
                (f"{firewall} must be a /26 or larger inside k8tre:cluster.hub.vnetCidr ({cluster.hub.vnet_cidr})"),
            )
    api = cluster.api_server
    private = api.private if api.private is not None else prod
    if private and api.authorized_ip_ranges:
        yield "cluster.apiServer.authorizedIpRanges", "applies only to a public API server; k8tre:cluster.apiServer.private is on"
    if prod and not private:
        yield "cluster.apiServer.private", "must be true in prod: the Kubernetes API is never public there (SATRE 2.2.09)"
    if not any(pool.mode == "System" for pool in cluster.node_pools):
        yield "cluster.nodePools", "needs at least one pool with mode 'System'"
    names = [pool.name for pool in cluster.node_pools]
    for i, pool in enumerate(cluster.node_pools):
        where = f"cluster.nodePools[{i}]"
        if names.index(pool.name) != i:
            yield f"{where}.name", f"{pool.name!r} is used by more than one pool"
        if pool.max_count is not None and pool.max_count < pool.count:
            yield f"{where}.maxCount", f"{pool.max_count} is less than k8tre:{where}.count ({pool.count})"
        if prod and pool.mode == "System" and pool.count < 3:
            yield f"{where}.count", f"a System pool in prod needs at least 3 nodes, not {pool.count}"


def _aws_issues(cluster: AwsClusterConfig, prod: bool) -> Iterator[tuple[str, str]]:
    for i, group in enumerate(cluster.node_groups):
        where = f"cluster.nodeGroups[{i}]"
        if not group.min_size <= group.desired_size <= group.max_size:
            yield (
                f"{where}.desiredSize",
                (
                    f"{group.desired_size} is not between k8tre:{where}.minSize ({group.min_size}) "
                    f"and k8tre:{where}.maxSize ({group.max_size})"
                ),
            )
        if prod and group.min_size < 2:
            yield f"{where}.minSize", f"a node group in prod needs at least 2 nodes, not {group.min_size}"


def _k3s_issues(config: K8treConfig, cluster: K3sClusterConfig) -> Iterator[tuple[str, str]]:
    servers = len(cluster.servers)
    if servers == 2 or (config.is_prod and servers < 3):
        yield "cluster.servers", (f"has {servers} machines; embedded etcd needs an odd quorum: 1 (dev/stg only) or 3 or more")
    node_net = ipaddress.ip_network(cluster.node_cidr)
    for i, cidr in enumerate(cluster.load_balancer_cidrs):
        if not ipaddress.ip_network(cidr).subnet_of(node_net):  # type: ignore[arg-type]
            yield (
                f"cluster.loadBalancerCidrs[{i}]",
                f"{cidr} is not inside k8tre:cluster.nodeCidr ({node_net}): L2 announcements reach only that network",
            )
    seen: set[str] = set()
    for role, members in (("servers", cluster.servers), ("agents", cluster.agents)):
        for i, host in enumerate(members):
            if host.name in seen:
                yield f"cluster.{role}[{i}].name", f"{host.name!r} names more than one machine"
            seen.add(host.name)
            if host.host_key is None and config.environment != "dev":
                # Without it pulumi-command accepts any host key (InsecureIgnoreHostKey), so whoever answers on
                # the address receives the join token, which K3s's token docs call admin-equivalent.
                yield (
                    f"cluster.{role}[{i}].hostKey",
                    f"is required in {config.environment}: the machine's SSH host key, "
                    f"from `ssh-keyscan -t ed25519 {host.address}`",
                )
            address = _ip(host.address)
            if address is not None and address not in node_net:
                yield f"cluster.{role}[{i}].address", f"{host.address} is outside k8tre:cluster.nodeCidr ({node_net})"
    if cluster.k3s_version is None and not K3S_DEFAULT_VERSION.startswith(
        f"v{'.'.join(cluster.kubernetes_version.split('.')[:2])}."
    ):
        yield (
            "cluster.k3sVersion",
            (
                f"is required: the default K3s release {K3S_DEFAULT_VERSION} is not "
                f"Kubernetes k8tre:cluster.kubernetesVersion ({cluster.kubernetes_version})"
            ),
        )
    if cluster.k3s_version is not None:
        minor = ".".join(cluster.k3s_version.lstrip("v").split("+")[0].split(".")[:2])
        if ".".join(cluster.kubernetes_version.split(".")[:2]) != minor:
            yield (
                "cluster.k3sVersion",
                (f"{cluster.k3s_version} is not Kubernetes k8tre:cluster.kubernetesVersion ({cluster.kubernetes_version})"),
            )
    if config.secrets.ssh_private_key is None:
        yield "sshPrivateKey", "is required for K3s: set it with `pulumi config set --secret k8tre:sshPrivateKey < key`"


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None  # a DNS name: it cannot be checked against the node range offline
