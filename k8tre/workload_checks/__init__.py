"""Checks on what the cluster will really run: the charts expanded with the program's values.

Each module is one check, a pure function over plain objects (no Pulumi): schema validity,
Pod Security Standards, Argo CD AppProject permissions, pinned images, chart values, what the
rendered ValidatingAdmissionPolicies would refuse and namespaces without a Pod Security label.
``run.check_workloads`` runs them all over a graph's manifests and expanded releases.
"""
