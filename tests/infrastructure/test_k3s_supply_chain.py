"""K3s comes from exactly the pinned release and is installed only if it matches its checksums; air gap works offline.

Run for real in the install test's sandbox (commands stubbed, no network): the URLs fetched, a tampered
binary refused before anything is installed, a digest pinned in the stack file enforced, and the air-gap
mode installing from files on the machine without fetching anything.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from test_k3s_install import BINARY, BINARY_SHA256, _log, _run, sandbox  # noqa: F401 - the fixture

VERSION = "v1.34.2+k3s1"


def _fetched(scratch: Path) -> list[str]:
    path = scratch / "fetched"
    return path.read_text().splitlines() if path.exists() else []


def test_the_pinned_release_is_fetched_never_the_moving_installer(sandbox: Path) -> None:  # noqa: F811
    _run(sandbox, version=VERSION)
    release = "https://github.com/k3s-io/k3s/releases/download/v1.34.2%2Bk3s1"
    assert _fetched(sandbox) == [
        f"{release}/k3s",
        f"{release}/sha256sum-amd64.txt",
        "https://raw.githubusercontent.com/k3s-io/k3s/v1.34.2+k3s1/install.sh",
    ]
    installed = sandbox / "root/usr/local/bin/k3s"
    assert installed.read_text() == BINARY
    assert installed.stat().st_mode & 0o777 == 0o755
    assert "INSTALL_K3S_SKIP_DOWNLOAD=true" in (sandbox / "installer-env").read_text().splitlines()


def test_a_binary_that_does_not_match_the_release_checksum_is_not_installed(sandbox: Path) -> None:  # noqa: F811
    (sandbox / "tampered").write_text("")
    message = _run(sandbox, version=VERSION, ok=False)
    assert "does not match its SHA-256" in message
    assert _log(sandbox) == [], "the installer never ran"
    assert not (sandbox / "root/usr/local/bin/k3s").exists()


def test_a_digest_pinned_in_the_stack_file_is_enforced(sandbox: Path) -> None:  # noqa: F811
    # The release page's list agrees with the binary, but the stack pins another digest: refused.
    message = _run(sandbox, version=VERSION, ok=False, extra={"K3S_BINARY_SHA256": "0" * 64})
    assert "pinned in the stack file" in message
    assert _log(sandbox) == []
    _run(sandbox, version=VERSION, extra={"K3S_BINARY_SHA256": BINARY_SHA256})
    assert _log(sandbox) == [f"installer server version={VERSION}"]


def _bundle(scratch: Path, images: bytes = b"images") -> Path:
    bundle = scratch / "root/opt/k8tre/k3s"
    bundle.mkdir(parents=True)
    (bundle / "k3s").write_text(BINARY)
    (bundle / "install.sh").write_text(
        'echo "installer $* version=$INSTALL_K3S_VERSION" >>"$SANDBOX/log"\n'
        'printf %s "$INSTALL_K3S_VERSION" >"$SANDBOX/installed"\n'
    )
    sums = f"{BINARY_SHA256}  k3s\n{hashlib.sha256(b'images').hexdigest()}  k3s-airgap-images-amd64.tar.zst\n"
    (bundle / "sha256sum-amd64.txt").write_text(sums)
    (bundle / "k3s-airgap-images-amd64.tar.zst").write_bytes(images)
    return bundle


AIRGAP = {"K3S_INSTALL_MODE": "airgap", "K3S_BUNDLE_DIR": "/opt/k8tre/k3s"}


def test_airgap_installs_from_the_bundle_without_the_network(sandbox: Path) -> None:  # noqa: F811
    _bundle(sandbox)
    _run(sandbox, version=VERSION, extra=AIRGAP)
    assert _fetched(sandbox) == [], "nothing downloaded"
    assert _log(sandbox) == [f"installer server version={VERSION}"]
    images = sandbox / "root/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst"
    assert images.read_bytes() == b"images", "the image archive is where K3s imports it at start"


def test_airgap_refuses_a_missing_file_or_a_changed_image_archive(sandbox: Path) -> None:  # noqa: F811
    bundle = _bundle(sandbox, images=b"other images")
    assert "k3s-airgap-images-amd64.tar.zst (sha256sum-amd64.txt) does not match" in _run(
        sandbox, version=VERSION, ok=False, extra=AIRGAP
    )
    (bundle / "install.sh").unlink()
    assert "install.sh is missing" in _run(sandbox, version=VERSION, ok=False, extra=AIRGAP)
    assert _log(sandbox) == []
