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
stacks=(dev stg prod examples/Pulumi.aws-dev.yaml examples/Pulumi.aws-prod.yaml examples/Pulumi.k3s-dev.yaml examples/Pulumi.k3s-prod.yaml examples/Pulumi.mgmt.yaml)

if command -v uv >/dev/null 2>&1; then
    uv=(uv)
else
    uv=(python3 -m uv)
fi

status=0
all_reports=()
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
    all_reports+=("${reports[@]}")
    # checkov cannot skip a check for one resource of a chart, so accepted findings (check + resource + reason)
    # live in .checkov-accepted.yaml and are filtered here; any unexplained finding fails the scan. An entry
    # may match nothing in one stack (redis-ha runs only with HA), so staleness is judged on the whole scan below.
    "${uv[@]}" run --frozen python - .checkov-accepted.yaml "${reports[@]}" <<'PY' || status=1
import json, sys
from pathlib import Path
from k8tre.workload_checks.checkov_filter import failed_checks, load_accepted, unexplained
failed = failed_checks(json.loads(Path(p).read_text(encoding="utf-8") or "[]") for p in sys.argv[2:])
left, _ = unexplained(failed, load_accepted(Path(sys.argv[1])))
print(f"checkov: {len(failed)} failed checks, {len(left)} unexplained")
for line in left:
    print(f"  UNEXPLAINED {line}")
sys.exit(1 if left else 0)
PY
done
echo "== checkov: whole scan (${#stacks[@]} stacks)"
# Every finding again, and every accepted entry must match something somewhere: a stale entry fails.
"${uv[@]}" run --frozen python -m k8tre.workload_checks.checkov_filter .checkov-accepted.yaml "${all_reports[@]}" || status=1
exit "$status"
