"""DNS name patterns as Cilium matches them (``toFQDNs`` and L7 ``dns`` rules alike).

From cilium/cilium ``pkg/fqdn/matchpattern/matchpattern.go``: names are compared
lower-case and fully qualified; ``*`` alone matches every name; ``**.`` at the start of
a pattern matches one or more whole labels; any other ``*`` matches zero or more DNS
characters ``[-a-zA-Z0-9_]`` inside one label (so ``*.example.org`` matches
``a.example.org`` but neither ``example.org`` nor ``a.b.example.org``). A
``matchName`` is an exact name.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CHARS = "[-a-zA-Z0-9_]"


def _fqdn(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else f"{name}."


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    pattern = _fqdn(pattern)
    if pattern in ("*.", "**."):
        return re.compile(f"^({_CHARS}+[.])+$|^[.]$")
    prefix = ""
    if pattern.startswith("**."):
        prefix, pattern = f"({_CHARS}+[.])+", pattern[3:]
    body = re.escape(pattern).replace(r"\*", f"{_CHARS}*")
    return re.compile(f"^{prefix}{body}$")


def name_matches(pattern: str, name: str) -> bool:
    """Whether a ``matchName``/``matchPattern`` value matches the DNS name."""
    return bool(_regex(pattern).match(_fqdn(name)))
