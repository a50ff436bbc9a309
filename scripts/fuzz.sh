#!/usr/bin/env bash
# fuzz.sh DURATION [--report-only]: runs every Fuzz* target in the module for
# DURATION each. Every failing input found is kept in the package's
# testdata/fuzz, where `go test` replays it from then on (so a fixed bug stays
# fixed). With --report-only (CI) a new failure is reported loudly but does not
# fail the run: a random find must not block landing work unrelated to it; it
# is fixed, with its input committed, in the next change.
#
# What counts as a failure: a target that produced a reproducer (a new file
# under testdata/fuzz/<Target>/, or go test's "Failing input written to"
# line), or one that failed otherwise without the fuzz coordinator's deadline
# message (a build error, a seed corpus entry that fails). A target that fails
# with only "context deadline exceeded" and wrote no input is a warning, not a
# failure: Go's fuzz coordinator (before Go 1.27) can report its own -fuzztime
# deadline as an error when the deadline races the workers' stop
# (golang/go#75804); nothing was found and nothing can be replayed.
#
# Environment: PKGS (default ./...) limits the packages; GO (default go) is the
# go command, so the classification can be checked with a stand-in.
set -uo pipefail
t=${1:-10s}
mode=${2:-}
go=${GO:-go}
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -f "$log"' EXIT

# corpus DIR TARGET: the sorted file names of TARGET's corpus in DIR.
corpus() { ls -1 "$1/testdata/fuzz/$2" 2>/dev/null | sort; }

failed=()
warned=()
n=0
for pkg in $("$go" list ${PKGS:-./...}); do
  dir=$("$go" list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    n=$((n + 1))
    echo "== fuzz $pkg $f ($t)"
    before=$(corpus "$dir" "$f")
    "$go" test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$pkg" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] && continue
    new=$(comm -13 <(printf '%s\n' "$before") <(corpus "$dir" "$f") | sed '/^$/d')
    if [ -n "$new" ] || grep -q 'Failing input written to' "$log"; then
      failed+=("$pkg $f: reproducer $(printf '%s' "$new" | sed "s|^|testdata/fuzz/$f/|" | tr '\n' ' ')")
    elif grep -q 'context deadline exceeded' "$log"; then
      warned+=("$pkg $f: \"context deadline exceeded\" at -fuzztime with no input saved (golang/go#75804)")
    else
      failed+=("$pkg $f: go test exited $rc without a new input (build error or failing seed corpus entry; see above)")
    fi
  done
done
if [ ${#warned[@]} -gt 0 ]; then
  echo "FUZZ WARNINGS (not failures: nothing found, nothing to replay):"
  printf '  %s\n' "${warned[@]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FUZZ FAILURES (inputs saved under testdata/fuzz):"
  printf '  %s\n' "${failed[@]}"
  echo "fuzz: ${#failed[@]} of $n targets failed, ${#warned[@]} warnings"
  [ "$mode" = "--report-only" ] || exit 1
  exit 0
fi
echo "fuzz: 0 of $n targets failed, ${#warned[@]} warnings"
