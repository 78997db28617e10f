"""Mock providers for the offline engine: each output computed from the inputs as the provider would.

Every resource type and function the program uses is modelled here; anything else is an
error naming it (never an echo of its inputs). Values a cloud generates and nothing can
derive (GUIDs, hex ids) come from :mod:`.common` and are never what a test asserts on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from ..graph import SECRET_TEXT, Secret
from .aws import AwsMocks
from .azure import AzureMocks
from .common import MockMissing, Outputs, kubeconfig_document, stable_uuid
from .hosts import command, helm_release, kubernetes_object, random_password

__all__ = ["K8treMocks", "MockMissing", "kubeconfig_document"]


class K8treMocks(Mocks):
    """Dispatches each resource type and call to the function that mimics its provider.

    ``config`` is the stack's configuration as the engine hands it to providers (``aws:region``,
    ``azure-native:location``); ``references`` are the outputs of other stacks, by the name a
    ``StackReference`` gives (``org/project/stack``).
    """

    def __init__(
        self, config: Mapping[str, str] | None = None, references: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        self.azure = AzureMocks(config or {})
        self.aws = AwsMocks(config or {})
        self.references = dict(references or {})
        self._calls: dict[str, Callable[[MockCallArgs], Outputs]] = {
            "azure-native:containerservice:listManagedClusterUserCredentials": self.azure.user_credentials,
            "azure-native:authorization:getClientConfig": self.azure.client_config,
            "aws:index/getAvailabilityZones:getAvailabilityZones": self.aws.availability_zones,
            "aws:index/getCallerIdentity:getCallerIdentity": self.aws.caller_identity,
        }

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        """Id and output state for a new resource; an unmodelled custom type is an error naming it."""
        typ = args.typ
        if not args.custom and typ != "pulumi:pulumi:StackReference":
            # A component (ours, or a provider's remote one such as yaml/v2:ConfigFile): no provider call,
            # the engine keeps its inputs. A remote component's children are not constructed offline.
            return "", dict(args.inputs)
        if typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        if typ.startswith("pulumi:providers:"):
            ident = stable_uuid(typ + args.name)
            if typ == "pulumi:providers:azure-native":
                self.azure.add_provider(ident, args.inputs)  # its resources are made in its subscription
            return ident, dict(args.inputs)
        if self.azure.handles(typ):
            return self.azure.new_resource(args)
        if self.aws.handles(typ):
            return self.aws.new_resource(args)
        if typ in ("command:remote:Command", "command:local:Command"):
            return command(args)  # a local command's output is not modelled either (Azure's RBAC wait prints nothing)
        if typ == "random:index/randomPassword:RandomPassword":
            return random_password(args)
        if typ == "kubernetes:helm.sh/v3:Release":
            return helm_release(args)
        if typ.startswith("kubernetes:") and typ.count(":") == 2:
            return kubernetes_object(args)
        raise MockMissing(
            f"the offline engine has no mock for the resource type {typ!r} ({args.name}): add one to k8tre/offline/mocks/"
        )

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, Outputs]:
        # Another stack's outputs are what that stack exported: given to the engine, never made up here.
        stack = str(args.inputs.get("name") or args.name)
        if stack not in self.references:
            raise MockMissing(
                f"StackReference {stack!r}: the offline engine has no outputs for that stack "
                "(render that stack first and pass --reference NAME=ITS_RENDER_DIR)"
            )
        # What the referenced stack kept secret stays secret here: a value still marked secret (a graph in memory)
        # or written as the redaction marker (graph.json), as the engine lists it in ``secretOutputNames``.
        outputs, secret = {}, []
        for key, value in self.references[stack].items():
            if isinstance(value, Secret) or value == SECRET_TEXT:
                secret.append(key)
            outputs[key] = value.value if isinstance(value, Secret) else value
        return stack, {"name": stack, "outputs": outputs, "secretOutputNames": sorted(secret)}

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """Answer a provider function call; an unknown one is an error, never a silent empty result."""
        handler = self._calls.get(args.token)
        if handler is None:
            raise MockMissing(f"the offline engine has no mock for the call {args.token!r}: add one to k8tre/offline/mocks/")
        return handler(args), []
