"""How a machine obtains the K3s release: the install script's settings from ``k8tre:cluster.install``."""

from __future__ import annotations

from ...config.k3s_options import K3sInstall


def install_settings(install: K3sInstall) -> dict[str, str]:
    """Plain shell variables for install-k3s.sh: the mode, the air-gap bundle and the digests to enforce.

    The script always checks the binary against the release's own ``sha256sum-<arch>.txt``; these digests,
    when set, pin the binary and the installer independently of the release page (K3s docs, "Air-Gap Install":
    https://docs.k3s.io/installation/airgap; release assets at https://github.com/k3s-io/k3s/releases).
    """
    settings: dict[str, str] = {"K3S_INSTALL_MODE": install.mode}
    if install.mode == "airgap":
        settings["K3S_BUNDLE_DIR"] = install.bundle_dir
    if install.binary_sha256:
        settings["K3S_BINARY_SHA256"] = install.binary_sha256
    if install.installer_sha256:
        settings["K3S_INSTALLER_SHA256"] = install.installer_sha256
    return settings
