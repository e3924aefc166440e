#!/bin/sh
# Runs every libFuzzer target of build/fuzz/ for $1 seconds on its corpus
# (test/fuzz/corpus/<target>/; the targets are in build/fuzz/fuzz/), from the checkout (the targets read its
# templates). With "grow" as $2, what a target finds new is added to its
# corpus; otherwise the corpus is only read (a scratch copy takes the
# finds). Prints each target's executions and coverage; exits 1 when one
# crashed, leaving the input as build/fuzz/crash-<target>-*.
#   sh test/fuzz/run.sh SECONDS [grow]
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
grow=${2:-}
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
rc=0
for t in build/fuzz/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	corpus="test/fuzz/corpus/$name"
	mkdir -p "$corpus"
	work=$(mktemp -d)
	if [ "$grow" = grow ]; then dirs="$corpus"; else dirs="$work $corpus"; fi
	log="$work/log"
	"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	    -artifact_prefix="build/fuzz/crash-$name-" $dirs >"$log" 2>&1
	st=$?
	done_line=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -n 1)
	execs=$(echo "$done_line" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	if [ "$st" = 0 ]; then
		echo "fuzz: $name: ${execs:-0} executions in ${secs} s, coverage ${cov:-?} edges (${ft:-?} features), corpus $(ls "$corpus" | wc -l) inputs"
	else
		echo "fuzz: $name FAILED (exit $st):"
		grep -E 'ERROR|fuzz:|SUMMARY|crash-|Test unit written' "$log" | head -20
		rc=1
	fi
	rm -rf "$work"
done
exit $rc
