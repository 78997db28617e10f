"""Python that runs inside JupyterHub's hub (``hub.extraConfig``), kept as real files so tests execute it."""
