#!/bin/sh
# Installs the Debian packages the platform and its tests need; fast when all are present.
set -eu
PKGS="build-essential pkg-config nginx openssl curl ca-certificates sqlite3
 libfcgi-dev libcjson-dev libsqlite3-dev libmbedtls-dev libctemplate-dev
 libcurl4-openssl-dev libcmocka-dev libargon2-dev libhpdf-dev fonts-dejavu-core
 poppler-utils wrk chromium systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deploy/deps.sh: run as root (or install:$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
