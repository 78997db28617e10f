"""A resource monitor that records every registration, call and stack output.

It also refuses what Pulumi's engine refuses (``pulumi/pulumi``
``pkg/resource/deploy/step_generator.go``): a second registration of a URN ("Duplicate
resource URN ...; try giving it a unique name", ``pkg/diag/errors.go``) and a resource whose
parent was never registered ("could not find parent resource"). And it refuses what the
engine only warns about but is always a bug here: an ``Output`` turned into text (the SDK's
``Output.__str__`` returns a warning sentence, which then lands in a name or an input).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.settings import get_project, get_stack

from .graph import Options, RecordedInvoke, RecordedResource, Secret
from .sdk_private import OUTPUT_AS_TEXT


class RegistrationRefused(Exception):  # noqa: N818 - reads as what happened to the registration
    """A registration the real engine (or this project) refuses; the run stops with this message."""

    def __init__(self, message: str, *, urn: str = "", type_: str = "", name: str = "") -> None:
        super().__init__(message)
        self.urn = urn
        self.type = type_
        self.name = name


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Secret):
        yield from _texts(value.value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


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


def _ensure_event_loop() -> None:
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def _provider_urn(reference: str) -> str:
    # A provider reference is "<urn>::<id>"; the URN is what identifies it.
    return reference.rsplit("::", 1)[0] if reference else ""


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, keeping what each request carried: parent, provider, options, inputs."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self.recorded: dict[str, RecordedResource] = {}
        self._claimed: set[str] = set()
        self.invokes: list[RecordedInvoke] = []
        self.stack_outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the real engine gives: the parent's full qualified type, except the root stack's.

        ``MockMonitor.make_urn`` keeps only the parent's last type and includes the stack's; the
        engine's rule is ``generateURN`` in ``pkg/resource/deploy/deployment.go`` and ``NewURN``
        in ``sdk/go/common/resource/urn.go`` (pulumi/pulumi).
        """
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), qualified, name])

    def _admit(self, request: Any, inputs: Any) -> str:
        """Refuse what the engine refuses, before any mock sees the request; the URN it will have."""
        urn = self.make_urn(request.parent, request.type, request.name)
        what = f"{request.type} {request.name.replace(OUTPUT_AS_TEXT, '<Output>')!r}"
        if any(OUTPUT_AS_TEXT in text for text in (request.name, *_texts(inputs))):
            raise RegistrationRefused(
                f"{what} was given an Output as plain text (f-string or str() of an Output) in its name or inputs: "
                "build the text with Output.concat/.apply instead",
                urn=urn,
                type_=request.type,
                name=request.name,
            )
        with self._lock:
            # Claimed here, under the lock: registrations run concurrently on executor threads.
            if urn in self._claimed:
                raise RegistrationRefused(
                    f"Duplicate resource URN '{urn}'; try giving it a unique name", urn=urn, type_=request.type, name=request.name
                )
            if request.parent and request.parent not in self.recorded:
                raise RegistrationRefused(
                    f"{what}: could not find parent resource {request.parent}", urn=urn, type_=request.type, name=request.name
                )
            self._claimed.add(urn)
        return urn

    def _record(self, urn: str, request: Any, inputs: Any, *, custom: bool, options: Options, physical_id: str) -> None:
        record = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            provider=_provider_urn(request.provider),
            dependencies=tuple(sorted(set(request.dependencies))),
            custom=custom,
            inputs=inputs,
            options=options,
            id=physical_id,
        )
        with self._lock:
            self.recorded[urn] = record

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Refuse what the engine refuses, let the mocks answer, and record the registration with their id."""
        _ensure_event_loop()  # this runs on an executor thread; reading resource references needs a loop
        inputs = _plain(rpc.deserialize_properties(request.object, keep_unknowns=True))
        urn = self._admit(request, inputs)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        options = Options(
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=tuple(request.ignoreChanges),
            # The request carries dependsOn already expanded into dependencies (components into their
            # children): the option as written is read from the program itself (see declared.py).
            depends_on=(),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            aliases=tuple(alias.urn or alias.spec.name for alias in request.aliases),
            replace_on_changes=tuple(request.replaceOnChanges),
        )
        physical_id = str(getattr(response, "id", "") or "")
        self._record(urn, request, inputs, custom=bool(request.custom), options=options, physical_id=physical_id)
        return response

    def forget(self) -> None:
        """Drop every registration so far (the stack ``set_mocks`` made for itself is not the program's)."""
        with self._lock:
            self.recorded.clear()
            self._claimed.clear()
            self.resources.clear()
            self.stack_outputs = {}

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Record a read (StackReference, ``.get`` of an existing resource), then let the mocks answer it."""
        _ensure_event_loop()
        inputs = _plain(rpc.deserialize_properties(request.properties, keep_unknowns=True))
        urn = self._admit(request, inputs)
        options = Options(False, False, False, (), (), tuple(request.additionalSecretOutputs), ())
        self._record(urn, request, inputs, custom=True, options=options, physical_id=request.id)
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Record the call, then let the mocks answer it."""
        args = _plain(rpc.deserialize_properties(request.args, keep_unknowns=True))
        if any(OUTPUT_AS_TEXT in text for text in _texts(args)):
            raise RegistrationRefused(f"the call {request.tok} was given an Output as plain text in its arguments")
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
