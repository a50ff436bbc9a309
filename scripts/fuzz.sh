#!/usr/bin/env bash
# fuzz.sh DURATION [--report-only]: runs every Fuzz* target in the module for
# DURATION each. Every failing input found is kept in the package's
# testdata/fuzz, where `go test` replays it from then on (so a fixed bug stays
# fixed). With --report-only (CI) a new failure is reported loudly but does not
# fail the run: a random find must not block landing work unrelated to it; it
# is fixed, with its input committed, in the next change.
set -uo pipefail
t=${1:-10s}
mode=${2:-}
cd "$(dirname "$0")/.."
failed=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== fuzz $pkg $f ($t)"
    if ! go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$pkg"; then
      failed+=("$pkg $f")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FUZZ FAILURES (inputs saved under testdata/fuzz):"
  printf '  %s\n' "${failed[@]}"
  [ "$mode" = "--report-only" ] || exit 1
fi
echo "fuzz: ${#failed[@]} targets failed"
