#!/usr/bin/env bash
# Security scan of everything the program renders: checkov's Kubernetes checks, offline.
#
# checkov runs from its own tool environment (uv tool run), so its many dependencies never
# mix with the project's. Findings we accept on purpose are skipped in .checkov.yaml, each
# with its reason; any other finding fails this script.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHECKOV_VERSION="3.3.30"
stacks=(dev stg prod examples/Pulumi.aws-dev.yaml examples/Pulumi.k3s-dev.yaml)

if command -v uv >/dev/null 2>&1; then
    uv=(uv)
else
    uv=(python3 -m uv)
fi

status=0
for stack in "${stacks[@]}"; do
    name="$(basename "$stack" .yaml)"
    name="${name#Pulumi.}"
    out="build/scan/$name"
    "${uv[@]}" run --frozen k8tre render "$stack" --out "$out" >/dev/null
    echo "== checkov: $name ($(find "$out/manifests" -name '*.yaml' | wc -l) manifests)"
    "${uv[@]}" tool run --from "checkov==${CHECKOV_VERSION}" checkov \
        --directory "$out/manifests" \
        --framework kubernetes \
        --config-file .checkov.yaml \
        --skip-download \
        --compact \
        --quiet || status=1
done
exit "$status"
