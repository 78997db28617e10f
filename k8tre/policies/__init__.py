"""Compliance rules over the recorded resource graph (shared by tests, `k8tre check` and CrossGuard)."""
