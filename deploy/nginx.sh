#!/bin/sh
# Renders nginx configuration from the one source, nginx/*.in (with the
# static fragments nginx/tls.conf, errors.conf, fastcgi.conf they include):
#
#   deploy/nginx.sh dev    the development stack's whole nginx.conf
#   deploy/nginx.sh site   the production site (http-level lines and the
#                          server blocks), for /etc/nginx/sites-available
#   deploy/nginx.sh shop   one shop's line of the shops' map (the platform's
#                          worker runs it when it deploys a shop)
#
# Values come from the environment, each checked before it reaches the
# file (a bad one stops the rendering, naming it):
#   NGINX_SHARE     where nginx/ and static/ are (the checkout, /opt/marketplace)
#   NGINX_SOCKET    the platform pool's socket
#   NGINX_LISTEN_HTTP, NGINX_LISTEN_HTTPS
#                   addresses to listen on, space-separated ("127.0.0.1:8080",
#                   "80 [::]:80")
#   NGINX_SERVER_NAME  the name HTTP redirects to; NGINX_HTTPS_NAME the HTTPS
#                   server's name ("_": any)
#   NGINX_REDIRECT_PORT  ":8443", or "" for 443
#   NGINX_CERT, NGINX_KEY, NGINX_ACCESS_LOG
#   NGINX_MAX_BODY, NGINX_LOGIN_RATE
#   NGINX_SHOPS_DOMAIN  the shops' domain (one server block for all of them;
#                   its names no shop has answer 404)
#   NGINX_SHOPS     the directory of the shops' map lines (<subdomain>.map)
#   NGINX_SHOPS_CERT, NGINX_SHOPS_KEY, NGINX_SHOPS_ACCESS_LOG  the shops'
#                   server's (default: NGINX_CERT, NGINX_KEY, NGINX_ACCESS_LOG)
#   dev only: NGINX_VAR, NGINX_WORKERS, NGINX_USER_LINE, NGINX_EXTRA (a file
#   of extra locations to include, or "")
#   shop: NGINX_SHOP_HOST, NGINX_UPSTREAM ("unix:/path" or "host:port")
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case $mode in dev|site|shop) ;; *) echo "usage: deploy/nginx.sh dev|site|shop" >&2; exit 2 ;; esac

die() { echo "nginx.sh: $*" >&2; exit 1; }
need() { # name check-function what-it-must-be
	v=$(printenv "$1") || v=""
	"$2" "$v" || die "$1=\"$v\": $3"
}
is_path() { case "$1" in ''|*[!A-Za-z0-9_./-]*) return 1 ;; esac; }
is_path_or_empty() { [ -z "$1" ] || is_path "$1"; }
is_count() { case "$1" in ''|*[!0-9]*) return 1 ;; esac; [ "$1" -ge 1 ]; }
is_name() { case "$1" in _) return 0 ;; ''|*[!a-z0-9.-]*|[.-]*|*[.-]|*..*) return 1 ;; esac; }
is_listen() { [ -n "$1" ] && case "$1" in *[!0-9a-f.:\[\]\ ]*) return 1 ;; esac; }
is_port_suffix() { case "$1" in '') return 0 ;; :*) is_count "${1#:}" ;; *) return 1 ;; esac; }
is_user_line() { case "$1" in ''|'user nobody nogroup;'|'user root root;') return 0 ;; esac; return 1; }
is_host() { case "$1" in ''|*[!a-z0-9.-]*|[.-]*|*[.-]|*..*) return 1 ;; esac; }
is_upstream() {
	case "$1" in
	unix:/*) is_path "${1#unix:}" ;;
	*:*) is_host "${1%:*}" && is_count "${1##*:}" && [ "${1##*:}" -le 65535 ] ;;
	*) return 1 ;;
	esac
}

if [ "$mode" = shop ]; then
	need NGINX_SHOP_HOST is_host "a host name (a-z 0-9 . -)"
	need NGINX_UPSTREAM is_upstream "unix:/path or host:port"
	export NGINX_LOGIN_RATE=1
fi

[ "$mode" = shop ] || {
need NGINX_SHARE is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_SOCKET is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_LISTEN_HTTP is_listen "addresses (digits, dots, colons, brackets)"
need NGINX_LISTEN_HTTPS is_listen "addresses (digits, dots, colons, brackets)"
need NGINX_SERVER_NAME is_name "a host name (a-z 0-9 . -)"
need NGINX_HTTPS_NAME is_name "a host name (a-z 0-9 . -), or _"
need NGINX_REDIRECT_PORT is_port_suffix "\":PORT\" or \"\""
need NGINX_CERT is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_KEY is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_ACCESS_LOG is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_MAX_BODY is_count "a number of bytes"
need NGINX_LOGIN_RATE is_count "sign-ins a minute, at least 1"
need NGINX_SHOPS_DOMAIN is_host "a domain name (a-z 0-9 . -)"
if [ "$mode" = dev ]; then
	need NGINX_VAR is_path "a path of A-Z a-z 0-9 _ . / -"
	need NGINX_WORKERS is_count "a number of processes"
	need NGINX_USER_LINE is_user_line "\"\", \"user nobody nogroup;\" or \"user root root;\""
	need NGINX_EXTRA is_path_or_empty "a path of A-Z a-z 0-9 _ . / -, or \"\""
fi
need NGINX_SHOPS is_path "a path of A-Z a-z 0-9 _ . / -"
: "${NGINX_SHOPS_CERT:=$NGINX_CERT}" "${NGINX_SHOPS_KEY:=$NGINX_KEY}"
: "${NGINX_SHOPS_ACCESS_LOG:=$NGINX_ACCESS_LOG}"
export NGINX_SHOPS_CERT NGINX_SHOPS_KEY NGINX_SHOPS_ACCESS_LOG
need NGINX_SHOPS_CERT is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_SHOPS_KEY is_path "a path of A-Z a-z 0-9 _ . / -"
need NGINX_SHOPS_ACCESS_LOG is_path "a path of A-Z a-z 0-9 _ . / -"
}
export NGINX_LOGIN_BURST=$((NGINX_LOGIN_RATE - 1))

# Expands one template: @NAME@ takes $NGINX_NAME; a line that is only
# @LISTEN_HTTP@ / @LISTEN_HTTPS@ becomes listen lines, @EXTRA@ an include,
# @HTTP@ and @SERVERS@ the other templates.
render() {
	awk -v mode="$mode" -v root="$ROOT" '
	function expand(line,    out, name, i, j) {
		out = ""
		while ((i = index(line, "@")) > 0) {
			j = index(substr(line, i + 1), "@")
			if (j == 0)
				break
			name = substr(line, i + 1, j - 1)
			if (name !~ /^[A-Z_]+$/) {
				out = out substr(line, 1, i)
				line = substr(line, i + 1)
				continue
			}
			if (!(("NGINX_" name) in ENVIRON)) {
				print "nginx.sh: no value for @" name "@" > "/dev/stderr"
				exit 1
			}
			out = out substr(line, 1, i - 1) ENVIRON["NGINX_" name]
			line = substr(line, i + j + 1)
		}
		return out line
	}
	function listen(spec, ssl,    n, a, k) {
		n = split(spec, a, " ")
		for (k = 1; k <= n; k++)
			print "\tlisten " a[k] (ssl ? " ssl http2" : "") ";"
	}
	function file(path,    line) {
		while ((getline line < path) > 0) {
			if (line == "@LISTEN_HTTP@")
				listen(ENVIRON["NGINX_LISTEN_HTTP"], 0)
			else if (line == "@LISTEN_HTTPS@")
				listen(ENVIRON["NGINX_LISTEN_HTTPS"], 1)
			else if (line == "@EXTRA@") {
				if (ENVIRON["NGINX_EXTRA"] != "")
					print "\tinclude " ENVIRON["NGINX_EXTRA"] ";"
			} else if (line == "@HTTP@")
				file(root "/nginx/http.conf.in")
			else if (line == "@SERVERS@") {
				file(root "/nginx/platform.conf.in")
				file(root "/nginx/shops.conf.in")
			}
			else
				print expand(line)
		}
		close(path)
	}
	BEGIN {
		if (mode == "dev")
			file(root "/nginx/dev.conf.in")
		else if (mode == "shop")
			file(root "/nginx/shop.map.in")
		else {
			print "# The platform'"'"'s production site, rendered by deploy/nginx.sh site"
			print "# from nginx/http.conf.in and nginx/platform.conf.in: render it again"
			print "# rather than edit it."
			file(root "/nginx/http.conf.in")
			print ""
			file(root "/nginx/platform.conf.in")
			print ""
			file(root "/nginx/shops.conf.in")
		}
	}'
}
render
