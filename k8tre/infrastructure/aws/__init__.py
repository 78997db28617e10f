"""AWS infrastructure: a VPC and EKS without the default VPC CNI and kube-proxy."""

from .eks import EksCluster

__all__ = ["EksCluster"]
