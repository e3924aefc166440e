#!/bin/sh
# The development stack: nginx (TLS) + the platform pool + SQLite, all under
# $PLATFORM_VAR. Used by `make run` / `make stop`, the tests and the bench.
#
#   deploy/stack.sh start | stop | reload | status
#
# start leaves a supervisor (`stack.sh supervise`, run/supervisor.pid) that
# starts again a pool master, nginx or background worker that died, as
# systemd does in production. Liveness is what /proc says of the process
# (a zombie is dead) and that it is the program of its pid file; a pool also
# needs its socket.
#
# Configuration: the environment, checked by `platformctl config --shell`
# against the one table of lib/core/config.c (README, *Configuration*);
# a bad value stops the start and names the variable. BUILD (where the
# programs are, default build/rel) is this script's own.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# Where the running stack is, for stop, reload and status too (which must
# work whatever the environment says now).
VAR=${PLATFORM_VAR:-var}
case "$VAR" in /*) ;; *) VAR="$ROOT/$VAR" ;; esac
BUILD=${BUILD:-build/rel}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export PLATFORM_VAR="$VAR"
# The worker starts the shops' pools with these programs, and renders their
# lines of nginx's map of shops from this checkout's nginx/.
export PLATFORM_BIN_DIR="$BUILD/bin" PLATFORM_SHARE="$ROOT"

die() { echo "stack: $*" >&2; exit 1; }

# The configuration, checked: its values (ports, addresses, names, paths
# of A-Z a-z 0-9 _ . / -) reach a config file and command lines.
load_config() {
	[ -x "$BUILD/bin/platformctl" ] || die "$BUILD/bin/platformctl missing: run make"
	conf=$("$BUILD/bin/platformctl" config --shell) || die "configuration refused"
	while IFS='=' read -r k v; do
		case $k in
		PLATFORM_DB) export PLATFORM_DB="$v" ;;
		PLATFORM_JWT_SECRET_FILE) export PLATFORM_JWT_SECRET_FILE="$v" ;;
		PLATFORM_MAX_BODY) export PLATFORM_MAX_BODY="$v"; MAX_BODY=$v ;;
		HTTPS_PORT) HTTPS_PORT=$v ;;
		HTTP_PORT) HTTP_PORT=$v ;;
		PLATFORM_LISTEN) LISTEN=$v ;;
		PLATFORM_SERVER_NAME) SERVER_NAME=$v ;;
		PLATFORM_WORKERS) WORKERS=$v ;;
		PLATFORM_LOGIN_RATE) LOGIN_RATE=$v ;;
		PLATFORM_DEMO) DEMO=$v ;;
		PLATFORM_BENCH_BARE) BARE=$v ;;
		PLATFORM_SHOPS_DIR) SHOPS_DIR=$v ;;
		PLATFORM_SHOPS_NGINX_DIR) SHOPS_NGINX_DIR=$v ;;
		SHOPS_DOMAIN) SHOPS_DOMAIN=$v ;;
		esac
	done <<-EOC
	$conf
	EOC
}
is_path() { case "$1" in *[!A-Za-z0-9_./-]*|'') return 1 ;; esac; }
is_path "$ROOT" || die "the checkout path may only contain A-Z a-z 0-9 _ . / -"
is_path "$VAR" || die "PLATFORM_VAR may only contain A-Z a-z 0-9 _ . / -"
is_path "$BUILD" || die "BUILD may only contain A-Z a-z 0-9 _ . / -"

# Whether process $1 runs: a zombie (dead, not yet reaped) answers kill -0
# and does not run. Given $2, also whether it is that program (its name as
# /proc shows it): a pid taken again by another process is not ours.
runs() {
	# Builtins only (no fork): the supervisor asks every second.
	_st=
	read -r _st 2>/dev/null < "/proc/$1/stat" || [ -n "$_st" ] || return 1
	case ${_st##*) } in
	''|Z*|X*|x*) return 1 ;;
	esac
	[ -z "${2:-}" ] && return 0
	_comm=${_st#*\(}
	[ "${_comm%) *}" = "$2" ]
}
# Whether pid file $1 names a process that runs (and is program $2).
alive() {
	[ -f "$1" ] || return 1
	_pid=
	read -r _pid 2>/dev/null < "$1" || [ -n "$_pid" ] || return 1
	case $_pid in ''|*[!0-9]*) return 1 ;; esac
	runs "$_pid" "${2:-}"
}
pool_alive() { alive "$VAR/run/$1.pid" platform-pool && [ -S "$VAR/run/$1.sock" ]; }

# Waits up to $2 tenths of a second for pid file $1's process to go.
wait_gone() {
	pid=$1; n=$2
	while runs "$pid" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	! runs "$pid"
}

urls() {
	echo "platform: https://localhost:$HTTPS_PORT/"
	echo "  API:     https://localhost:$HTTPS_PORT/api/subscription-plans/active"
	echo "  pricing: https://localhost:$HTTPS_PORT/marketplace/plans.html"
	echo "  health:  https://localhost:$HTTPS_PORT/health"
	echo "  sign in: https://localhost:$HTTPS_PORT/marketplace/login.html"
	[ "$DEMO" != 1 ] || echo "  a shop:  https://boutique-clara.$SHOPS_DOMAIN:$HTTPS_PORT/ (demo, deployed by the worker)"
	echo "  logs:    $VAR/log/"
	if [ "$DEMO" = 1 ]; then
		echo "demo sign-ins (password: demo-password):"
		echo "  admin@example.com (admin), agent@example.com (agent),"
		echo "  clara@example.com (Boutique Clara), bob@example.com (Bob's Bikes)"
	fi
}

start_pool() { # name program
	setsid "$BUILD/bin/platform-pool" --socket "$VAR/run/$1.sock" \
	    --workers "$WORKERS" --pidfile "$VAR/run/$1.pid" $GROUP_ARG \
	    -- "$BUILD/bin/$2" </dev/null >>"$VAR/log/$1.log" 2>&1 &
	n=100
	while ! pool_alive "$1"; do
		[ "$n" -gt 0 ] || die "$1 pool did not start: see $VAR/log/$1.log"
		sleep 0.1; n=$((n - 1))
	done
}

# nginx's workers: unprivileged when we are root, if they can reach the
# checkout; the pool's socket is then given to their group.
pool_user() {
	USER_LINE=""
	GROUP_ARG=""
	if [ "$(id -u)" = 0 ]; then
		if su -s /bin/sh nobody -c "test -r '$ROOT/static/css/site.css' && test -x '$VAR'" 2>/dev/null; then
			USER_LINE="user nobody nogroup;"
			GROUP_ARG="--group nogroup"
			export PLATFORM_SOCKET_GROUP=nogroup
		else
			echo "stack: nobody cannot reach $ROOT: nginx workers run as root (development only)" >&2
			USER_LINE="user root root;"
		fi
	fi
}

start_nginx() {
	nginx -p "$VAR/" -e "$VAR/log/nginx-error.log" -c "$VAR/nginx.conf"
}

# The background worker: renewals, dunning, e-mails, the shops' deployments
# and probes.
start_worker() {
	setsid "$BUILD/bin/platform-worker" --pidfile "$VAR/run/worker.pid" \
	    </dev/null >>"$VAR/log/worker.log" 2>&1 &
	n=100
	until alive "$VAR/run/worker.pid" platform-worker; do
		[ "$n" -gt 0 ] || return 1
		sleep 0.1; n=$((n - 1))
	done
}

start_supervisor() {
	setsid sh "$ROOT/deploy/stack.sh" supervise </dev/null \
	    >>"$VAR/log/supervisor.log" 2>&1 &
	echo $! > "$VAR/run/supervisor.pid"
}

# What systemd does in production (Restart=always): every second, a pool
# master, nginx or the background worker that is gone is started again.
supervise() {
	echo $$ > "$VAR/run/supervisor.pid"
	load_config
	pool_user
	while :; do
		sleep 1
		if ! pool_alive platform; then
			echo "$(date -u +%FT%TZ) supervisor: the platform pool is gone: starting it again"
			(start_pool platform platform-fcgi) || true
		fi
		if [ "$BARE" = 1 ] && ! pool_alive bare; then
			(start_pool bare bare-fcgi) || true
		fi
		if ! alive "$VAR/run/nginx.pid" nginx; then
			echo "$(date -u +%FT%TZ) supervisor: nginx is gone: starting it again"
			start_nginx || true
		fi
		if ! alive "$VAR/run/worker.pid" platform-worker; then
			echo "$(date -u +%FT%TZ) supervisor: the worker is gone: starting it again"
			start_worker || echo "supervisor: the worker did not start"
		fi
	done
}

start() {
	load_config
	if pool_alive platform && alive "$VAR/run/nginx.pid" nginx &&
	    alive "$VAR/run/worker.pid" platform-worker; then
		alive "$VAR/run/supervisor.pid" || start_supervisor
		echo "already running"
		urls
		return 0
	fi
	# A half-started stack (one side died) is stopped before starting anew.
	stop >/dev/null 2>&1 || true
	for b in platform-pool platform-fcgi platformctl platform-worker; do
		[ -x "$BUILD/bin/$b" ] || die "$BUILD/bin/$b missing: run make"
	done
	umask 022
	mkdir -p "$VAR/run" "$VAR/log" "$VAR/nginx" "$VAR/tls" "$SHOPS_NGINX_DIR"
	mkdir -p "$SHOPS_DIR"
	chmod 711 "$SHOPS_DIR"	# nginx's workers reach the shops' sockets
	(umask 077; mkdir -p "$VAR/secrets")
	# Nobody else reads the database (the programs create it 0600, SQLite
	# gives its -wal and -shm the same mode) or the secrets, including
	# those of a var/ made before that was so.
	chmod 700 "$VAR/secrets"
	for f in "$PLATFORM_DB" "$PLATFORM_DB-wal" "$PLATFORM_DB-shm" \
	    "$PLATFORM_DB-gen" "$VAR/secrets/jwt.key" "$VAR/tls/key.pem"; do
		[ ! -e "$f" ] || chmod 600 "$f"
	done
	if [ ! -s "$VAR/tls/cert.pem" ] || [ ! -s "$VAR/tls/key.pem" ]; then
		(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -days 825 -subj "/CN=localhost" \
		    -addext "subjectAltName=DNS:localhost,DNS:*.$SHOPS_DOMAIN,IP:127.0.0.1" \
		    -keyout "$VAR/tls/key.pem" -out "$VAR/tls/cert.pem" >/dev/null 2>&1) ||
		    die "cannot create the TLS certificate"
		chmod 644 "$VAR/tls/cert.pem"
	fi
	if [ ! -s "$VAR/secrets/jwt.key" ]; then
		(umask 077; openssl rand -hex 32 > "$VAR/secrets/jwt.key")
	fi

	"$BUILD/bin/platformctl" migrate >/dev/null || die "migration failed"
	if [ "$DEMO" = 1 ]; then
		"$BUILD/bin/platformctl" seed >/dev/null || die "demo data failed"
	fi

	pool_user
	start_pool platform platform-fcgi
	if [ "$BARE" = 1 ]; then
		[ -x "$BUILD/bin/bare-fcgi" ] || die "$BUILD/bin/bare-fcgi missing"
		start_pool bare bare-fcgi
		cat > "$VAR/nginx-extra.conf" <<-EOC
		location = /bench/bare {
			include $ROOT/nginx/fastcgi.conf;
			fastcgi_pass unix:$VAR/run/bare.sock;
		}
		EOC
	fi
	extra=""
	[ "$BARE" != 1 ] || extra="$VAR/nginx-extra.conf"
	NGINX_SHARE="$ROOT" NGINX_SOCKET="$VAR/run/platform.sock" \
	    NGINX_LISTEN_HTTP="$LISTEN:$HTTP_PORT" NGINX_LISTEN_HTTPS="$LISTEN:$HTTPS_PORT" \
	    NGINX_SERVER_NAME="$SERVER_NAME" NGINX_HTTPS_NAME=_ \
	    NGINX_REDIRECT_PORT=":$HTTPS_PORT" NGINX_CERT="$VAR/tls/cert.pem" \
	    NGINX_KEY="$VAR/tls/key.pem" NGINX_ACCESS_LOG="$VAR/log/nginx-access.log" \
	    NGINX_MAX_BODY="$MAX_BODY" NGINX_LOGIN_RATE="$LOGIN_RATE" NGINX_VAR="$VAR" \
	    NGINX_WORKERS="$(nproc)" NGINX_USER_LINE="$USER_LINE" NGINX_EXTRA="$extra" \
	    NGINX_SHOPS="$SHOPS_NGINX_DIR" NGINX_SHOPS_DOMAIN="$SHOPS_DOMAIN" \
	    NGINX_SHOPS_ACCESS_LOG="$VAR/log/shops-access.log" \
	    sh deploy/nginx.sh dev > "$VAR/nginx.conf" || { stop; die "nginx configuration not rendered"; }
	nginx -q -t -p "$VAR/" -e "$VAR/log/nginx-error.log" -c "$VAR/nginx.conf" ||
	    { stop; die "nginx configuration refused"; }
	start_nginx || { stop; die "nginx did not start: see $VAR/log/nginx-error.log"; }
	n=100
	until curl -sfk -o /dev/null "https://127.0.0.1:$HTTPS_PORT/health"; do
		[ "$n" -gt 0 ] || { stop; die "the platform did not answer /health"; }
		sleep 0.1; n=$((n - 1))
	done
	# The background worker, once nginx is up, since it tests and reloads it.
	start_worker || { stop; die "the worker did not start: see $VAR/log/worker.log"; }
	start_supervisor
	urls
}

stop() {
	rc=0
	# The supervisor first: it would start again what stops.
	if [ -f "$VAR/run/supervisor.pid" ]; then
		pid=$(cat "$VAR/run/supervisor.pid")
		! runs "$pid" sh || kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" 50 || rc=1
		rm -f "$VAR/run/supervisor.pid"
	fi
	# The worker first: with nginx gone, its probes would find every shop
	# down and start restarting them.
	if [ -f "$VAR/run/worker.pid" ]; then
		pid=$(cat "$VAR/run/worker.pid")
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" 150 || { kill -KILL "$pid" 2>/dev/null || true; rc=1; }
		rm -f "$VAR/run/worker.pid" "$VAR/run/worker.sock"
	fi
	if [ -f "$VAR/run/nginx.pid" ]; then
		pid=$(cat "$VAR/run/nginx.pid")
		kill -QUIT "$pid" 2>/dev/null || true
		wait_gone "$pid" 150 || { kill -KILL "$pid" 2>/dev/null || true; rc=1; }
		rm -f "$VAR/run/nginx.pid"
	fi
	for p in platform bare; do
		[ -f "$VAR/run/$p.pid" ] || continue
		pid=$(cat "$VAR/run/$p.pid")
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" 150 || { kill -KILL "$pid" 2>/dev/null || true; rc=1; }
		rm -f "$VAR/run/$p.pid" "$VAR/run/$p.sock"
	done
	# The shops' pools, once the worker (which would restart them) is gone;
	# it starts them again with the stack. (PLATFORM_SHOPS_DIR's default.)
	# All asked at once, then awaited: they drain side by side.
	pools=""
	for f in "$VAR"/merchants/*/pool.pid; do
		# (A pool that exits removes its own file meanwhile.)
		pid=$(cat "$f" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null || true
		pools="$pools $pid"
		rm -f "$f"
	done
	for pid in $pools; do
		wait_gone "$pid" 150 || { kill -KILL "$pid" 2>/dev/null || true; rc=1; }
	done
	echo "stopped"
	return $rc
}

reload() {
	pool_alive platform || die "not running"
	kill -HUP "$(cat "$VAR/run/platform.pid")"
	kill -HUP "$(cat "$VAR/run/nginx.pid")"
	echo "reloaded"
}

status() {
	ok=0
	alive "$VAR/run/nginx.pid" nginx && echo "nginx: running ($(cat "$VAR/run/nginx.pid"))" || { echo "nginx: stopped"; ok=1; }
	pool_alive platform && echo "platform pool: running ($(cat "$VAR/run/platform.pid"))" || { echo "platform pool: stopped"; ok=1; }
	alive "$VAR/run/worker.pid" platform-worker && echo "worker: running ($(cat "$VAR/run/worker.pid"))" || { echo "worker: stopped"; ok=1; }
	alive "$VAR/run/supervisor.pid" sh && echo "supervisor: running ($(cat "$VAR/run/supervisor.pid"))" || echo "supervisor: stopped"
	return $ok
}

case "${1:-}" in
start) start ;;
stop) stop ;;
reload) reload ;;
status) status ;;
supervise) supervise ;;
*) echo "usage: deploy/stack.sh start|stop|reload|status" >&2; exit 2 ;;
esac
