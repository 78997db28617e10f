"""External Secrets: copies values from the cloud's secret store into Kubernetes Secrets.

One ``ClusterSecretStore`` (``k8tre``) reads the store the infrastructure provides
(``cluster.platform.secret_store``): Azure Key Vault through workload identity, AWS Secrets Manager
through EKS Pod Identity, or on K3s a dedicated namespace through the Kubernetes provider. Generated
passwords reach workloads through it (``generated_secret``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s

from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster, SecretStoreFacts, WorkloadIdentity
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, kinds, releases
from .network_policy import KUBE_DNS, opening, service_policy
from .secret_store_namespace import in_cluster_store

NAMESPACE = "external-secrets"
RELEASE = "external-secrets"
"""Release name: the chart names the controller's service account after it, the subject the cloud identities trust."""
STORE_NAME = "k8tre"
"""The ClusterSecretStore every ``ExternalSecret`` of the platform names."""
CONTROLLER_LABELS = {"app.kubernetes.io/name": "external-secrets", "app.kubernetes.io/instance": RELEASE}
WEBHOOK_LABELS = {"app.kubernetes.io/name": "external-secrets-webhook", "app.kubernetes.io/instance": RELEASE}
CERT_CONTROLLER_LABELS = {"app.kubernetes.io/name": "external-secrets-cert-controller", "app.kubernetes.io/instance": RELEASE}
"""Pod labels (external-secrets chart, ``*.selectorLabels`` in ``templates/_helpers.tpl``)."""
WEBHOOK_PORT = 10250
"""The webhook's container port (chart value ``webhook.port``)."""
STORE_NAMESPACES = {
    "matchExpressions": [
        {"key": "k8tre.io/layer", "operator": "In", "values": ["agnostics", "applications"]},
        {"key": "k8tre.io/project", "operator": "DoesNotExist"},
    ]
}
"""Namespaces whose ``ExternalSecret`` objects the store serves: the platform's, never a research project's, so
nobody able to create an ``ExternalSecret`` in a project can read the platform's passwords
(External Secrets docs, ClusterSecretStore ``conditions``)."""
FREE_FORM_VALUES = (
    "securityContext",
    "podSecurityContext",
    "webhook.securityContext",
    "webhook.podSecurityContext",
    "certController.securityContext",
    "certController.podSecurityContext",
    "crds.annotations",
)
"""Chart value maps that are Kubernetes fields (security contexts, annotations) rendered with toYaml, not chart keys."""
RUN_AS = 65532
"""uid and gid of every container: the distroless image's ``nonroot`` user, above checkov's 10000 floor (CKV_K8S_40);
the chart's default 1000 is below it. The binary writes nothing to its image (the chart mounts it read-only)."""


def _hardening(requests: Mapping[str, str], limits: Mapping[str, str]) -> dict[str, Any]:
    """One component's resources, image pull policy and security contexts.

    The chart's container defaults already drop ALL capabilities, forbid privilege escalation, run as
    non-root with a read-only root and the RuntimeDefault seccomp profile (``values.yaml``); Helm merges
    these maps into them. A pod-level context is rendered only when it has more than ``enabled``.
    """
    return {
        "resources": {"requests": dict(requests), "limits": dict(limits)},
        "image": {"pullPolicy": "Always"},
        "securityContext": {"runAsUser": RUN_AS, "runAsGroup": RUN_AS},
        "podSecurityContext": {"enabled": True, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    }


def external_secrets_values(stage: Stage, identity: WorkloadIdentity | None) -> dict[str, Any]:
    """Chart values: replicas and PDBs outside dev, leader election, probes, CRDs kept, the cloud identity.

    Starting points for a TRE's few dozen ExternalSecrets; the controller caches Secrets and ExternalSecrets,
    so its memory grows with the cluster.
    """
    replicas = 1 if stage.environment == "dev" else 2
    pdb = {"enabled": replicas > 1, "minAvailable": 1}
    values: dict[str, Any] = {
        "installCRDs": True,
        # Uninstalling the chart must not delete the CRDs: that would delete every ExternalSecret and, through
        # their ownership, every Secret they made (Helm docs, "Resource policies": helm.sh/resource-policy keep).
        "crds": {"annotations": {"helm.sh/resource-policy": "keep"}},
        # Nothing in the cluster writes into the store: the platform's identities there are read-only, and the
        # push reconcilers (PushSecret, ClusterPushSecret) are switched off so none is even attempted.
        "processPushSecret": False,
        "processClusterPushSecret": False,
        # Namespace editors and admins do not get ExternalSecret rights through the aggregated edit/admin roles
        # (chart values rbac.aggregateTo*): only the platform (Pulumi, Argo CD) asks the store for anything.
        "rbac": {"aggregateToEdit": False, "aggregateToAdmin": False},
        "replicaCount": replicas,
        # With more than one controller, one leads and the others wait (chart value leaderElect, off by default).
        "leaderElect": replicas > 1,
        "podDisruptionBudget": pdb,
        **_hardening({"cpu": "20m", "memory": "96Mi"}, {"cpu": "500m", "memory": "512Mi"}),
        "livenessProbe": {"enabled": True},
        "readinessProbe": {"enabled": True},
        "webhook": {
            "replicaCount": replicas,
            "podDisruptionBudget": pdb,
            "livenessProbe": {"enabled": True},
            **_hardening({"cpu": "10m", "memory": "48Mi"}, {"cpu": "250m", "memory": "256Mi"}),
        },
        "certController": {
            "replicaCount": replicas,
            "podDisruptionBudget": pdb,
            "livenessProbe": {"enabled": True},
            **_hardening({"cpu": "10m", "memory": "64Mi"}, {"cpu": "250m", "memory": "256Mi"}),
        },
    }
    if identity is not None:
        # The store is read as the service's own cloud identity: no stored credential.
        values["podLabels"] = dict(identity.pod_labels)
        values["serviceAccount"] = {
            "annotations": dict(identity.service_account_annotations),
            "extraLabels": dict(identity.pod_labels),
        }
    return values


def store_egress(store: SecretStoreFacts) -> dict[str, Any] | None:
    """A CiliumNetworkPolicy letting the controller alone resolve and reach the store's endpoints.

    The names may be known only at deploy time (the vault's address), so the rule is built here rather
    than by ``service_policy``; allows add up across policies (Cilium docs, policy language).
    """
    names = list(store.endpoint_fqdns)
    if not names and not store.extra_egress:
        return None
    egress: list[dict[str, Any]] = []
    if names:
        dns_ports = [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}]
        egress.append(
            {"toEndpoints": [KUBE_DNS], "toPorts": [{"ports": dns_ports, "rules": {"dns": [{"matchName": n} for n in names]}}]}
        )
        egress.append(
            {"toFQDNs": [{"matchName": n} for n in names], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}
        )
    egress += [dict(rule) for rule in store.extra_egress]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "external-secrets-store", "namespace": NAMESPACE, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": f"the controller reads the {store.kind} secret store",
            "endpointSelector": {"matchLabels": dict(CONTROLLER_LABELS)},
            "egress": egress,
        },
    }


def store_endpoints(provider: Mapping[str, Any]) -> tuple[str, ...]:
    """The names a rendered store's provider is read at (what its flows must allow), read from its spec.

    Key Vault: the vault URL's host, and Entra ID for the token exchange; Secrets Manager: its regional
    endpoint (https://docs.aws.amazon.com/general/latest/gr/asm.html); the Kubernetes provider: none (the API).
    """
    if "azurekv" in provider:
        host = urlparse(str(provider["azurekv"].get("vaultUrl", ""))).hostname
        return (*([host] if host else []), "login.microsoftonline.com")
    if "aws" in provider:
        return (f"secretsmanager.{provider['aws']['region']}.amazonaws.com",)
    return ()


def external_secrets_flows(context: FlowContext) -> list[Expect]:
    """The controller reaches the API server and its store; the API server reaches the webhook; nothing else does."""
    controller = PodsOf(NAMESPACE, CONTROLLER_LABELS, "external-secrets")
    webhook = PodsOf(NAMESPACE, WEBHOOK_LABELS, "external-secrets webhook")
    cert_controller = PodsOf(NAMESPACE, CERT_CONTROLLER_LABELS, "external-secrets cert-controller")
    flows = [
        allow(controller, Entity("kube-apiserver"), 443, "the controller watches ExternalSecrets and writes Secrets"),
        allow(cert_controller, Entity("kube-apiserver"), 443, "the cert controller keeps the webhook's certificate"),
        allow(Entity("kube-apiserver"), webhook, WEBHOOK_PORT, "the API server calls the admission webhook"),
        deny(Entity("ingress"), webhook, WEBHOOK_PORT, "the webhook is not published"),
        deny(Entity("ingress"), controller, 8080, "the controller is not published"),
        deny(PodsOf("argocd", {}, "Argo CD pods"), webhook, WEBHOOK_PORT, "other namespaces cannot reach the webhook"),
        deny(PodsOf("cert-manager", {}, "cert-manager pods"), controller, 8080, "other namespaces cannot reach the controller"),
    ]
    flows += [
        deny(PodsOf(p.namespace, {}, f"project {p.name}"), webhook, WEBHOOK_PORT, "a project cannot reach the secrets operator")
        for p in context.projects
    ]
    for host in context.secret_store_fqdns:
        flows.append(allow(controller, Fqdn(host), 443, "the controller reads the secret store"))
        flows.append(deny(webhook, Fqdn(host), 443, "only the controller reads the store"))
    if context.secret_store == "aws":  # noqa: S105 - a provider kind, not a password
        flows.append(allow(controller, Entity("host"), 80, "EKS Pod Identity Agent hands out credentials on the node"))
    return flows


def _describe(provider: Mapping[str, Any]) -> str:
    """One provider as an operator would name it."""
    if "azurekv" in provider:
        settings = provider["azurekv"]
        return f"Azure Key Vault {urlparse(str(settings.get('vaultUrl'))).hostname} ({settings.get('authType')})"
    if "aws" in provider:
        return f"AWS {provider['aws'].get('service')} in {provider['aws'].get('region')} (EKS Pod Identity)"
    if "kubernetes" in provider:
        return f"Kubernetes Secrets in namespace {provider['kubernetes'].get('remoteNamespace')}"
    return ", ".join(sorted(provider))


def _store_variant(render: Render) -> str:
    """The ClusterSecretStores' providers as rendered, and the controller's replicas."""
    stores = [
        f"{store['metadata']['name']}: {_describe((store.get('spec') or {}).get('provider') or {})}"
        for store in kinds(render, "ClusterSecretStore")
    ]
    replicas = [int((r.get("values") or {}).get("replicaCount", 1)) for r in releases(render, "external-secrets")]
    shown = "; ".join(stores)
    return shown + "".join(f"; {n} replica{'s' if n != 1 else ''}" for n in replicas)


ENTRY = ServiceEntry(
    name="External Secrets",
    gives="Kubernetes Secrets copied from the cloud's secret store (generated passwords, never literals)",
    charts=("external-secrets",),
    flows="controller to the API server and the store's endpoints; API server to the webhook; "
    "nothing from ingress or other namespaces",
    variant=_store_variant,
)


class ExternalSecrets(pulumi.ComponentResource):
    """The External Secrets release, its network policies and the ``k8tre`` ClusterSecretStore."""

    store: k8s.apiextensions.CustomResource
    """The ClusterSecretStore: what an ExternalSecret waits for (with the release, whose CRDs it needs)."""
    ready: Sequence[pulumi.Resource]
    """What every ExternalSecret must wait for: the CRDs (the release) and the store."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ExternalSecrets", name, None, opts)
        facts = cluster.platform.secret_store
        if facts is None:
            raise ValueError("External Secrets needs the cloud's secret store: PlatformFacts.secret_store is not set")
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        self.release = helm_release(
            f"{name}-release",
            release_name=RELEASE,
            pin=pin,
            namespace=namespace.metadata.name,
            values=external_secrets_values(stage, cluster.platform.workload_identities.get("external-secrets")),
            opts=cluster.opts(self),
        )
        # Under default deny: every pod reaches the API server; only the controller reaches the store; the API
        # server reaches the webhook. Nothing outside the namespace reaches any of them.
        policy = service_policy(NAMESPACE, "external-secrets", api_server=True)
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        store_policy = store_egress(facts)
        if store_policy is not None:
            custom_object(f"{name}-store-policy", store_policy, cluster, self, depends_on=[namespace])
        why = "the API server calls the webhook"
        webhook = opening(NAMESPACE, "external-secrets-webhook", WEBHOOK_LABELS, "kube-apiserver", WEBHOOK_PORT, why)
        custom_object(f"{name}-webhook-policy", webhook, cluster, self, depends_on=[namespace])
        self.store = k8s.apiextensions.CustomResource(
            f"{name}-store",
            api_version="external-secrets.io/v1",
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORE_NAME),
            spec={"provider": {facts.kind: dict(facts.provider)}, "conditions": [{"namespaceSelector": STORE_NAMESPACES}]},
            # The kind exists once the chart has installed its CRDs.
            opts=cluster.opts(self, depends_on=[self.release]),
        )
        in_cluster: list[pulumi.Resource] = []
        if facts.remote_namespace and facts.reader:
            in_cluster = in_cluster_store(f"{name}-store-ns", cluster, facts.remote_namespace, facts.reader, stage, self)
        self.ready = [self.release, self.store, *in_cluster]
        self.register_outputs({"store": STORE_NAME})
