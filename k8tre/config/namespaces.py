"""The keys of a stack file outside ``k8tre:``: misspelt namespaces and other providers' credentials.

Other namespaces belong to Pulumi's providers (``azure-native:location``,
``aws:region``) and are not K8TRE's to validate, with two exceptions that would
otherwise hurt silently: a section meant for ``k8tre:`` under a misspelt namespace
(the program never reads it, so the stack quietly falls back to defaults), and a
provider credential in plain text in a file that is committed to Git.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator

NAMESPACE = "k8tre"

PROVIDER_SECRETS: dict[str, frozenset[str]] = {
    # pulumi-azure-native's provider schema marks these config variables secret (its generated
    # SDK wraps them in Output.secret: pulumi_azure_native/provider.py). The OIDC tokens are
    # bearer credentials too (provider docs, "Authenticate with OIDC"): a token in Git is a login.
    "azure-native": frozenset({"clientSecret", "clientCertificatePassword", "clientId", "oidcToken", "oidcRequestToken"}),
    # pulumi-aws's schema marks accessKey, secretKey and token secret (pulumi_aws/provider.py
    # wraps them in Output.secret and lists them in additional_secret_outputs).
    "aws": frozenset({"accessKey", "secretKey", "token"}),
}
"""Provider config keys that hold credentials: accepted only as ``secure:`` values."""

_KUBECONFIG_CONTENT = re.compile(r"apiVersion|clusters|users|token|client-key-data|\n|^\s*\{")


def top_level_issues(keys: Iterable[str], plain_values: dict[str, object]) -> Iterator[tuple[str, str]]:
    """Problems with the stack file's top-level keys: (key, message).

    ``plain_values`` maps each key that is *not* a ``secure:`` value to its value.
    """
    for key in keys:
        namespace, sep, name = key.partition(":")
        if not sep:
            # Pulumi parses every config key as <namespace>:<name> and refuses anything else
            # (pulumi sdk/go/common/resource/config/key.go, ParseKey).
            yield key, _no_namespace(key)
            continue
        if namespace != NAMESPACE and _looks_like_k8tre(namespace):
            yield (
                key,
                f"is in namespace {namespace!r}, not 'k8tre': the program would never read it (did you mean `k8tre:{name}`?)",
            )
        if key in plain_values and name in PROVIDER_SECRETS.get(namespace, frozenset()):
            yield (
                key,
                f"is a credential in plain text: set it with `pulumi config set --secret {key}` so the file holds it encrypted",
            )
        if key == "kubernetes:kubeconfig" and _KUBECONFIG_CONTENT.search(str(plain_values.get(key, ""))):
            # pulumi-kubernetes takes the file's contents or its path; contents carry the cluster's credentials.
            yield key, "holds a kubeconfig's contents in plain text: give its path, or set it with `pulumi config set --secret`"


def _looks_like_k8tre(namespace: str) -> bool:
    folded = namespace.lower()
    return folded.startswith(NAMESPACE) or difflib.SequenceMatcher(None, folded, NAMESPACE).ratio() >= 0.8


def _no_namespace(key: str) -> str:
    match = re.match(r"(?i)^(k8tre)[._/-](.+)$", key)
    if match or _looks_like_k8tre(key.split(".")[0]):
        hint = f"`k8tre:{match.group(2)}`" if match else "a `k8tre:<setting>` key"
        return (
            f"is not a `<namespace>:<name>` key, so Pulumi refuses it and the program would never read it (did you mean {hint}?)"
        )
    return "is not a `<namespace>:<name>` key: Pulumi refuses it (K8TRE settings are `k8tre:<setting>`)"
