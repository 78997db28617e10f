"""Stack configuration: pydantic models and loading; creates no Pulumi resources."""

from .azure import AzureClusterConfig, AzureNodePool, CreatedHub, ExistingHub, StackHub
from .cluster import (
    AwsClusterConfig,
    AwsNodeGroup,
    ClusterConfig,
    K3sClusterConfig,
    K3sHost,
)
from .loader import ConfigError, build, load_file, load_running_stack, read_stack_file
from .model import K8treConfig
from .secrets import SecretRef

__all__ = [
    "AwsClusterConfig",
    "AwsNodeGroup",
    "AzureClusterConfig",
    "AzureNodePool",
    "ClusterConfig",
    "ConfigError",
    "CreatedHub",
    "ExistingHub",
    "K3sClusterConfig",
    "K3sHost",
    "K8treConfig",
    "SecretRef",
    "StackHub",
    "build",
    "load_file",
    "load_running_stack",
    "read_stack_file",
]
