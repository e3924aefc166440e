#!/bin/sh
# Installs the Debian packages the platform and its tests need, and the
# browser tests' driver (playwright-core, from npm); fast when all are present.
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config nginx openssl curl ca-certificates sqlite3
 libfcgi-dev libcjson-dev libsqlite3-dev libmbedtls-dev libctemplate-dev
 libcurl4-openssl-dev libcmocka-dev libargon2-dev libhpdf-dev fonts-dejavu-core
 poppler-utils wrk chromium systemd tidy clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node.js drives chromium in the browser tests (never the product): the
# machine's own when it has one, else Debian's.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deploy/deps.sh: run as root (or install:$missing)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
# The version package-lock.json names; chromium is Debian's (no download).
if [ ! -f test/browser/node_modules/playwright-core/package.json ]; then
	echo "installing: playwright-core (npm)"
	(cd test/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
