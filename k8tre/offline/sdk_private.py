"""The only places where the offline engine relies on Pulumi SDK internals.

Everything else in ``k8tre.offline`` uses the SDK's public surface (``pulumi.runtime.set_mocks``,
``set_all_config``, ``run_in_stack``, ``register_stack_transformation``, the ``MockMonitor``
that ``set_mocks(monitor=...)`` accepts). What is here has no public equivalent; each item
says why it is needed, and ``tests/offline/test_sdk_private.py`` fails with a clear message
when an SDK upgrade changes it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

OUTPUT_AS_TEXT = "Calling __str__ on an Output[T] is not supported"
"""The sentence ``Output.__str__`` (``pulumi/output.py``) returns instead of the value.

Without ``PULUMI_ERROR_OUTPUT_STRING`` the SDK only logs a warning and the sentence becomes
part of the text the program built (a resource name, a label); the recording monitor looks
for it so that a run the environment variable did not cover still fails.
"""

ERROR_OUTPUT_STRING = "PULUMI_ERROR_OUTPUT_STRING"
"""Public switch that makes ``str(output)`` raise (Pulumi CLI environment variables,
https://www.pulumi.com/docs/iac/cli/environment-variables/); read by the SDK on every call."""


def clear_root_stack() -> None:
    """Forget the current root stack resource so that ``run_in_stack`` can make the program's own.

    ``set_mocks`` creates and finishes a root ``pulumi:pulumi:Stack`` of its own, and
    ``run_in_stack`` refuses to start while one is set ("Only one root Pulumi Stack may be
    active at once"). The SDK keeps the root in the context variable ``settings.ROOT``; its
    setter ``set_root_resource`` is not exported from ``pulumi.runtime``.
    """
    from pulumi.runtime import settings

    settings.ROOT.set(None)


@contextmanager
def outputs_as_text_raise() -> Iterator[None]:
    """While inside, ``str()`` of an Output raises at the line that did it (the SDK reads the variable per call).

    Process-wide, because the SDK reads ``os.environ``: the previous value is restored on exit.
    """
    previous = os.environ.get(ERROR_OUTPUT_STRING)
    os.environ[ERROR_OUTPUT_STRING] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ERROR_OUTPUT_STRING, None)
        else:
            os.environ[ERROR_OUTPUT_STRING] = previous
