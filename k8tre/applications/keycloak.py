"""Keycloak: the TRE's identity provider, delivered by Argo CD from the codecentric ``keycloakx`` chart.

Why the chart and not the Keycloak operator: the operator's manifests vendored in ``../shared/manifests``
are release 26.0.0 only, while the ``keycloakx`` chart (``charts/keycloakx-7.1.11.tgz``) carries Keycloak
26.5; the operator would need a newer, unreviewed copy fetched and its CRDs installed cluster-wide, and its
``KeycloakRealmImport`` creates a realm but never updates one either (keycloak.org, "Keycloak Realm Import").
The chart plus a realm file imported at start-up gives the same result with what is vendored and locked.

What the component creates: the ``keycloak`` namespace (Pod Security ``restricted``), an Argo CD project
``identity`` limited to the chart's repository and that namespace, the generated secrets (each OIDC
client's, the temporary admin's), the database (:mod:`.keycloak_database`), the realm file
(:mod:`.keycloak_realm`) in a ConfigMap, the pods' network policy, the Application and the HTTPRoute.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..agnostics import Platform
from ..agnostics.argocd_sso import OIDC_SECRET, OIDC_SECRET_KEY, PART_OF_ARGOCD
from ..agnostics.generated_secret import GeneratedSecret, copied_secret, external_secret_spec, generated_secret
from ..agnostics.publish import publish
from ..config.layers import KeycloakSettings
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .app_projects import project_spec, role
from .application import ArgoApplication, HelmSource, application_spec
from .keycloak_database import NAMESPACE, keycloak_database
from .keycloak_network import keycloak_policy
from .keycloak_realm import CLIENT_SECRET_KEY, CLIENTS, REALM_FILE, REALM_LABEL, realm_file
from .keycloak_values import BOOTSTRAP_ADMIN_SECRET, REALM_CONFIGMAP, SERVICE, keycloak_values
from .project import ArgoProject

IDENTITY_PROJECT = "identity"


def identity_kinds(stage: Stage) -> tuple[tuple[str, str], ...]:
    """What the keycloakx chart renders with the program's values (``workloads/keycloak``).

    A disruption budget only where Keycloak runs more than one replica (outside dev).
    """
    kinds = [("", "Service"), ("", "ServiceAccount"), ("apps", "StatefulSet")]
    if stage.environment != "dev":
        kinds.append(("policy", "PodDisruptionBudget"))
    return tuple(kinds)


"""The Argo CD project Keycloak is delivered in: its chart's repository, its namespace, nothing else."""
BOOTSTRAP_ADMIN = "tre-bootstrap-admin"
"""The temporary master-realm administrator's user name (its password is generated)."""


class Keycloak(pulumi.ComponentResource):
    """Keycloak with the ``k8tre`` realm (MFA required), its database, and the OIDC clients' secrets."""

    client_secrets: dict[str, GeneratedSecret]
    """Each OIDC client's generated secret in the ``keycloak`` namespace, by client id."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        platform: Platform,
        pin: ChartPin,
        settings: KeycloakSettings,
        project_groups: Sequence[str],
        stage: Stage,
        admin_groups: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:applications:Keycloak", name, None, opts)
        self._prefix = name
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="applications", gateway_access=True)
        project = ArgoProject(
            f"{name}-project",
            IDENTITY_PROJECT,
            project_spec(
                "The identity provider: Keycloak in its own namespace, exactly the kinds its chart renders",
                [pin.repository],
                [NAMESPACE],
                identity_kinds(stage),
                [role(IDENTITY_PROJECT, "operator", admin_groups)],
            ),
            cluster,
            platform,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.client_secrets = {
            client.client_id: generated_secret(
                f"{name}-client-{client.client_id}",
                secret_name=client.secret_name,
                namespace=NAMESPACE,
                keys=[CLIENT_SECRET_KEY],
                cluster=cluster,
                parent=self,
                length=48,
                depends_on=[namespace],
            )
            for client in CLIENTS
        }
        admin = generated_secret(
            f"{name}-bootstrap-admin",
            secret_name=BOOTSTRAP_ADMIN_SECRET,
            namespace=NAMESPACE,
            keys=["password"],
            settings={"username": BOOTSTRAP_ADMIN},
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
        )
        database = keycloak_database(f"{name}-db", NAMESPACE, namespace, settings, cluster, platform, stage, self)
        realm = k8s.core.v1.ConfigMap(
            f"{name}-realm",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=REALM_CONFIGMAP, namespace=NAMESPACE, labels={REALM_LABEL: "k8tre"}),
            data={REALM_FILE: realm_file(settings.realm, stage.domain, project_groups)},
            opts=cluster.opts(self, depends_on=[namespace]),
        )
        policy = custom_object(f"{name}-policy", keycloak_policy(), cluster, self, depends_on=[namespace])
        source = HelmSource(pin, "keycloak", keycloak_values(stage, database.secret, database.service))
        self.application = ArgoApplication(
            f"{name}-app",
            "keycloak",
            application_spec(project.project_name, NAMESPACE, source),
            cluster,
            platform,
            # Keycloak starts only with its secrets, its realm file and its database in place.
            depends_on=[
                project.resource,
                namespace,
                realm,
                policy,
                admin.ready,
                database.database,
                *(secret.ready for secret in self.client_secrets.values()),
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            f"{name}-route",
            gateway=platform.gateway,
            app="keycloak",
            namespace=NAMESPACE,
            service=SERVICE,
            port=80,
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
            plaintext_reason="Keycloak serves HTTP behind the Gateway (proxy headers); its policy admits the Gateway only",
        )
        self.register_outputs({"namespace": NAMESPACE, "issuer": f"https://keycloak.{stage.domain}/realms/k8tre"})

    def deliver(self, client_id: str, namespace: str, cluster: Cluster, after: Sequence[pulumi.Resource]) -> GeneratedSecret:
        """A copy of ``client_id``'s secret in the application's namespace (same Secret name, key ``client-secret``)."""
        return copied_secret(
            f"{self._prefix}-client-{client_id}-{namespace}",
            self.client_secrets[client_id],
            namespace=namespace,
            cluster=cluster,
            parent=self,
            depends_on=after,
        )

    def deliver_argocd(self, namespace: str, cluster: Cluster, after: Sequence[pulumi.Resource]) -> pulumi.Resource:
        """The ``argocd`` client's secret as Argo CD reads it: Secret ``argocd-oidc``, key ``clientSecret``.

        Labelled ``app.kubernetes.io/part-of: argocd``: without the label Argo CD refuses to read it (Argo CD docs,
        "Sensitive Data and SSO Client Secrets").
        """
        source = self.client_secrets["argocd"]
        spec = external_secret_spec(OIDC_SECRET, [CLIENT_SECRET_KEY], source.remote_key)
        spec["data"][0]["secretKey"] = OIDC_SECRET_KEY
        spec["target"]["template"] = {"metadata": {"labels": dict(PART_OF_ARGOCD)}}
        return k8s.apiextensions.CustomResource(
            f"{self._prefix}-client-argocd-{namespace}",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=OIDC_SECRET, namespace=namespace, annotations={"pulumi.com/waitFor": "condition=Ready"}
            ),
            spec=spec,
            opts=cluster.opts(self, depends_on=[*cluster.secret_store_ready, source.ready, *after]),
        )
