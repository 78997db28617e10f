"""The K8TRE Pulumi program: load and validate this stack's config, build the three layers, export."""

from k8tre.program import main

main()
