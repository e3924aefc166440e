#!/bin/bash
# `make bench`: wrk through the real nginx (HTTPS, keep-alive, loopback)
# against GET /api/subscription-plans/active and, in the same run and with
# the same nginx and pool settings, against the bare FastCGI responder
# (fcgi/bare.c): the ceiling of this architecture on this machine.
# Prints both and the ratio, and records them in bench/RESULTS.md.
#
# Then three requests beside Strapi's figures (a fixed reference, issue 14),
# with p50 and p99: the plans filtered by active, a merchant's newest 25 of
# its 1,000 tickets (signed in), and opening a ticket (POST), again with
# PLATFORM_DB_DURABLE=0; every acknowledged POST must have made a ticket.
#
# Then the shops: the time from POST /api/merchant-backends to a healthy
# shop (median of 10), and how many shops this machine holds (deployed until
# BENCH_SHOPS, BENCH_SHOPS_MINUTES or the memory runs out), with the memory
# each one takes.
#
# Settings: BENCH_SECONDS=8 BENCH_CONNECTIONS=32 BENCH_THREADS=2
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

# --- Reads, a list and a write, beside Strapi ---------------------------------
# Three requests a client makes all day, with the same wrk settings. Their
# reference is fixed: Strapi 5.54 on this machine (one run, wrk -t2 -c32,
# plain HTTP straight to Strapi, SQLite), from issue 14. The goals are those
# ratios, and a p99 for the write.
STRAPI_PLANS=165 STRAPI_LIST=109 STRAPI_POST=123
sign_in() { # email -> JWT
	curl -sfk -H 'Content-Type: application/json' \
	    -d "{\"identifier\":\"$1\",\"password\":\"demo-password\"}" \
	    "$BASE/api/auth/local" | sed -n 's/^{"jwt":"\([^"]*\)".*/\1/p'
}
CJWT=$(sign_in clara@example.com)
[ -n "$CJWT" ] || { echo "bench: cannot sign in as the demo merchant" >&2; exit 1; }
TICKET='{"data":{"subject":"Bench ticket","description":"A question the bench asks","category":"technical","priority":"medium"}}'
PLANS_F="$BASE/api/subscription-plans?filters%5Bactive%5D%5B%24eq%5D=true"
LIST="$BASE/api/support-tickets?sort=createdAt%3Adesc&pagination%5BpageSize%5D=25"
list_total() {
	curl -sfk -H "Authorization: Bearer $CJWT" "$LIST" | sed -n 's/.*"total":\([0-9]*\)}}}$/\1/p'
}
# The merchant's tickets up to 1,000, opened through the API.
have=$(list_total)
need=$((1000 - ${have:-0}))
if [ "$need" -gt 0 ]; then
	seq "$need" | sed "s|.*|url = \"$BASE/api/support-tickets\"\noutput = \"/dev/null\"|" > "$VAR/seed.curl"
	curl -sk --no-progress-meter --parallel --parallel-max 8 \
	    -H "Authorization: Bearer $CJWT" -H 'Content-Type: application/json' \
	    -d "$TICKET" -K "$VAR/seed.curl"
fi
[ "$(list_total)" = 1000 ] || { echo "bench: the merchant does not have 1,000 tickets" >&2; exit 1; }
cat > "$VAR/post.lua" <<EOL
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CJWT"
wrk.body = '$TICKET'
EOL
# api NAME ARGS... -> one line "rps p50_ms p99_ms errors" per round in $VAR/NAME
ms() { awk -v k="$1" '$1 == k {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}'; }
api() {
	name=$1; shift
	: > "$VAR/$name"
	warm=$(wrk -t1 -c4 -d2s "$@" | awk '/requests in/ {print $1}')
	for r in $(seq "$ROUNDS"); do
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_}s" --latency "$@")
		rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
		p50=$(echo "$out" | ms 50%); p99=$(echo "$out" | ms 99%)
		non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $5}')
		sockerr=$(echo "$out" | awk '/Socket errors:/ {gsub(",",""); print $4+$6+$8+$10}')
		n=$(echo "$out" | awk '/requests in/ {print $1}')
		[ "$r" = 1 ] && n=$((n + ${warm:-0}))
		echo "$rps $p50 $p99 $(( ${non2xx:-0} + ${sockerr:-0} )) $n" >> "$VAR/$name"
		echo "$name round $r: $rps req/s, p50 $p50 ms, p99 $p99 ms"
	done
}
med() { # file column
	sort -g -k"$2","$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'
}
api plans "$PLANS_F"
api list -H "Authorization: Bearer $CJWT" "$LIST"
tickets_before=$(list_total)
api post -s "$VAR/post.lua" "$BASE/api/support-tickets"
tickets_after=$(list_total)
# What waiting for the disk at each commit costs: the same POST rounds with
# PLATFORM_DB_DURABLE=0 (synchronous=NORMAL), then the stack as it was.
sh deploy/stack.sh stop >/dev/null
PLATFORM_DB_DURABLE=0 sh deploy/stack.sh start >/dev/null
api post_normal -s "$VAR/post.lua" "$BASE/api/support-tickets"
sh deploy/stack.sh stop >/dev/null
sh deploy/stack.sh start >/dev/null
# Every acknowledged POST made a ticket: wrk's completed requests (warm-up
# included) against the tickets made. A request in flight when wrk stops
# may make a ticket wrk never counts, never the other way round.
acked=$(awk '{s+=$5} END {print s}' "$VAR/post")
made=$((tickets_after - tickets_before))
api_line() { # name reference goal_ratio -> "rps p50 p99 errors ratio verdict"
	rps=$(med "$VAR/$1" 1); p50=$(med "$VAR/$1" 2); p99=$(med "$VAR/$1" 3)
	err=$(awk '{s+=$4} END {print s}' "$VAR/$1")
	ratio=$(awk -v a="$rps" -v b="$2" 'BEGIN {printf "%.0f", a / b}')
	echo "$rps $p50 $p99 $err $ratio"
}
set -- $(api_line plans "$STRAPI_PLANS"); pl_rps=$1 pl_p50=$2 pl_p99=$3 pl_err=$4 pl_x=$5
set -- $(api_line list "$STRAPI_LIST"); li_rps=$1 li_p50=$2 li_p99=$3 li_err=$4 li_x=$5
set -- $(api_line post "$STRAPI_POST"); po_rps=$1 po_p50=$2 po_p99=$3 po_err=$4 po_x=$5
set -- $(api_line post_normal "$STRAPI_POST"); pn_rps=$1 pn_p50=$2 pn_p99=$3 pn_err=$4 pn_x=$5
goal() { awk -v x="$1" -v g="$2" -v e="$3" -v p="$4" -v pg="$5" 'BEGIN {print (x >= g && e == 0 && p <= pg) ? "met" : "NOT met"}'; }
pl_v=$(goal "$pl_x" 50 "$pl_err" 0 1)
li_v=$(goal "$li_x" 50 "$li_err" 0 1)
po_v=$(goal "$po_x" 20 "$po_err" "$po_p99" 20)
echo "plans filtered active: $pl_rps req/s, p50 $pl_p50 ms, p99 $pl_p99 ms, ${pl_x}x Strapi (goal 50x): $pl_v"
echo "tickets newest 25 of 1,000: $li_rps req/s, p50 $li_p50 ms, p99 $li_p99 ms, ${li_x}x Strapi (goal 50x): $li_v"
echo "POST a ticket: $po_rps req/s, p50 $po_p50 ms, p99 $po_p99 ms, ${po_x}x Strapi (goal 20x, p99 <= 20 ms): $po_v"
echo "POST a ticket, PLATFORM_DB_DURABLE=0: $pn_rps req/s, p50 $pn_p50 ms, p99 $pn_p99 ms, ${pn_x}x Strapi"
echo "POSTs acknowledged: $acked; tickets made: $made"
[ "$made" -ge "$acked" ] || { echo "bench: acknowledged tickets are missing" >&2; exit 1; }

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

## Reads, a list and a write, beside Strapi

| request | req/s | p50 | p99 | errors | Strapi 5.54 | ratio | goal |
|---|---:|---:|---:|---:|---:|---:|---|
| \`GET /api/subscription-plans?filters[active][\$eq]=true\` | $pl_rps | $pl_p50 ms | $pl_p99 ms | $pl_err | $STRAPI_PLANS | ${pl_x}× | ≥ 50×: $pl_v |
| \`GET /api/support-tickets?sort=createdAt:desc\`, 25 of a merchant's 1,000, signed in | $li_rps | $li_p50 ms | $li_p99 ms | $li_err | $STRAPI_LIST | ${li_x}× | ≥ 50×: $li_v |
| \`POST /api/support-tickets\`, signed in | $po_rps | $po_p50 ms | $po_p99 ms | $po_err | $STRAPI_POST | ${po_x}× | ≥ 20×, p99 ≤ 20 ms: $po_v |
| the same POST with \`PLATFORM_DB_DURABLE=0\` | $pn_rps | $pn_p50 ms | $pn_p99 ms | $pn_err | $STRAPI_POST | ${pn_x}× | (what the fsync costs) |

Strapi's figures are a fixed reference: Strapi 5.54 on this machine, one run, same wrk
settings, plain HTTP straight to Strapi (issue 14). Medians over $ROUNDS rounds of ${SECONDS_} s.
The POST rounds made $made tickets for $acked acknowledged requests (a request in flight when
wrk stops may make one wrk never counts).

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
