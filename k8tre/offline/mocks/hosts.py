"""Kubernetes objects, Helm releases, K3s commands over SSH and random values, as their providers answer."""

from __future__ import annotations

import base64
import hashlib

from pulumi.runtime import MockResourceArgs

from .common import CA_DATA, Outputs, autoname, kubeconfig_document, stable_hex, stable_uuid

K3S_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"


def command(args: MockResourceArgs) -> tuple[str, Outputs]:
    """``command:remote:Command``: what the command prints, when that can be known from the command.

    Reading K3s's kubeconfig prints the file K3s writes for local use: cluster, user and context all
    named ``default``, server ``https://127.0.0.1:6443``, client-certificate authentication
    (https://docs.k3s.io/cluster-access). Any other command's output is not modelled: empty.
    """
    create = str(args.inputs.get("create", ""))
    stdout = ""
    if create.startswith("sudo sha256sum ") and create.endswith("/server/tls/server-ca.crt"):
        # The digest of the same CA this engine's K3s kubeconfig carries (what the first server wrote).
        stdout = f"{hashlib.sha256(base64.b64decode(CA_DATA)).hexdigest()}  {create.split()[-1]}\n"
    elif " create token " in create:
        # TokenRequest through kubectl prints a JWT (header {"alg":"RS256",...} base64url: "eyJ..."); the script
        # then prints the cluster CA this engine's K3s carries, base64 on one line.
        header = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"offline"}').decode().rstrip("=")
        stdout = f"{header}.{stable_hex(args.name, 32)}.{stable_hex(args.name + 'sig', 32)}\n{CA_DATA}\n"
    elif K3S_KUBECONFIG in create:
        user = {"client-certificate-data": CA_DATA, "client-key-data": base64.b64encode(b"offline-key").decode()}
        stdout = kubeconfig_document("default", "https://127.0.0.1:6443", "default", user)
    return autoname(args.name), {**args.inputs, "stdout": stdout, "stderr": ""}


# The character sets terraform-provider-random draws from (docs for random_password: upper, lower,
# numeric and special all default to true; the default special set is !@#$%&*()-_=+[]{}<>:?).
_CLASSES = {
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "numeric": "0123456789",
    "special": "!@#$%&*()-_=+[]{}<>:?",
}


def random_password(args: MockResourceArgs) -> tuple[str, Outputs]:
    """``random:RandomPassword``: ``length`` characters drawn from the classes the inputs allow.

    Deterministic (seeded by the resource's name) so that renders are stable; at least one character of
    each allowed class, as the provider guarantees ``min_*`` of 0 or more.
    """
    length = int(args.inputs.get("length", 0))
    classes = [chars for name, chars in _CLASSES.items() if args.inputs.get(name, True)]
    if "overrideSpecial" in args.inputs and args.inputs.get("special", True):
        classes[-1] = str(args.inputs["overrideSpecial"])
    alphabet = "".join(classes)
    if not alphabet or length < len(classes):
        raise ValueError(f"random password {args.name}: no characters allowed, or too short for every class")
    seed = int(stable_hex(args.name, 16), 16)
    picks = [classes[i % len(classes)][(seed >> (i % 48)) % len(classes[i % len(classes)])] for i in range(len(classes))]
    state = seed
    while len(picks) < length:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64  # a fixed LCG: stable, not secret
        picks.append(alphabet[(state >> 33) % len(alphabet)])
    value = "".join(picks)
    return "none", {**args.inputs, "result": value, "bcryptHash": "$2a$10$" + stable_hex(value, 53)}


def helm_release(args: MockResourceArgs) -> tuple[str, Outputs]:
    """``helm.sh/v3:Release``: deployed at revision 1 under its given (or generated) name and namespace."""
    inputs = args.inputs
    namespace = inputs.get("namespace") or "default"
    name = inputs.get("name") or autoname(args.name)
    status = {
        "name": name,
        "namespace": namespace,
        "chart": inputs.get("chart"),
        "version": inputs.get("version"),
        "revision": 1,
        "status": "deployed",
    }
    return f"{namespace}/{name}", {**inputs, "name": name, "status": status}


def kubernetes_object(args: MockResourceArgs) -> tuple[str, Outputs]:
    """A Kubernetes object: its name (pulumi-kubernetes autonames ``<name>-<8 chars>``) and a uid."""
    inputs = args.inputs
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", f"{args.name}-{stable_hex(args.name, 8)}")
    metadata["uid"] = stable_uuid(args.typ + str(metadata.get("namespace")) + metadata["name"])
    namespace = metadata.get("namespace")
    ident = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    if args.typ == "kubernetes:core/v1:Secret" and inputs.get("type") == SERVICE_ACCOUNT_TOKEN:
        return ident, {**inputs, "metadata": metadata, "data": _token_controller_data(metadata)}
    return ident, {**inputs, "metadata": metadata}


SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"  # noqa: S105 - a Secret type, not a secret


def _token_controller_data(metadata: dict[str, object]) -> dict[str, str]:
    """What the token controller writes into a service-account-token Secret, and pulumi-kubernetes waits for.

    ``token`` (a signed JWT: derived here from the Secret's identity, never asserted on), ``ca.crt`` (the
    cluster's CA, the one its kubeconfig carries) and ``namespace``, each base64-encoded as ``data`` is
    (https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets; the provider's
    awaiter: https://github.com/pulumi/pulumi-kubernetes/pull/2048).
    """
    namespace = str(metadata.get("namespace") or "default")
    token = f"offline-token.{stable_hex(namespace + str(metadata['name']), 32)}"
    return {
        "ca.crt": base64.b64encode(base64.b64decode(CA_DATA)).decode(),
        "namespace": base64.b64encode(namespace.encode()).decode(),
        "token": base64.b64encode(token.encode()).decode(),
    }
