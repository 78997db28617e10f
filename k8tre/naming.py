"""The cloud names the program derives from ``k8tre:name`` and the environment, and the limits clouds put on them.

Every physical name the infrastructure layer gives a cloud resource is built here, once, so that the configuration can
check the very names the program will use (a 63-character ``k8tre:name`` once produced a 71-character AKS name that
Azure refuses only at ``pulumi up``). Changing a derivation renames resources: keep the output byte-identical or add
aliases. The limits are the providers' own:

- Azure: "Naming rules and restrictions for Azure resources", https://learn.microsoft.com/en-us/azure/azure-resource-
  manager/management/resource-name-rules (resource groups 1-90; virtual networks 2-64; route tables, network security
  groups, public IP addresses, firewall policies, private DNS zone links 1-80; Azure Firewall 1-56; managed clusters
  1-63; user-assigned identities 3-128; Log Analytics workspaces 4-63; Key Vault 3-24 alphanumerics and hyphens,
  starting with a letter; storage accounts 3-24 lower-case letters and digits).
- AKS ``dnsPrefix``: 1-54 alphanumerics and hyphens, starting and ending with an alphanumeric (PSRule for Azure, rule
  Azure.AKS.DNSPrefix, https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.AKS.DNSPrefix/).
- EKS cluster name: 1-100 characters, ``^[0-9A-Za-z][A-Za-z0-9_-]*$`` (EKS API CreateCluster, ``name``,
  https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html); CloudWatch log groups 1-512 (CreateLogGroup).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_AZURE_DOCS = "https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules"
_CONTAINER_DOCS = "https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata"
_BUCKET_DOCS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
_BUCKET_PATTERN = r"(?!xn--|sthree-|\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]*[a-z0-9](?<!-s3alias)(?<!--ol-s3)"


@dataclass(frozen=True)
class NameLimit:
    """What a provider accepts for one kind of name."""

    kind: str
    """The resource kind in the provider's words, e.g. ``AKS cluster``."""
    minimum: int
    """Fewest characters."""
    maximum: int
    """Most characters."""
    pattern: str
    """A regular expression the whole name must match."""
    source: str
    """Where the provider documents it."""

    def problem(self, name: str) -> str | None:
        """Why ``name`` is refused, or None when the provider accepts it."""
        if not self.minimum <= len(name) <= self.maximum:
            return f"{self.kind} name {name!r} has {len(name)} characters; {self.minimum}-{self.maximum} are allowed"
        if not re.fullmatch(self.pattern, name):
            return f"{self.kind} name {name!r} has characters or a shape the provider refuses ({self.source})"
        return None


_ALNUM_HYPHEN_UNDERSCORE = r"[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?"
_NETWORK_NAME = r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?"
LIMITS: dict[str, NameLimit] = {
    "resource-group": NameLimit("resource group", 1, 90, r"[-\w._()]*[-\w_()]", _AZURE_DOCS),
    "virtual-network": NameLimit("virtual network", 2, 64, _NETWORK_NAME, _AZURE_DOCS),
    "route-table": NameLimit("route table", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "network-security-group": NameLimit("network security group", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "public-ip": NameLimit("public IP address", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "firewall-policy": NameLimit("firewall policy", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "firewall": NameLimit("Azure Firewall", 1, 56, _NETWORK_NAME, _AZURE_DOCS),
    "dns-zone-link": NameLimit("private DNS zone link", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "rule-collection-group": NameLimit("firewall rule collection group", 1, 80, _NETWORK_NAME, _AZURE_DOCS),
    "aks-cluster": NameLimit("AKS cluster", 1, 63, _ALNUM_HYPHEN_UNDERSCORE, _AZURE_DOCS),
    "aks-dns-prefix": NameLimit(
        "AKS dnsPrefix",
        1,
        54,
        r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?",
        "https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.AKS.DNSPrefix/",
    ),
    "identity": NameLimit("user-assigned identity", 3, 128, r"[A-Za-z0-9][A-Za-z0-9_-]*", _AZURE_DOCS),
    "log-analytics": NameLimit("Log Analytics workspace", 4, 63, r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", _AZURE_DOCS),
    "key-vault": NameLimit("Key Vault", 3, 24, r"[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]", _AZURE_DOCS),
    "storage-account": NameLimit("storage account", 3, 24, r"[a-z0-9]+", _AZURE_DOCS),
    "eks-cluster": NameLimit(
        "EKS cluster",
        1,
        100,
        r"[0-9A-Za-z][A-Za-z0-9_-]*",
        "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html",
    ),
    "blob-container": NameLimit("Blob container", 3, 63, r"[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]", _CONTAINER_DOCS),
    "s3-bucket": NameLimit("S3 bucket", 3, 63, _BUCKET_PATTERN, _BUCKET_DOCS),
    "log-group": NameLimit(
        "CloudWatch log group",
        1,
        512,
        r"[\w./#-]+",
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
}
"""Provider limits by name kind."""

BACKUP_CONTAINER = "velero"  # the Blob container backups are written to on Azure
GLOBAL_NAME_HASH = 8
"""Hex digits of the hash that makes Key Vault and storage account names unique across Azure."""


def stage_slug(prefix: str, environment: str) -> str:
    """``<k8tre:name>-<environment>``: the base of every cloud resource name."""
    return f"{prefix}-{environment}"


def _compact(text: str, limit: int) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())[:limit]


def global_name(stem: str, subscription_id: str, seed: str, limit: int = 24) -> str:
    """``stem`` cut to fit, plus a hash of subscription and ``seed``: unique across Azure.

    Two organisations deploying the default ``k8tre`` prefix would otherwise collide
    (vault and storage account names are global DNS names).
    """
    digest = hashlib.sha256(f"{subscription_id}/{seed}".encode()).hexdigest()[:GLOBAL_NAME_HASH]
    return f"{stem[: limit - GLOBAL_NAME_HASH]}{digest}"


@dataclass(frozen=True)
class AzureNames:
    """Physical names of an environment's Azure resources."""

    slug: str
    """``<k8tre:name>-<environment>``."""

    @property
    def resource_group(self) -> str:
        """The spoke's resource group."""
        return f"rg-{self.slug}"

    @property
    def hub_resource_group(self) -> str:
        """The resource group of a hub this stack creates."""
        return f"rg-{self.slug}-hub"

    @property
    def vnet(self) -> str:
        """The spoke VNet."""
        return f"vnet-{self.slug}"

    @property
    def hub_vnet(self) -> str:
        """The VNet of a hub this stack creates."""
        return f"vnet-{self.slug}-hub"

    @property
    def route_table(self) -> str:
        """The route table that sends the nodes' egress to the firewall."""
        return f"rt-{self.slug}-egress"

    def security_group(self, subnet: str) -> str:
        """The network security group of a spoke subnet (``nodes``, ``ingress``)."""
        return f"nsg-{self.slug}-{subnet}"

    @property
    def spoke_dns_link(self) -> str:
        """Links of the private DNS zones to the spoke VNet."""
        return f"link-{self.slug}"

    @property
    def hub_dns_link(self) -> str:
        """Links of the private DNS zones to the hub VNet."""
        return f"link-{self.slug}-hub"

    @property
    def rule_collection_group(self) -> str:
        """The spoke's rule collection group in the hub firewall policy."""
        return f"spoke-{self.slug}"

    @property
    def api_rule_collection_group(self) -> str:
        """The rule collection group that lets the spoke reach its (public) AKS API through the firewall."""
        return f"spoke-{self.slug}-api"

    @property
    def firewall_public_ip(self) -> str:
        """The hub firewall's public address."""
        return f"pip-{self.slug}-fw"

    @property
    def firewall_policy(self) -> str:
        """The hub firewall's policy."""
        return f"afwp-{self.slug}"

    @property
    def firewall(self) -> str:
        """The hub firewall."""
        return f"afw-{self.slug}"

    @property
    def log_analytics(self) -> str:
        """The hub's Log Analytics workspace."""
        return f"log-{self.slug}"

    @property
    def aks_cluster(self) -> str:
        """The AKS cluster; also its ``dnsPrefix``."""
        return f"aks-{self.slug}"

    def identity(self, service: str) -> str:
        """A user-assigned identity (``aks`` for the control plane, else a platform service)."""
        return f"id-{self.slug}-{service}"

    def key_vault(self, subscription_id: str, location: str) -> str:
        """The environment's Key Vault (globally unique)."""
        return global_name(f"kv{_compact(self.slug, 14)}", subscription_id, f"{self.slug}/{location}")

    def kms_key_vault(self, subscription_id: str, location: str) -> str:
        """The vault that holds only the key encrypting the cluster's etcd secrets (globally unique)."""
        return global_name(f"kms{_compact(self.slug, 13)}", subscription_id, f"{self.slug}/{location}/kms")

    def storage_account(self, role: str, subscription_id: str) -> str:
        """A storage account for ``role`` (globally unique)."""
        return global_name(f"st{_compact(self.slug, 10)}{_compact(role, 4)}", subscription_id, f"{self.slug}/{role}")


@dataclass(frozen=True)
class AwsNames:
    """Physical names of an environment's AWS resources."""

    slug: str
    """``<k8tre:name>-<environment>``."""

    @property
    def eks_cluster(self) -> str:
        """The EKS cluster."""
        return f"eks-{self.slug}"

    @property
    def eks_log_group(self) -> str:
        """The control plane's log group: EKS writes to exactly this name."""
        return f"/aws/eks/{self.eks_cluster}/cluster"

    def backup_bucket(self, account_id: str, region: str) -> str:
        """The backup bucket: bucket names are global, so the stem is cut to fit and a hash of account and region added."""
        return global_name(f"{self.slug}-backups-", account_id, f"{self.slug}/{region}", limit=63)


STORAGE_ROLES = ("core", "workspace")
"""Roles of the storage accounts the Azure data services create, one account each."""

_PROBE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""Stands in for the subscription when checking global names offline: it changes the hash, never the length."""


def azure_names(slug: str, location: str, *, hub_created: bool) -> dict[str, str]:
    """Every Azure name derived from ``slug``, by name kind (a kind may repeat: suffixed ``#n``)."""
    names = AzureNames(slug)
    derived = {
        "resource-group": names.resource_group,
        "virtual-network": names.vnet,
        "route-table": names.route_table,
        "network-security-group": names.security_group("ingress"),
        "network-security-group#nodes": names.security_group("nodes"),
        "network-security-group#endpoints": names.security_group("endpoints"),
        "dns-zone-link": names.spoke_dns_link,
        "rule-collection-group": names.rule_collection_group,
        "rule-collection-group#api": names.api_rule_collection_group,
        "aks-cluster": names.aks_cluster,
        "aks-dns-prefix": names.aks_cluster,
        "identity": names.identity("aks"),
        "key-vault": names.key_vault(_PROBE_SUBSCRIPTION, location),
        "key-vault#kms": names.kms_key_vault(_PROBE_SUBSCRIPTION, location),
    }
    for role in STORAGE_ROLES:
        derived[f"storage-account#{role}"] = names.storage_account(role, _PROBE_SUBSCRIPTION)
    derived["storage-account#backup"] = names.storage_account("backup", _PROBE_SUBSCRIPTION)
    derived["blob-container"] = BACKUP_CONTAINER
    if hub_created:
        derived |= {
            "resource-group#hub": names.hub_resource_group,
            "virtual-network#hub": names.hub_vnet,
            "public-ip": names.firewall_public_ip,
            "firewall-policy": names.firewall_policy,
            "firewall": names.firewall,
            "dns-zone-link#hub": names.hub_dns_link,
            "log-analytics": names.log_analytics,
        }
    return derived


def aws_names(slug: str) -> dict[str, str]:
    """Every AWS name derived from ``slug``, by name kind."""
    names = AwsNames(slug)
    bucket = names.backup_bucket("0" * 12, "eu-west-2")  # a stand-in account, as for the subscription above
    flows = f"/k8tre/{slug}/vpc-flow-logs"  # the VPC flow logs' group (infrastructure/aws/endpoints.py)
    return {"eks-cluster": names.eks_cluster, "log-group": names.eks_log_group, "log-group#flows": flows, "s3-bucket": bucket}


def name_problems(derived: dict[str, str]) -> list[str]:
    """What the provider would refuse among ``derived`` names (empty when all are accepted)."""
    problems = []
    for kind, name in derived.items():
        problem = LIMITS[kind.split("#")[0]].problem(name)
        if problem is not None:
            problems.append(problem)
    return problems
