#!/usr/bin/env bash
# Security scan of everything the program renders: checkov's Kubernetes checks, offline.
#
# checkov runs from its own tool environment (uv tool run), so its many dependencies never
# mix with the project's. It scans the program's manifests and every chart expanded with the
# program's values (workloads/). Findings accepted on purpose are listed in .checkov-accepted.yaml,
# each with its check, resource and reason; any other failed check fails this script.
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
    rm -rf "$out"
    # The render expands every chart (workloads/): checkov sees what will really run, not only the program's objects.
    "${uv[@]}" run --frozen k8tre render "$stack" --out "$out" >/dev/null
    echo "== checkov: $name ($(find "$out/manifests" -name '*.yaml' | wc -l) manifests, $(find "$out/workloads" -name '*.yaml' ! -name '_release.yaml' | wc -l) chart objects)"
    reports=()
    for part in manifests workloads; do
        # One directory per run: with several --directory options checkov's JSON output is empty.
        "${uv[@]}" tool run --from "checkov==${CHECKOV_VERSION}" checkov \
            --directory "$out/$part" \
            --framework kubernetes \
            --config-file .checkov.yaml \
            --skip-download \
            --output json >"$out/checkov-$part.json" || true
        reports+=("$out/checkov-$part.json")
    done
    # checkov cannot skip a check for one resource of a chart, so accepted findings (check + resource + reason)
    # live in .checkov-accepted.yaml and are filtered here; anything else fails the scan.
    "${uv[@]}" run --frozen python -m k8tre.workload_checks.checkov_filter .checkov-accepted.yaml "${reports[@]}" || status=1
done
exit "$status"
