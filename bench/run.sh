#!/bin/bash
# `make bench`: wrk through the real nginx (HTTPS, keep-alive, loopback)
# against GET /api/subscription-plans/active and, in the same run and with
# the same nginx and pool settings, against the bare FastCGI responder
# (fcgi/bare.c): the ceiling of this architecture on this machine.
# Prints both and the ratio, and records them in bench/RESULTS.md.
#
# Then the shops: the time from POST /api/merchant-backends to a healthy
# shop (median of 10), and how many shops this machine holds (deployed until
# BENCH_SHOPS, BENCH_SHOPS_MINUTES or the memory runs out), with the memory
# each one takes.
#
# Settings: BENCH_SECONDS=10 BENCH_CONNECTIONS=32 BENCH_THREADS=2
#           BENCH_WORKERS=4 BENCH_ROUNDS=5 (alternating; medians are reported)
#           BENCH_SHOPS=500 BENCH_SHOPS_MINUTES=15 (0 shops: skip that part)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
WORKERS=${BENCH_WORKERS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
SHOPS=${BENCH_SHOPS:-500}
SHOPS_MINUTES=${BENCH_SHOPS_MINUTES:-15}
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

# --- The shops ---------------------------------------------------------------
JWT=$(curl -sfk -H 'Content-Type: application/json' \
    -d '{"identifier":"admin@example.com","password":"demo-password"}' \
    "$BASE/api/auth/local" | sed -n 's/^{"jwt":"\([^"]*\)".*/\1/p')
AUTH="Authorization: Bearer $JWT"
MERCHANT=$(curl -sfkg -H "$AUTH" "$BASE/api/merchants?filters[slug][\$eq]=boutique-clara" |
    sed -n 's/^{"data":\[{"id":\([0-9]*\),.*/\1/p')
[ -n "$JWT" ] && [ -n "$MERCHANT" ] || { echo "bench: cannot sign in as the demo admin" >&2; exit 1; }
create() { # subdomain -> the backend's id
	curl -sfk -H "$AUTH" -H 'Content-Type: application/json' \
	    -d "{\"data\":{\"merchant\":$MERCHANT,\"subdomain\":\"$1\"}}" \
	    "$BASE/api/merchant-backends" | sed -n 's/^{"data":{"id":\([0-9]*\),.*/\1/p'
}
state() { # id -> the backend's status
	curl -sfk -H "$AUTH" "$BASE/api/merchant-backends/$1/deployment-status" |
	    sed -n 's/^{"data":{"status":"\([a-z]*\)".*/\1/p'
}
await_running() { # id -> 0 once running, 1 if it failed or took 60 s
	for _ in $(seq 6000); do
		case $(state "$1") in
		running) return 0 ;;
		failed)
			curl -sfk -H "$AUTH" "$BASE/api/merchant-backends/$1/deployment-status" |
			    sed -n 's/.*"latest":{.*"message":"\([^"]*\)".*/bench: shop '"$1"' failed: \1/p' >&2
			return 1 ;;
		esac
		sleep 0.01
	done
	return 1
}
shop_health() { # subdomain -> HTTP status of its /health through nginx
	curl -sk -o /dev/null -w '%{http_code}' --resolve "$1.shops.localhost:$HTTPS_PORT:127.0.0.1" \
	    "https://$1.shops.localhost:$HTTPS_PORT/health"
}
: > "$VAR/deploys"
for i in $(seq 10); do
	t0=$(date +%s%N)
	id=$(create "bench-d$i")
	await_running "$id" || { echo "bench: shop bench-d$i did not deploy" >&2; exit 1; }
	# Healthy as a shopper sees it: its /health through nginx, once nginx
	# has taken the new server block.
	for _ in $(seq 500); do [ "$(shop_health "bench-d$i")" = 200 ] && break; sleep 0.01; done
	t1=$(date +%s%N)
	[ "$(shop_health "bench-d$i")" = 200 ] || { echo "bench: bench-d$i does not answer" >&2; exit 1; }
	echo $(( (t1 - t0) / 1000000 )) >> "$VAR/deploys"
done
deploy_ms=$(sort -n "$VAR/deploys" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
deploy_all=$(sort -n "$VAR/deploys" | paste -sd' ')
deploy_verdict=$(awk -v m="$deploy_ms" 'BEGIN{print (m < 1000) ? "met" : "NOT met"}')
echo "deploy to healthy: median $deploy_ms ms (ms, sorted: $deploy_all); goal < 1000 ms: $deploy_verdict"

held=10; why="BENCH_SHOPS=$SHOPS reached"; capacity_s=0
mem_total=$(awk '/MemTotal:/ {print $2}' /proc/meminfo)
if [ "$SHOPS" -gt 10 ]; then
	start=$(date +%s); deadline=$((start + SHOPS_MINUTES * 60))
	n=10
	while [ "$n" -lt "$SHOPS" ]; do
		avail=$(awk '/MemAvailable:/ {print $2}' /proc/meminfo)
		if [ "$avail" -lt $((mem_total / 10)) ]; then why="memory (under 10 % left)"; break; fi
		if [ "$(date +%s)" -ge "$deadline" ]; then why="time ($SHOPS_MINUTES min)"; break; fi
		ids=""; b=0
		while [ "$b" -lt 20 ] && [ "$n" -lt "$SHOPS" ]; do
			n=$((n + 1)); b=$((b + 1))
			ids="$ids $(create "bench-c$n")"
		done
		failed=0
		for id in $ids; do await_running "$id" || failed=1; done
		if [ "$failed" = 1 ]; then why="a deployment failed at $n shops"; break; fi
		held=$n
	done
	capacity_s=$(( $(date +%s) - start ))
fi
# Every shop's processes (pool masters and their workers), by proportional
# set size: what each one really adds.
pss=0; procs=0
for pf in "$VAR"/merchants/*/pool.pid; do
	master=$(cat "$pf" 2>/dev/null) || continue
	for p in $master $(pgrep -P "$master"); do
		k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		pss=$((pss + ${k:-0})); procs=$((procs + 1))
	done
done
running=$(ls "$VAR"/merchants/*/pool.pid 2>/dev/null | wc -l)
per_shop_kb=$((pss / (running > 0 ? running : 1)))
last_ok=000
for _ in $(seq 500); do last_ok=$(shop_health "bench-c$held"); [ "$last_ok" = 200 ] && break; sleep 0.01; done
[ "$held" -le 10 ] && last_ok=$(shop_health bench-d10)
shops_verdict=$(awk -v h="$held" -v ok="$last_ok" 'BEGIN{print (h >= 500 && ok == 200) ? "met" : "NOT met"}')
echo "shops held: $held running ($running pools, $procs processes) in ${capacity_s} s, stopped by: $why;"
echo "  memory: $((pss / 1024)) MiB in all, $((per_shop_kb)) KiB a shop (PSS); the last one answers $last_ok; goal 500: $shops_verdict"

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

## Shops

| | |
|---|---:|
| \`POST /api/merchant-backends\` to a healthy shop, median of 10 | $deploy_ms ms |
| shops deployed and running on this machine | $held |
| memory a shop (PSS of its pool master and $((procs / (running > 0 ? running : 1) - 1)) workers) | $per_shop_kb KiB |

Deploy to healthy (each run, ms, sorted: $deploy_all): goal under 1 s, $deploy_verdict.
Shops: deployed in batches of 20 until $SHOPS, $SHOPS_MINUTES minutes or 90 % of the
memory; stopped by: $why, after ${capacity_s} s; $((pss / 1024)) MiB for all of them; the
last one answers its health check through nginx with $last_ok. Goal 500: $shops_verdict.

Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr);
nginx $nginx_v, SQLite $sqlite_v, libfcgi $fcgi_v. Run at $now.
EOR
echo "recorded in bench/RESULTS.md"
