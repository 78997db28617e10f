#!/bin/sh
# Write the join tokens this machine needs, read from standard input (never from a command line):
# the first line is the token the machine joins with, an optional second line the agent token that
# servers hand out. Each goes to its own 0600 file under /etc/rancher/k3s, which the K3s
# configuration names (token-file, agent-token-file). Prints nothing: its input is secret.
#   K3S_ROOT   tests only: a directory standing in for / (empty on real machines)
set -eu
umask 077
dir="${K3S_ROOT:-}/etc/rancher/k3s"
mkdir -p "$dir"
IFS= read -r token
[ -n "$token" ] || { echo "no token on standard input" >&2; exit 1; }
printf '%s\n' "$token" >"$dir/token.new"
mv -f "$dir/token.new" "$dir/token"
if IFS= read -r agent_token && [ -n "$agent_token" ]; then
    printf '%s\n' "$agent_token" >"$dir/agent-token.new"
    mv -f "$dir/agent-token.new" "$dir/agent-token"
fi
