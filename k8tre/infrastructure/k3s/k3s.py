"""K3s installed and joined over SSH, with flannel, kube-proxy, traefik and servicelb off."""

from __future__ import annotations

import base64
import ipaddress
import os
import shlex
import time
from importlib import resources as package_files

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi_command import remote

from ...config import K3sClusterConfig, K3sHost, SecretRef
from ...outputs import secret_text
from ...stage import Stage
from ...versions import K3S_DEFAULT_VERSION
from ..cluster import CiliumFacts, ControlPlaneMetrics, PlatformFacts, ProvisionedCluster, Rfc2136Server
from . import agent_drain, deploy_identity, kube_vip
from .etcd_snapshots import etcd_settings, write_credentials
from .install import install_settings
from .l2 import cilium_l2_values
from .node_config import AUDIT_DIR, KERNEL_DEFAULTS, ClusterShape, Role, admission_configuration, node_config, render
from .secret_store import in_cluster_store
from .storage import longhorn_storage

API_PORT = 6443
SERVER_CA = "/var/lib/rancher/k3s/server/tls/server-ca.crt"
"""The cluster CA K3s generates on the first server, and serves to joining machines at ``/cacerts``."""

INSTALL_SCRIPT = package_files.files(__package__).joinpath("scripts/install-k3s.sh").read_text()
"""The shell run on every machine (checked by shellcheck in the tests); it holds no secret."""
WRITE_TOKENS_SCRIPT = package_files.files(__package__).joinpath("scripts/write-tokens.sh").read_text()
"""The shell that writes a machine's join tokens from standard input."""
PREPARE_SCRIPT = package_files.files(__package__).joinpath("scripts/prepare-host.sh").read_text()
"""The shell that prepares a machine (distribution, Longhorn's packages and modules, inotify limits) before K3s."""
REMOVE_SCRIPT = package_files.files(__package__).joinpath("scripts/remove-k3s.sh").read_text()
"""The shell that takes a machine out of the cluster when it leaves the stack (or on destroy)."""
DEPLOY_TOKEN_SCRIPT = package_files.files(__package__).joinpath("scripts/deploy-token.sh").read_text()
"""The shell that issues a token of Pulumi's deploy identity on the first server (deploy_identity.py)."""


class K3sCluster(pulumi.ComponentResource):
    """Installs K3s on the configured servers and agents and fetches the kubeconfig as a secret."""

    result: ProvisionedCluster
    """What the infrastructure layer hands on."""

    def __init__(
        self,
        name: str,
        config: K3sClusterConfig,
        stage: Stage,
        ssh_private_key: SecretRef,
        tsig_secret: SecretRef | None = None,
        opts: pulumi.ResourceOptions | None = None,
        etcd_s3_keys: tuple[SecretRef, SecretRef] | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:K3sCluster", name, None, opts)
        self._name = name
        self._config = config
        self._stage = stage
        self._ssh_key = ssh_private_key.output()
        self._version: str = config.k3s_version or K3S_DEFAULT_VERSION
        self._shape = ClusterShape(
            api_host=config.api_host,
            pod_cidrs=tuple(config.network.pod_cidrs),
            service_cidr=config.network.service_cidr,
            audit_max_age_days=stage.audit_retention_days,
            audit_max_backups=config.audit_log.max_backups,
            audit_max_size_mib=config.audit_log.max_size_mib,
            server_settings=etcd_settings(config.etcd_snapshots),
        )
        self._etcd_s3_keys = etcd_s3_keys if config.etcd_snapshots.s3 is not None else None
        child = pulumi.ResourceOptions(parent=self)
        # The join tokens are generated, kept only in the (encrypted) state, never typed by a person.
        # Servers and agents get different ones: the server token is admin-equivalent (K3s docs, "k3s token"),
        # so a compromised agent must not hold it.
        # The server token is also what restoring an etcd snapshot needs (K3s docs, "etcd-snapshot"): kept in prod.
        self.token = random.RandomPassword(f"{name}-token", length=48, special=False, opts=stage.stateful(child))
        self.agent_token = random.RandomPassword(f"{name}-agent-token", length=48, special=False, opts=child)
        url = f"https://{config.api_host}:{API_PORT}"
        # One machine at a time, servers before agents: a rolling upgrade never restarts two servers at
        # once (etcd keeps its quorum) and agents follow servers (K3s docs, "Manual Upgrades").
        servers: list[remote.Command] = []
        ca_hash: pulumi.Output[str] | None = None
        for host in config.servers:
            servers.append(self._install(host, "server", url if servers else None, servers[-1:], ca_hash))
            ca_hash = ca_hash or self._cluster_ca_hash(config.servers[0], servers[0])
        agents: list[remote.Command] = []
        first = self._connection(config.servers[0])
        for host in config.agents:
            # The first server drains each agent before its install and lets work back after (agent_drain.py).
            prefix = f"{name}-agent-{host.name}"
            drain = agent_drain.drain_before(prefix, host.name, self._version, first, agents[-1:] or servers[-1:], self)
            install = self._install(host, "agent", url, [drain], ca_hash)
            agents.append(agent_drain.uncordon_after(prefix, host.name, first, install, self))
        fetched = self._deploy_token(config.servers[0], servers)
        kubeconfig = secret_text(fetched.stdout.apply(lambda text: deploy_identity.deploy_kubeconfig(text, url)))
        provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self)
        )
        site_dns = self._rfc2136(stage, tsig_secret)
        self.result = ProvisionedCluster(
            name=pulumi.Output.from_input(f"k3s-{stage.slug}"),
            kubeconfig=kubeconfig,
            provider=provider,
            ready=[*servers, *agents, fetched],
            cilium=CiliumFacts(
                api_server_host=config.api_host,
                api_server_port=API_PORT,
                # No cloud load balancer: Cilium answers ARP for LoadBalancer addresses itself.
                cloud_values=cilium_l2_values(config.load_balancer_cidrs, config.node_interface),
            ),
            platform=PlatformFacts(
                storage=longhorn_storage(len(config.servers) + len(config.agents)),
                # K3s runs the controller manager and scheduler inside its server process bound to 127.0.0.1, and
                # etcd's metrics listen there too unless `etcd-expose-metrics` is set (K3s docs, server CLI
                # reference: https://docs.k3s.io/cli/server); node_config opens none of them to the pod network.
                control_plane_metrics=ControlPlaneMetrics(why="K3s binds them to the servers' loopback address"),
                # The API server's audit trail stays on the servers' disks; the log collector ships it (SATRE 2.5.03).
                host_audit_log=f"{AUDIT_DIR}/audit.log",
                internal_lb_annotations={},
                lb_ip_pool=tuple(config.load_balancer_cidrs),
                # The site's own DNS server, when configured, is both where the routes are published and where
                # ACME DNS-01 answers go (on premises one server usually holds the domain).
                public_dns=site_dns,
                private_dns=site_dns,
                secret_store=in_cluster_store(provider, stage),
            ),
        )
        self.register_outputs({"apiServer": url})

    def _rfc2136(self, stage: Stage, tsig_secret: SecretRef | None) -> Rfc2136Server | None:
        server = self._config.rfc2136
        if server is None or tsig_secret is None:
            return None
        return Rfc2136Server(
            zone=stage.domain,
            address=server.server,
            port=server.port,
            tsig_key_name=server.tsig_key_name,
            tsig_algorithm=server.tsig_algorithm,
            tsig_secret=tsig_secret.output(),
        )

    def _connection(self, host: K3sHost) -> remote.ConnectionArgs:
        # With a host key pulumi-command verifies the server (ssh.FixedHostKey); without one it trusts any
        # answer, which config allows only in dev.
        return remote.ConnectionArgs(
            host=host.address, port=host.port, user=host.user, private_key=self._ssh_key, host_key=host.host_key
        )

    def _install(
        self,
        host: K3sHost,
        role: Role,
        server_url: str | None,
        after: list[remote.Command],
        ca_hash: pulumi.Output[str] | None,
    ) -> remote.Command:
        prefix = f"{self._name}-{role}-{host.name}"
        tokens = self._write_tokens(prefix, host, role, after, ca_hash)
        keys = []
        if role == "server" and self._etcd_s3_keys is not None:
            keys.append(write_credentials(f"{prefix}-etcd-s3", self._connection(host), self._etcd_s3_keys, [tokens], self))
        rendered = render(node_config(role, host.name, self._shape, server_url, _ipv4(host.address)))
        settings = {
            "K3S_ROLE": role,
            "K3S_VERSION": self._version,
            "NODE_NAME": host.name,
            "K3S_CONFIG_B64": _b64(rendered),
            "K3S_SYSCTL_B64": _b64("".join(f"{key} = {value}\n" for key, value in KERNEL_DEFAULTS.items())),
            **install_settings(self._config.install),
        }
        if role == "server":
            settings["K3S_ADMISSION_B64"] = _b64(render(admission_configuration()))
            settings["K3S_DEPLOYER_B64"] = _b64(deploy_identity.render_manifests())
            if self._config.kube_vip is not None:
                vip = kube_vip.render_manifests(self._config.api_host, self._config.kube_vip.interface, API_PORT)
                settings["K3S_KUBEVIP_B64"] = _b64(vip)
        # Plain shell variables, not exports: the K3s installer copies exported K3S_* variables into the
        # service's environment file. Nothing here is secret, so the render shows what each machine gets.
        assignments = "".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items())
        # A changed setting updates the machine in place (no `triggers`: pulumi-command runs `create` again on an
        # update); only a machine that leaves the stack runs `delete`, which drains it and uninstalls K3s.
        removal = f"K3S_ROLE={role}\nNODE_NAME={shlex.quote(host.name)}\n{REMOVE_SCRIPT}"
        return remote.Command(
            prefix,
            connection=self._connection(host),
            create="sudo sh -s",
            stdin=f"{assignments}{PREPARE_SCRIPT}{INSTALL_SCRIPT}",
            delete=f"sudo sh -c {shlex.quote(removal)}",
            opts=self._protected_if_server(role, pulumi.ResourceOptions(parent=self, depends_on=[tokens, *keys])),
        )

    def _protected_if_server(self, role: Role, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
        """A server holds etcd: in prod, removing one (its ``delete`` uninstalls K3s) takes an explicit unprotect."""
        return self._stage.stateful(opts) if role == "server" else opts

    def _deploy_token(self, host: K3sHost, servers: list[remote.Command]) -> remote.Command:
        """A new token of Pulumi's deploy identity and the cluster CA, printed by the first server.

        The admin kubeconfig stays on the server (``k3s kubectl`` reads it there). The command is replaced, so a
        new token is issued, in each new half-lifetime window (``deploy_identity.token_window``); the clock is
        ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention), so renders can be repeated.
        """
        now = float(os.environ.get("SOURCE_DATE_EPOCH") or time.time())
        settings = {
            "DEPLOY_NAMESPACE": deploy_identity.NAMESPACE,
            "DEPLOY_ACCOUNT": deploy_identity.SERVICE_ACCOUNT,
            "DEPLOY_HOURS": str(deploy_identity.TOKEN_HOURS),
        }
        script = "".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items()) + DEPLOY_TOKEN_SCRIPT
        return remote.Command(
            f"{self._name}-deploy-token",
            connection=self._connection(host),
            create=f"sudo sh -c {shlex.quote(script)}",
            triggers=[deploy_identity.token_window(now)],
            # pulumi-command logs stdout even when the output is secret (pulumi/pulumi#15912, pulumi-command#401):
            # this stdout is a credential, so nothing is logged.
            logging=remote.Logging.NONE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=servers, additional_secret_outputs=["stdout"]),
        )

    def _cluster_ca_hash(self, host: K3sHost, first_server: remote.Command) -> pulumi.Output[str]:
        """The SHA-256 of the cluster CA as the first server wrote it: what joining machines pin.

        K3s's secure token format is ``K10<CA hash>::<credentials>``; with it a joining machine checks the CA
        the server presents against the hash before it sends its credentials, so a machine that answers on the
        server's address cannot collect them (K3s docs, "k3s token": secure format, TLS bootstrapping; for a
        self-signed CA the hash is the SHA-256 of the PEM file as stored on disk).
        """
        printed = remote.Command(
            f"{self._name}-ca-hash",
            connection=self._connection(host),
            create=f"sudo sha256sum {SERVER_CA}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[first_server]),
        )
        return printed.stdout.apply(_sha256_field)

    def _write_tokens(
        self, prefix: str, host: K3sHost, role: Role, after: list[remote.Command], ca_hash: pulumi.Output[str] | None
    ) -> remote.Command:
        """Put the machine's join tokens in their files: servers get both, agents only the agent token.

        The server token is admin-equivalent (K3s docs, "k3s token"): an agent never holds it. The first server
        initialises the cluster with the plain token (its CA does not exist yet); every machine that joins gets
        the secure form, pinned to the CA's hash.
        """
        if role == "server" and ca_hash is None:
            lines = pulumi.Output.all(self.token.result, self.agent_token.result).apply(lambda t: f"{t[0]}\n{t[1]}\n")
        elif role == "server":
            lines = pulumi.Output.all(ca_hash, self.token.result, self.agent_token.result).apply(
                lambda t: f"K10{t[0]}::server:{t[1]}\n{t[2]}\n"
            )
        elif ca_hash is not None:
            lines = pulumi.Output.all(ca_hash, self.agent_token.result).apply(lambda t: f"K10{t[0]}::node:{t[1]}\n")
        else:
            raise ValueError(f"agent {host.name} cannot join before the first server exists")
        return remote.Command(
            f"{prefix}-tokens",
            connection=self._connection(host),
            create=f"sudo sh -c {shlex.quote(WRITE_TOKENS_SCRIPT)}",
            stdin=secret_text(lines),
            # It prints nothing, but its input is a credential: log nothing, whatever the script becomes.
            logging=remote.Logging.NONE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )


def _sha256_field(stdout: str) -> str:
    """The hash ``sha256sum`` printed, refusing anything else: a wrong pin would lock every machine out."""
    digest = stdout.split()[0] if stdout.split() else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"expected the cluster CA's SHA-256 from `sha256sum {SERVER_CA}`, got {stdout[:80]!r}")
    return digest


def _b64(text: str) -> str:
    """A file's text as one shell-safe word."""
    return base64.b64encode(text.encode()).decode()


def _ipv4(address: str) -> str | None:
    """The machine's address when it is an IPv4 literal (config keeps it inside ``nodeCidr``): its ``node-ip``."""
    try:
        return str(ipaddress.IPv4Address(address))
    except ValueError:
        return None
