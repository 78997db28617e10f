"""Rules across keys of each cloud's cluster section, and the cloud names the program will derive."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..naming import aws_names, azure_names, name_problems, stage_slug
from ..versions import K3S_DEFAULT_VERSION
from .azure import AzureClusterConfig, CreatedHub, api_exposure_issues
from .cluster import AwsClusterConfig, K3sClusterConfig

if TYPE_CHECKING:
    from .model import K8treConfig

Issue = tuple[str, str]


def cluster_issues(config: K8treConfig) -> Iterator[Issue]:
    """The rules of the chosen cloud, then the names the program derives for it."""
    match config.cluster:
        case AzureClusterConfig() as azure:
            yield from _azure(azure, config.is_prod)
            yield from api_exposure_issues(azure, config.environment)
        case AwsClusterConfig() as aws:
            yield from _aws(aws, config.is_prod)
        case K3sClusterConfig() as k3s:
            yield from _k3s(config, k3s)
    yield from name_issues(config)


def derived_names(prefix: str, config: K8treConfig) -> dict[str, str]:
    """The cloud names :mod:`k8tre.naming` derives for this stack if ``k8tre:name`` were ``prefix``."""
    slug = stage_slug(prefix, config.environment)
    match config.cluster:
        case AzureClusterConfig() as azure:
            return azure_names(slug, azure.location, hub_created=isinstance(azure.hub, CreatedHub))
        case AwsClusterConfig():
            return aws_names(slug)
    return {}  # K3s: node names are given per machine in config, each a DNS label


def name_issues(config: K8treConfig) -> Iterator[Issue]:
    """The derived names the cloud would refuse, and the longest ``k8tre:name`` it would accept."""
    problems = name_problems(derived_names(config.name, config))
    if not problems:
        return
    fits = next((n for n in range(len(config.name) - 1, 0, -1) if not name_problems(derived_names("a" * n, config))), 0)
    yield "name", f"derives names the cloud refuses: {'; '.join(problems)}. Shorten k8tre:name to at most {fits} characters"


def _azure(cluster: AzureClusterConfig, prod: bool) -> Iterator[Issue]:
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


def _aws(cluster: AwsClusterConfig, prod: bool) -> Iterator[Issue]:
    if cluster.kubernetes_version.count(".") != 1:
        # EKS takes a Kubernetes minor version; the patch level comes with the EKS platform version, which
        # AWS upgrades itself ("View Amazon EKS platform versions for each Kubernetes version",
        # https://docs.aws.amazon.com/eks/latest/userguide/platform-versions.html).
        minor = ".".join(cluster.kubernetes_version.split(".")[:2])
        yield "cluster.kubernetesVersion", f"EKS takes a minor version only: give {minor!r}, not {cluster.kubernetes_version!r}"
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
    yield from _aws_api_access(cluster, prod)


def _aws_api_access(cluster: AwsClusterConfig, prod: bool) -> Iterator[Issue]:
    # The public endpoint answers the whole internet unless publicAccessCidrs narrows it (EKS docs, "Cluster API
    # server endpoint": https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
    if prod and cluster.public_api_cidrs:
        yield "cluster.publicApiCidrs", "prod's API endpoint is private: deploy through k8tre:cluster.privateApiCidrs"
    if not cluster.private_api_cidrs and (prod or not cluster.public_api_cidrs):
        yield (
            "cluster.privateApiCidrs" if prod else "cluster.publicApiCidrs",
            "no deploy path to the EKS API: give the deploy runner's private networks (privateApiCidrs)"
            + ("" if prod else " or the deployers' public addresses (publicApiCidrs)"),
        )
    for i, cidr in enumerate(cluster.public_api_cidrs):
        if ipaddress.ip_network(cidr).prefixlen == 0:
            yield f"cluster.publicApiCidrs[{i}]", f"{cidr} opens the Kubernetes API to the whole internet"
    for i, cidr in enumerate(cluster.private_api_cidrs):
        if not ipaddress.ip_network(cidr).is_private:
            yield f"cluster.privateApiCidrs[{i}]", f"{cidr} is not a private range: the private endpoint is reached from inside"


def _k3s(config: K8treConfig, cluster: K3sClusterConfig) -> Iterator[Issue]:
    servers = len(cluster.servers)
    if servers % 2 == 0 or (config.is_prod and servers < 3):
        # etcd needs a majority of members: an even count tolerates no more failures than one fewer, and two
        # servers tolerate none (etcd FAQ, "Why an odd number of cluster members?", https://etcd.io/docs/v3.5/faq/).
        yield "cluster.servers", f"has {servers} machines; embedded etcd needs an odd quorum: 1 (dev/stg only) or 3, 5, ..."
    if len(cluster.network.pod_cidrs) > 1:
        # K3s passes --cluster-cidr to kube-controller-manager, which takes at most one range per IP family and
        # Kubernetes refuses more in a Node's podCIDRs (kubernetes pkg/apis/core/validation: "may specify no more
        # than one CIDR for each IP family"); the pod ranges here are IPv4 only.
        yield "cluster.network.podCidrs", f"has {len(cluster.network.pod_cidrs)} ranges; K3s takes one IPv4 pod range"
    node_net = ipaddress.ip_network(cluster.node_cidr)
    seen: set[str] = set()
    addresses: dict[str, str] = {}
    for role, members in (("servers", cluster.servers), ("agents", cluster.agents)):
        for i, host in enumerate(members):
            where = f"cluster.{role}[{i}]"
            if host.name in seen:
                yield f"{where}.name", f"{host.name!r} names more than one machine"
            seen.add(host.name)
            address = host.address.lower()
            if address in addresses:
                yield (
                    f"{where}.address",
                    f"{host.address} is also the address of k8tre:{addresses[address]}: one machine cannot be two nodes",
                )
            addresses.setdefault(address, where)
            if host.host_key is None and config.environment != "dev":
                # Without it pulumi-command accepts any host key (InsecureIgnoreHostKey), so whoever answers on
                # the address receives the join token, which K3s's token docs call admin-equivalent.
                yield (
                    f"{where}.hostKey",
                    f"is required in {config.environment}: the machine's SSH host key, "
                    f"from `ssh-keyscan -t ed25519 {host.address}`",
                )
            ip = _ip(host.address)
            if ip is not None and ip not in node_net:
                yield f"{where}.address", f"{host.address} is outside k8tre:cluster.nodeCidr ({node_net})"
    yield from _k3s_version(cluster)
    yield from _kube_vip(cluster, node_net, addresses)
    if servers >= 3 and cluster.api_host.lower() in addresses:
        # In HA every node and Cilium's agent (k8sServiceHost) reach the API through apiHost; if it is one
        # server's own address, losing that server cuts them all off. K3s's HA docs ask for a fixed
        # registration address in front of the servers (https://docs.k3s.io/datastore/cluster-loadbalancer).
        yield (
            "cluster.apiHost",
            f"{cluster.api_host} is the address of k8tre:{addresses[cluster.api_host.lower()]}; with several servers "
            "it must be an address that survives any one of them: a virtual IP or a load balancer in front of them",
        )
    if config.secrets.ssh_private_key is None:
        yield "sshPrivateKey", "is required for K3s: set it with `pulumi config set --secret k8tre:sshPrivateKey < key`"
    if cluster.etcd_snapshots.s3 is not None:
        for key, ref in (
            ("etcdS3AccessKey", config.secrets.etcd_s3_access_key),
            ("etcdS3SecretKey", config.secrets.etcd_s3_secret_key),
        ):
            if ref is None:
                yield key, f"is required with k8tre:cluster.etcdSnapshots.s3: `pulumi config set --secret k8tre:{key} ...`"
    if cluster.rfc2136 is not None and config.secrets.rfc2136_tsig_secret is None:
        yield (
            "rfc2136TsigSecret",
            "is required with k8tre:cluster.rfc2136: set the TSIG key's secret with "
            "`pulumi config set --secret k8tre:rfc2136TsigSecret <base64>`",
        )


def _k3s_version(cluster: K3sClusterConfig) -> Iterator[Issue]:
    minor = ".".join(cluster.kubernetes_version.split(".")[:2])
    if cluster.k3s_version is None and not K3S_DEFAULT_VERSION.startswith(f"v{minor}."):
        yield (
            "cluster.k3sVersion",
            f"is required: the default K3s release {K3S_DEFAULT_VERSION} is not Kubernetes "
            f"k8tre:cluster.kubernetesVersion ({cluster.kubernetes_version})",
        )
    if cluster.k3s_version is not None:
        k3s_minor = ".".join(cluster.k3s_version.lstrip("v").split("+")[0].split(".")[:2])
        if minor != k3s_minor:
            yield (
                "cluster.k3sVersion",
                f"{cluster.k3s_version} is not Kubernetes k8tre:cluster.kubernetesVersion ({cluster.kubernetes_version})",
            )


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None  # a DNS name: it cannot be checked against the node range offline


def _kube_vip(
    cluster: K3sClusterConfig, node_net: ipaddress.IPv4Network | ipaddress.IPv6Network, used: dict[str, str]
) -> Iterator[Issue]:
    """kube-vip announces apiHost by ARP on the servers' segment: a free IPv4 address of nodeCidr.

    ARP answers only for an address on the interface's own network (kube-vip docs, "ARP":
    https://kube-vip.io/docs/modes/arp/); one a machine already has, or one Cilium announces for a
    LoadBalancer service, would be answered twice.
    """
    if cluster.kube_vip is None:
        return
    ip = _ip(cluster.api_host)
    if not isinstance(ip, ipaddress.IPv4Address) or ip not in node_net:
        yield "cluster.apiHost", f"{cluster.api_host} must be an IPv4 address in k8tre:cluster.nodeCidr ({node_net}) for kube-vip"
        return
    if cluster.api_host.lower() in used:
        yield (
            "cluster.apiHost",
            f"{cluster.api_host} is already k8tre:{used[cluster.api_host.lower()]}: kube-vip needs a free address",
        )
    if any(ip in ipaddress.ip_network(pool) for pool in cluster.load_balancer_cidrs):
        yield "cluster.apiHost", f"{cluster.api_host} is inside k8tre:cluster.loadBalancerCidrs, which Cilium announces"
