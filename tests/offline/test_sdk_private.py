"""The SDK internals the offline engine relies on (k8tre/offline/sdk_private.py) still behave as assumed.

Each assertion names what changed, so an SDK upgrade that breaks one says where to look.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.runtime
import pytest

from k8tre.offline import sdk_private


def _in_thread(check: Callable[[], Any]) -> Any:
    # A thread of its own: fresh context variables and an event loop that is closed afterwards.
    outcome: dict[str, Any] = {}

    def target() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            outcome["value"] = check()
        except BaseException as error:
            outcome["error"] = error
        finally:
            loop.close()

    worker = threading.Thread(target=target)
    worker.start()
    worker.join(30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_the_root_stack_lives_where_clear_root_stack_looks() -> None:
    from pulumi.runtime import settings

    root = getattr(settings, "ROOT", None)
    assert isinstance(root, contextvars.ContextVar), (
        "Pulumi SDK changed: pulumi.runtime.settings.ROOT is no longer the root stack's ContextVar; "
        "update sdk_private.clear_root_stack (the engine needs a fresh root after set_mocks)"
    )

    def check() -> object:
        settings.ROOT.set(object())
        assert pulumi.runtime.get_root_resource() is not None
        sdk_private.clear_root_stack()
        return pulumi.runtime.get_root_resource()

    assert _in_thread(check) is None, "Pulumi SDK changed: get_root_resource() no longer reads settings.ROOT"


def test_an_output_turned_into_text_still_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sdk_private.ERROR_OUTPUT_STRING, raising=False)
    text = _in_thread(lambda: str(pulumi.Output.from_input("value")))
    assert sdk_private.OUTPUT_AS_TEXT in text, (
        f"Pulumi SDK changed: str(Output) now returns {text[:80]!r}; update sdk_private.OUTPUT_AS_TEXT "
        "or the recording monitor will no longer see Outputs used as text"
    )


def test_the_public_switch_makes_output_text_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdk_private.ERROR_OUTPUT_STRING, "previous")
    with sdk_private.outputs_as_text_raise(), pytest.raises(Exception, match="Calling __str__ on an Output"):
        _in_thread(lambda: str(pulumi.Output.from_input("value")))
    assert os.environ[sdk_private.ERROR_OUTPUT_STRING] == "previous", "the caller's setting is restored"
    monkeypatch.delenv(sdk_private.ERROR_OUTPUT_STRING)
    with sdk_private.outputs_as_text_raise():
        pass
    assert sdk_private.ERROR_OUTPUT_STRING not in os.environ


def test_depends_on_still_reaches_the_engine_expanded() -> None:
    # declared.py reads depends_on in Python because the SDK expands components before the request;
    # if the SDK ever sends the option as written, the engine can take it from the request instead.
    from pulumi.runtime import _depends_on

    assert hasattr(_depends_on, "_resolve_depends_on_urns"), (
        "Pulumi SDK changed how depends_on is resolved: check whether RegisterResourceRequest now "
        "carries dependsOn as written (then record it from the request, not through declared.py)"
    )
