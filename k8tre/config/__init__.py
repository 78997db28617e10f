"""Stack configuration: pydantic models and loading; creates no Pulumi resources."""

from .cluster import (
    AwsClusterConfig,
    AwsNodeGroup,
    AzureClusterConfig,
    AzureNodePool,
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
    "K3sClusterConfig",
    "K3sHost",
    "K8treConfig",
    "SecretRef",
    "build",
    "load_file",
    "load_running_stack",
    "read_stack_file",
]
