#!/bin/bash
# `make bench`: wrk through the real nginx (HTTPS, keep-alive, loopback)
# against GET /api/subscription-plans/active and, in the same run and with
# the same nginx and pool settings, against the bare FastCGI responder
# (fcgi/bare.c): the ceiling of this architecture on this machine.
# Prints both and the ratio, and records them in bench/RESULTS.md.
#
# Settings: BENCH_SECONDS=10 BENCH_CONNECTIONS=32 BENCH_THREADS=2
#           BENCH_WORKERS=4 BENCH_ROUNDS=5 (alternating; medians are reported)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
WORKERS=${BENCH_WORKERS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
VAR=$(mktemp -d /tmp/bench-XXXXXX)
chmod 755 "$VAR"
# A free pair of loopback ports: nothing answers on either. Taken below the
# kernel's ephemeral range, where outgoing connections never bind.
free_pair() {
	for p in $(shuf -i 20000-32000 -n 50); do   # below the ephemeral range
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
		    ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
HTTPS_PORT=$(free_pair)
HTTP_PORT=$((HTTPS_PORT + 1))
export PLATFORM_VAR="$VAR" HTTPS_PORT HTTP_PORT PLATFORM_WORKERS="$WORKERS" \
    PLATFORM_BENCH_BARE=1 BUILD=build/rel
cleanup() { sh deploy/stack.sh stop >/dev/null 2>&1 || true; rm -rf "$VAR"; }
trap cleanup EXIT INT TERM
sh deploy/stack.sh start >/dev/null

BASE="https://127.0.0.1:$HTTPS_PORT"
APP="$BASE/api/subscription-plans/active"
BARE="$BASE/bench/bare"
curl -sfk "$APP" | grep -q '"name":"Starter"' || { echo "bench: the platform does not answer" >&2; exit 1; }
curl -sfk "$BARE" | grep -q bare || { echo "bench: the bare responder does not answer" >&2; exit 1; }

# run URL -> "rps p99_ms errors"
run() {
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_}s" --latency "$1")
	rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
	non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $5}')
	sockerr=$(echo "$out" | awk '/Socket errors:/ {gsub(",",""); print $4+$6+$8+$10}')
	echo "$rps ${p99:-0} $(( ${non2xx:-0} + ${sockerr:-0} ))"
}

# Warm both paths (TLS sessions, page cache, worker caches).
wrk -t1 -c4 -d2s "$APP" >/dev/null
wrk -t1 -c4 -d2s "$BARE" >/dev/null

# Alternate the two targets; each round gives a ratio. The machine's noise
# (wrk, nginx and the workers share 2 cores) moves single runs by 10% or
# more, so the medians over the rounds are reported.
: > "$VAR/rounds"
i=1
while [ "$i" -le "$ROUNDS" ]; do
	b=$(run "$BARE"); a=$(run "$APP")
	echo "round $i: bare $b | platform $a (req/s p99_ms errors)"
	echo "$b $a" >> "$VAR/rounds"
	i=$((i + 1))
done
median() { # column
	sort -g -k"$1","$1" "$VAR/rounds" | awk -v c="$1" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'
}
awk '{printf "%s %s %s %s %s %s %.4f\n", $1, $2, $3, $4, $5, $6, $4/$1}' "$VAR/rounds" > "$VAR/r2"
mv "$VAR/r2" "$VAR/rounds"
bare_rps=$(median 1); bare_p99=$(median 2)
app_rps=$(median 4); app_p99=$(median 5)
ratio=$(printf '%.2f' "$(median 7)")
bare_err=$(awk '{s+=$3} END {print s}' "$VAR/rounds")
app_err=$(awk '{s+=$6} END {print s}' "$VAR/rounds")
ratios=$(awk '{printf "%s%.2f", (NR>1?", ":""), $7}' "$VAR/rounds")
verdict=$(awk -v r="$ratio" -v p="$app_p99" -v e="$app_err" 'BEGIN{print (r>=0.8 && p<10 && e==0) ? "met" : "NOT met"}')

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
nginx_v=$(nginx -v 2>&1 | sed 's/.*nginx\///')
sqlite_v=$(sqlite3 --version | cut -d' ' -f1)
wrk_v=$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f2)
fcgi_v=$(dpkg-query -W -f='${Version}' libfcgi-dev 2>/dev/null || echo '?')
now=$(date -u +%Y-%m-%dT%H:%MZ)

echo
echo "bare FastCGI responder: $bare_rps req/s, p99 $bare_p99 ms, $bare_err errors"
echo "platform (plans/active): $app_rps req/s, p99 $app_p99 ms, $app_err errors"
echo "ratio: $ratio, median of the rounds' ratios ($ratios); goal >= 0.8, p99 < 10 ms, no errors: $verdict"

cat > bench/RESULTS.md <<EOR
# Benchmark results

Written by \`make bench\` (bench/run.sh); the latest run replaces this file.

| | req/s | p99 | errors |
|---|---:|---:|---:|
| bare FastCGI responder (\`/bench/bare\`, the ceiling) | $bare_rps | $bare_p99 ms | $bare_err |
| platform \`GET /api/subscription-plans/active\` | $app_rps | $app_p99 ms | $app_err |

**Ratio platform / bare: $ratio** (median of the rounds' ratios: $ratios; goal: at
least 0.8, p99 under 10 ms, no errors: $verdict). req/s and p99 are medians over the
rounds; errors are summed.

How: wrk $wrk_v, $THREADS threads, $CONNS connections, ${SECONDS_} s per run, HTTPS with
keep-alive through the project's nginx on loopback, $WORKERS FastCGI workers per pool, the
two targets measured alternately in the same run ($ROUNDS rounds), after a warm-up. wrk, nginx and the workers share the machine.

Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr);
nginx $nginx_v, SQLite $sqlite_v, libfcgi $fcgi_v. Run at $now.
EOR
echo "recorded in bench/RESULTS.md"
