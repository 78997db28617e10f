"""The AWS Load Balancer Controller: what turns the Gateway's LoadBalancer Service into an internal NLB.

Without it the Service's ``aws-load-balancer-type: external`` annotation is read by nothing (the in-tree cloud
provider ignores Services it delegates; EKS docs, "Route TCP and UDP traffic with Network Load Balancers":
https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html) and no load balancer is ever made.
IP targets, because pods have VPC addresses (Cilium ENI mode): the NLB sends straight to the Gateway's pods.
Its AWS rights come through Pod Identity (its own role, :mod:`.lbc_policy`); it runs in kube-system, beside
the cloud's other controllers, as EKS installs it in Auto Mode.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...helm import helm_release
from ...naming import AwsNames
from ...stage import Stage
from ...versions import ChartPin
from .lbc_policy import load_balancer_controller_policy
from .pod_identity import PodIdentityNames, pod_identity_role

NAMESPACE = "kube-system"
"""Where the controller runs."""
SERVICE_ACCOUNT = "aws-load-balancer-controller"
"""Its service account (chart value ``serviceAccount.name``), the one its Pod Identity association names."""
CHART = "aws-load-balancer-controller"
"""The vendored chart (charts/lock.yaml)."""
FREE_FORM_VALUES = ("podSecurityContext", "securityContext", "resources", "podDisruptionBudget", "defaultTags")
"""Values the chart passes through with toYaml (templates/deployment.yaml, pdb.yaml): Kubernetes fields or AWS tag
keys, checked where they land, not chart keys."""


def controller_values(cluster_name: str, region: str, vpc_id: pulumi.Input[str], stage: Stage) -> dict[str, Any]:
    """Production values: IP targets, internal by default, no ALB extras, resources, replicas by environment."""
    replicas = 1 if stage.environment == "dev" else 2
    return {
        "clusterName": cluster_name,
        # Region and VPC given, so the controller need not ask the instance metadata service (hop limit 1 on nodes).
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "podDisruptionBudget": {"maxUnavailable": 1} if replicas > 1 else {},
        "image": {"pullPolicy": "Always"},
        "serviceAccount": {"name": SERVICE_ACCOUNT},
        "defaultTargetType": "ip",
        "defaultLoadBalancerScheme": "internal",
        # No ALB add-ons: nothing here is internet-facing, and their API rights are left out of the role.
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "createIngressClassResource": False,
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "podSecurityContext": {"fsGroup": 65534, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "defaultTags": dict(stage.tags),
    }


class LoadBalancerController(pulumi.ComponentResource):
    """The controller's Pod Identity role and its Helm release in kube-system."""

    release: k8s.helm.v3.Release
    """What the Gateway's Service waits for (its webhook mutates LoadBalancer Services)."""

    def __init__(
        self,
        name: str,
        *,
        cluster: aws.eks.Cluster,
        vpc_id: pulumi.Input[str],
        region: str,
        pin: ChartPin,
        provider: k8s.Provider,
        stage: Stage,
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:LoadBalancerController", name, None, opts)
        identity = pod_identity_role(
            PodIdentityNames(role=f"{name}-role", association=f"{name}-association"),
            parent=self,
            cluster_name=cluster.name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            tags=stage.tags,
            inline={f"{name}-elb": json.dumps(load_balancer_controller_policy())},
            description=f"AWS Load Balancer Controller in {stage.slug}: the Gateway's internal NLB",
        )
        self.release = helm_release(
            f"{name}-release",
            release_name=CHART,
            pin=pin,
            namespace=NAMESPACE,
            values=controller_values(AwsNames(stage.slug).eks_cluster, region, vpc_id, stage),
            # Its pods need nodes and CoreDNS; its credentials need the association first (injected at pod creation).
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[*after, identity.association]),
        )
        self.register_outputs({"roleArn": identity.role.arn})
