#!/usr/bin/env bash
# Measure how long the offline engine takes on this machine, and how much memory it needs.
#
#   scripts/benchmark.sh [RUNS]        RUNS defaults to 3; the median of the runs is reported
#   BENCHMARK_SKIP_TESTS=1 scripts/benchmark.sh    everything but the test suite
#
# It measures:
#   floor   a bare Python process that only imports the Pulumi SDK modules the dev stack uses;
#           no program can be faster than the imports it needs, so this is the yardstick
#   render  `uv run --frozen k8tre render dev` (what a person types), RUNS times
#   direct  `.venv/bin/k8tre render dev`: the same render without uv's start-up work
#   uv      `uv run --frozen true`: what uv itself costs before the program starts
#   tests   `uv run --frozen pytest -q -p no:cacheprovider`, once
#   charts  each chart the dev stack expands, rendered alone in a fresh process from its
#           recorded request (scripts/benchmark_charts.py): cold (empty expansion cache) and cached
#   expand  `.venv/bin/k8tre render dev` with an empty expansion cache (cold) and a warm one (cached)
# and prints a markdown table for docs/benchmarks.md, with the target
# "a cached full render (all charts expanded) in <= 2x the floor + 2 s".
# Every render here uses its own expansion cache under a temporary directory
# (K8TRE_EXPAND_CACHE), never the user's ~/.cache/k8tre/expand.
#
# Wall time and peak resident memory come from GNU time (/usr/bin/time) when it is
# installed, otherwise from Python's resource module around subprocess.run. Peak RSS is
# the largest single process in the measured tree (uv starts the program as a child).
set -euo pipefail

runs="${1:-3}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [RUNS]   (RUNS is a positive whole number, default 3)" >&2
    exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_COMPILE_BYTECODE=1

if command -v uv >/dev/null 2>&1; then
    uv=(uv)
else
    uv=(python3 -m uv)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The SDK packages load their submodules lazily, so importing a package is not enough:
# touching each name the dev stack uses makes Python load the module that defines it.
# The dev stack is on Azure; pulumi_random and pulumi_command are used by K3s stacks only,
# pulumi_aws by AWS stacks only, so they are not part of dev's floor.
floor_code='
import pulumi
import pulumi_azure_native as azure_native
import pulumi_kubernetes as k8s
from pulumi_azure_native import (
    authorization, containerservice, dns, features, keyvault, managedidentity, monitor, network,
    operationalinsights, privatedns, resources, storage,
)

used = (
    pulumi.ComponentResource,
    k8s.Provider,
    k8s.helm.v3.Release,
    k8s.yaml.v2.ConfigFile,
    k8s.core.v1.Namespace,
    k8s.meta.v1.ObjectMetaArgs,
    k8s.apiextensions.CustomResource,
    azure_native.Provider,
    containerservice.ManagedCluster,
    containerservice.list_managed_cluster_user_credentials_output,
    containerservice.MaintenanceConfiguration,
    authorization.RoleAssignment,
    authorization.get_client_config_output,
    dns.Zone,
    features.SubscriptionFeatureRegistration,
    keyvault.Vault,
    managedidentity.UserAssignedIdentity,
    managedidentity.FederatedIdentityCredential,
    monitor.DiagnosticSetting,
    network.VirtualNetwork,
    network.Subnet,
    network.AzureFirewall,
    network.FirewallPolicy,
    network.FirewallPolicyRuleCollectionGroup,
    network.PublicIPAddress,
    network.RouteTable,
    network.NetworkSecurityGroup,
    network.VirtualNetworkPeering,
    network.PrivateEndpoint,
    network.PrivateDnsZoneGroup,
    operationalinsights.Workspace,
    privatedns.PrivateZone,
    privatedns.VirtualNetworkLink,
    resources.ResourceGroup,
    storage.StorageAccount,
)
'

# measure OUTPUT_FILE COMMAND...: run COMMAND (its output to OUTPUT_FILE) and print
# "<seconds> <peak RSS in KiB> <exit code>".
measure() {
    local output="$1"
    shift
    local timing="$work/timing"
    local status=0
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%e %M' -o "$timing" "$@" >"$output" 2>&1 || status=$?
        # GNU time writes "Command exited with non-zero status N" before the figures.
        printf '%s %s\n' "$(tail -n 1 "$timing")" "$status"
    else
        python3 - "$output" "$@" <<'PY'
import resource
import subprocess
import sys
import time

output, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
with open(output, "wb") as sink:
    status = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT).returncode
elapsed = time.perf_counter() - start
# On Linux ru_maxrss is in KiB: the largest resident set of any waited-for child.
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{elapsed:.2f} {peak} {status}")
PY
    fi
}

# repeat LABEL COMMAND...: run COMMAND $runs times; print "<median s> <median KiB>".
# A failing run stops the benchmark: the time of a broken command means nothing.
repeat() {
    local label="$1"
    shift
    local seconds=() peaks=() line elapsed peak status i
    for ((i = 1; i <= runs; i++)); do
        line="$(measure "$work/$label.out" "$@")"
        read -r elapsed peak status <<<"$line"
        if [[ "$status" != 0 ]]; then
            echo "$label: '$*' exited with $status; its output:" >&2
            cat "$work/$label.out" >&2
            exit 1
        fi
        echo "  $label run $i/$runs: ${elapsed} s, $((peak / 1024)) MiB" >&2
        seconds+=("$elapsed")
        peaks+=("$peak")
    done
    printf '%s %s\n' "$(median "${seconds[@]}")" "$(median "${peaks[@]}")"
}

# median VALUE...: the middle value (the lower of the two middle ones for an even count).
median() {
    local sorted
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -g)
    printf '%s\n' "${sorted[$(((${#sorted[@]} - 1) / 2))]}"
}

mib() { awk -v kib="$1" 'BEGIN { printf "%.0f MiB", kib / 1024 }'; }
locked() { awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' uv.lock; }

echo "Preparing the environment (not timed): uv creates or updates .venv from uv.lock if needed" >&2
"${uv[@]}" run --frozen k8tre validate dev >/dev/null
echo "Warming an expansion cache and recording the dev stack's chart renders (not timed)" >&2
export K8TRE_EXPAND_CACHE="$work/warm"
.venv/bin/k8tre render dev --out "$work/build" >/dev/null
read -r -a charts <<<"$(.venv/bin/python scripts/benchmark_charts.py requests "$work/requests.json")"

echo "Measuring the floor ($runs runs)" >&2
result="$(repeat floor .venv/bin/python -c "$floor_code")"
read -r floor_s floor_kib <<<"$result"
echo "Measuring uv run --frozen k8tre render dev ($runs runs)" >&2
result="$(repeat render "${uv[@]}" run --frozen k8tre render dev)"
read -r render_s render_kib <<<"$result"
echo "Measuring .venv/bin/k8tre render dev ($runs runs)" >&2
result="$(repeat direct .venv/bin/k8tre render dev)"
read -r direct_s direct_kib <<<"$result"
echo "Measuring uv run --frozen true ($runs runs)" >&2
result="$(repeat uv "${uv[@]}" run --frozen true)"
read -r uv_s uv_kib <<<"$result"

echo "Measuring the dev render with an empty expansion cache ($runs runs)" >&2
# shellcheck disable=SC2016 # expanded by the inner bash, per run
result="$(repeat coldrender bash -c 'K8TRE_EXPAND_CACHE="$(mktemp -d -p "$0")" exec .venv/bin/k8tre render dev --out "$0/build"' "$work")"
read -r cold_s cold_kib <<<"$result"
chart_rows=""
for index in "${!charts[@]}"; do
    name="${charts[$index]}"
    echo "Measuring chart ${name} alone, cold and cached ($runs runs each)" >&2
    # shellcheck disable=SC2016 # expanded by the inner bash, per run
    result="$(repeat "chart$index" bash -c 'K8TRE_EXPAND_CACHE= exec .venv/bin/python scripts/benchmark_charts.py render "$0/requests.json" "$1" "$(mktemp -d -p "$0")"' "$work" "$index")"
    read -r chart_cold_s chart_cold_kib <<<"$result"
    result="$(repeat "cached$index" .venv/bin/python scripts/benchmark_charts.py render "$work/requests.json" "$index" "$work/warm")"
    read -r chart_warm_s chart_warm_kib <<<"$result"
    chart_rows+="| \`${name%%:*}\` (${name#*:}) | $runs | ${chart_cold_s} s | $(mib "$chart_cold_kib") | ${chart_warm_s} s | $(mib "$chart_warm_kib") |"$'\n'
done

if [[ "${BENCHMARK_SKIP_TESTS:-}" == 1 ]]; then
    # For re-measuring the renders alone on a shared machine; the table then says so.
    tests_s="-" tests_kib=0 tests_summary="not run: BENCHMARK_SKIP_TESTS=1"
else
    echo "Running the test suite once" >&2
    result="$(measure "$work/tests.out" "${uv[@]}" run --frozen pytest -q -p no:cacheprovider)"
    read -r tests_s tests_kib tests_status <<<"$result"
    tests_summary="$(grep -E '(passed|failed|error|no tests ran)' "$work/tests.out" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')"
    if [[ "$tests_status" != 0 ]]; then
        tests_summary="exit code $tests_status: ${tests_summary:-no summary line}"
    fi
fi

target="$(awk -v f="$floor_s" 'BEGIN { printf "%.2f", 2 * f + 2 }')"
verdict() { awk -v t="$1" -v limit="$target" 'BEGIN { print (t <= limit ? "met" : "not met") }'; }

cat <<EOF

Measured $(date -u +%Y-%m-%d) on $(nproc) cores / $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(.venv/bin/python --version), $("${uv[@]}" --version).
uv.lock: pulumi $(locked pulumi), pulumi-azure-native $(locked pulumi-azure-native), pulumi-kubernetes $(locked pulumi-kubernetes).

| What | Runs | Wall time (median) | Peak RSS (median) |
| --- | ---: | ---: | ---: |
| Floor: import the SDK modules the dev stack uses | $runs | ${floor_s} s | $(mib "$floor_kib") |
| \`uv run --frozen k8tre render dev\` (charts expanded, cached) | $runs | ${render_s} s | $(mib "$render_kib") |
| \`.venv/bin/k8tre render dev\` (no uv; charts expanded, cached) | $runs | ${direct_s} s | $(mib "$direct_kib") |
| \`.venv/bin/k8tre render dev\` (no uv; empty expansion cache: every chart rendered) | $runs | ${cold_s} s | $(mib "$cold_kib") |
| \`uv run --frozen true\` (uv alone) | $runs | ${uv_s} s | $(mib "$uv_kib") |
| \`uv run --frozen pytest -q -p no:cacheprovider\` (${tests_summary}) | 1 | ${tests_s} s | $(mib "$tests_kib") |

Each chart alone, in a fresh process (Python start-up and the imports included):

| Chart (file) | Runs | Cold: wall time | Cold: peak RSS | Cached: wall time | Cached: peak RSS |
| --- | ---: | ---: | ---: | ---: | ---: |
${chart_rows}
Target: a cached full render (all charts expanded) in <= 2 x floor + 2 s = ${target} s.
- through uv (\`uv run --frozen k8tre render dev\`, ${render_s} s): $(verdict "$render_s")
- without uv (\`.venv/bin/k8tre render dev\`, ${direct_s} s): $(verdict "$direct_s")
EOF
