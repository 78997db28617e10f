"""A resource monitor that records every registration, call and stack output."""

from __future__ import annotations

import threading
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks

from .graph import Options, RecordedInvoke, RecordedResource, Secret


def _plain(value: Any) -> Any:
    # Secrets arrive wrapped by the SDK's signature dict; keep the mark, drop the wrapper.
    if rpc.is_rpc_secret(value):
        return Secret(_plain(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles; the program wrote an integer
    return value


def _provider_urn(reference: str) -> str:
    # A provider reference is "<urn>::<id>"; the URN is what identifies it.
    return reference.rsplit("::", 1)[0] if reference else ""


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, keeping what each request carried: parent, provider, options, inputs."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.recorded: dict[str, RecordedResource] = {}
        self.invokes: list[RecordedInvoke] = []
        self.stack_outputs: dict[str, Any] = {}

    def _record(self, request: Any, properties: Any, *, custom: bool, options: Options, physical_id: str) -> None:
        urn = self.make_urn(request.parent, request.type, request.name)
        record = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            provider=_provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            custom=custom,
            inputs=_plain(rpc.deserialize_properties(properties, keep_unknowns=True)),
            options=options,
            id=physical_id,
        )
        with self._lock:
            self.recorded[urn] = record

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Let the mocks answer the registration, and record it with the id they gave."""
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        property_deps = {dep for deps in request.propertyDependencies.values() for dep in deps.urns}
        options = Options(
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=tuple(request.ignoreChanges),
            # The SDK folds dependsOn into dependencies; what no property needs came from dependsOn.
            depends_on=tuple(sorted(set(request.dependencies) - property_deps)),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            aliases=tuple(alias.urn or alias.spec.name for alias in request.aliases),
        )
        physical_id = str(getattr(response, "id", "") or "")
        self._record(request, request.object, custom=bool(request.custom), options=options, physical_id=physical_id)
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Record a read (StackReference, ``.get`` of an existing resource), then let the mocks answer it."""
        options = Options(False, False, False, (), (), tuple(request.additionalSecretOutputs), ())
        self._record(request, request.properties, custom=True, options=options, physical_id=request.id)
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Record the call, then let the mocks answer it."""
        args = _plain(rpc.deserialize_properties(request.args, keep_unknowns=True))
        with self._lock:
            self.invokes.append(RecordedInvoke(request.tok, args, _provider_urn(request.provider)))
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Keep the stack's outputs (the component outputs are not part of the graph)."""
        if "::pulumi:pulumi:Stack::" in request.urn:
            outputs = _plain(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
            with self._lock:
                self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]
