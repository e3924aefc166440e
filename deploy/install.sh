#!/bin/sh
# Production install on Debian 12, as root, from a checkout:
#   make && sh deploy/install.sh
# Installs the programs under /opt/marketplace, a `marketplace` system user,
# the database under /var/lib/marketplace, the systemd unit and the nginx site
# (not enabled: edit its server name and certificate paths first).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/rel}
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
for b in platform-pool platform-fcgi platformctl platform-worker; do
	[ -x "$BUILD/bin/$b" ] || { echo "install.sh: $BUILD/bin/$b missing: run make" >&2; exit 1; }
done
sh "$ROOT/deploy/deps.sh"
id marketplace >/dev/null 2>&1 ||
    useradd --system --home-dir /var/lib/marketplace --shell /usr/sbin/nologin marketplace
install -d -m 0755 /opt/marketplace/bin /opt/marketplace/nginx
install -m 0755 "$BUILD/bin/platform-pool" "$BUILD/bin/platform-fcgi" \
    "$BUILD/bin/platformctl" "$BUILD/bin/platform-worker" /opt/marketplace/bin/
cp -R "$ROOT/templates" "$ROOT/static" /opt/marketplace/
install -m 0644 "$ROOT/nginx/fastcgi.conf" /opt/marketplace/nginx/
install -d -m 0750 -o marketplace -g marketplace /var/lib/marketplace /etc/marketplace
if [ ! -f /etc/marketplace/platform.env ]; then
	umask 077
	cat > /etc/marketplace/platform.env <<EOC
PLATFORM_DB=/var/lib/marketplace/platform.db
PLATFORM_TEMPLATES=/opt/marketplace/templates
PLATFORM_WORKERS=$(nproc)
PLATFORM_MAX_BODY=1048576
PLATFORM_JWT_SECRET_FILE=/etc/marketplace/jwt.key
PLATFORM_FONT_DIR=/usr/share/fonts/truetype/dejavu
# PLATFORM_SELLER_NAME= PLATFORM_SELLER_ADDRESS= PLATFORM_SELLER_SIREN= PLATFORM_SELLER_VAT=
# STRIPE_SECRET_KEY= STRIPE_WEBHOOK_SECRET=
EOC
	chown marketplace:marketplace /etc/marketplace/platform.env
fi
if [ ! -s /etc/marketplace/jwt.key ]; then
	(umask 077; openssl rand -hex 32 > /etc/marketplace/jwt.key)
	chown marketplace:marketplace /etc/marketplace/jwt.key
fi
install -m 0644 "$ROOT/deploy/systemd/marketplace-platform.service" \
    "$ROOT/deploy/systemd/marketplace-worker.service" /etc/systemd/system/
install -m 0644 "$ROOT/deploy/nginx-site.conf" /etc/nginx/sites-available/marketplace
systemctl daemon-reload 2>/dev/null || true
echo "installed. Next: create the first admin:"
echo "  sudo -u marketplace env \$(cat /etc/marketplace/platform.env) /opt/marketplace/bin/platformctl create-admin you@example.com"
echo "then edit /etc/nginx/sites-available/marketplace, and"
echo "  systemctl enable --now marketplace-platform marketplace-worker"
echo "  ln -s ../sites-available/marketplace /etc/nginx/sites-enabled/ && nginx -t && systemctl reload nginx"
