#!/usr/bin/env bash
# Teacher research at district scale, for docs/BENCHMARKS.md: builds a
# store of 10,000 teachers, 1,000 groups and 100,000 activities once (it
# prints how long that took and how many rows each table got), then times
# the group page, a busy teacher's growth archive, the activity list's
# filters and deepest page, the .xlsx export of all 100,000 activities and
# the yearly assessment. Each benchmark runs for about 2 s (the export: one
# run), COUNT times; the summary gives the median of the runs.
# Usage: scripts/bench-research.sh [COUNT]   (default 5; about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
count="${1:-5}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run='^$' -bench=. -benchtime=2s -count="$count" -benchmem -timeout=60m ./research/ | tee "$out"
echo
echo "median of $count runs:"
awk '/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i++) if ($(i+1) == "ns/op") ms[name] = ms[name] " " $i / 1e6
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
END {
	for (k = 1; k <= n; k++) {
		m = split(substr(ms[order[k]], 2), v, " ")
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		printf "  %-45s %10.2f ms\n", order[k], (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
}' "$out"
