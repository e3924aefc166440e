#!/bin/sh
# Runs every test (called by `make test`, after the builds):
#   - the cmocka unit tests, release and ASan+UBSan builds;
#   - the integration tests against the real stack, both builds;
#   - the libFuzzer targets, a few seconds each (test/fuzz/run.sh);
#   - the page and browser tests in headless chromium (release build).
# One test program: build/rel/test/test_query (unit), or
#   BUILD=build/rel build/rel/test/test_stack (integration).
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
passed=0
failed=0
failures=""
log=$(mktemp)

run() { # label command...
	label=$1
	shift
	printf '== %s\n' "$label"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	# A crash or a failing setup leaves no summary: count it as a failure.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" = 0 ] || failures="$failures $label"
}

for b in build/rel build/asan; do
	for src in test/unit/test_*.c; do
		t=$(basename "$src" .c)
		run "$b/test/$t" "$b/test/$t"
	done
	for t in test_stack test_accounts test_strapi test_webhooks test_stripe_journey test_ratelimit \
	    test_metrics test_backup test_faults \
	    test_backends test_systemd \
	    test_dashboards; do
		run "$b/test/$t" env BUILD="$b" "$b/test/$t"
	done
done
# The libFuzzer targets (make build-fuzz), a few seconds each on their
# corpus: a crash, a sanitizer report or a broken check fails; every
# target of test/fuzz/ must have run.
printf '== fuzz targets\n'
sh test/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-4}" >"$log" 2>&1
cat "$log"
want=$(ls test/fuzz/fuzz_*.c | wc -l)
p=$(grep -c ' executions in ' "$log")
passed=$((passed + p))
if [ "$p" != "$want" ]; then
	failed=$((failed + want - p))
	failures="$failures fuzz"
fi
run "build/rel/test/test_page" env BUILD=build/rel build/rel/test/test_page
run "build/rel/test/test_browser" env BUILD=build/rel build/rel/test/test_browser
rm -f "$log"

echo
[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
