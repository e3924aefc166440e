#!/bin/sh
# Production install on Debian 12, as root, from a checkout:
#   make && sh deploy/install.sh
# Installs the programs under /opt/marketplace, a `marketplace` system user,
# the database under /var/lib/marketplace, the systemd units (the platform's,
# the worker's, and the shops' template marketplace-shop@.service with the
# polkit rule that lets the worker drive them) and the nginx site rendered
# for MARKETPLACE_DOMAIN (default platform.example.com) and the shops'
# domain MARKETPLACE_SHOPS_DOMAIN (default shops.<domain>) with their Let's
# Encrypt certificate paths (not enabled: check it first).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/rel}
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
for b in platform-pool platform-fcgi platformctl platform-worker shop-fcgi; do
	[ -x "$BUILD/bin/$b" ] || { echo "install.sh: $BUILD/bin/$b missing: run make" >&2; exit 1; }
done
sh "$ROOT/deploy/deps.sh"
id marketplace >/dev/null 2>&1 ||
    useradd --system --home-dir /var/lib/marketplace --shell /usr/sbin/nologin marketplace
install -d -m 0755 /opt/marketplace/bin /opt/marketplace/nginx /opt/marketplace/deploy
install -m 0755 "$BUILD/bin/platform-pool" "$BUILD/bin/platform-fcgi" \
    "$BUILD/bin/platformctl" "$BUILD/bin/platform-worker" "$BUILD/bin/shop-fcgi" \
    /opt/marketplace/bin/
cp -R "$ROOT/templates" "$ROOT/static" /opt/marketplace/
# The worker renders each shop's server block with the same script and
# templates as this install.
install -m 0644 "$ROOT"/nginx/*.conf "$ROOT"/nginx/*.in /opt/marketplace/nginx/
install -m 0755 "$ROOT/deploy/nginx.sh" /opt/marketplace/deploy/
install -d -m 0750 -o marketplace -g marketplace /var/lib/marketplace /etc/marketplace
install -d -m 0711 -o marketplace -g marketplace /var/lib/marketplace/merchants
install -d -m 0755 -o marketplace -g marketplace /etc/nginx/marketplace-shops
DOMAIN=${MARKETPLACE_DOMAIN:-platform.example.com}
SHOPS=${MARKETPLACE_SHOPS_DOMAIN:-shops.$DOMAIN}
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
# The shops: systemd runs their pools, nginx serves them on *.$SHOPS.
PLATFORM_SHARE=/opt/marketplace
PLATFORM_BIN_DIR=/opt/marketplace/bin
SHOPS_DOMAIN=$SHOPS
PLATFORM_SHOPS_SYSTEMD=1
PLATFORM_SHOPS_DIR=/var/lib/marketplace/merchants
PLATFORM_SHOPS_NGINX_DIR=/etc/nginx/marketplace-shops
PLATFORM_SOCKET_GROUP=www-data
PLATFORM_NGINX_CONF=/etc/nginx/nginx.conf
PLATFORM_NGINX_PID=/run/nginx.pid
PLATFORM_PROBE_CA=/etc/ssl/certs/ca-certificates.crt
EOC
	chown marketplace:marketplace /etc/marketplace/platform.env
fi
if [ ! -s /etc/marketplace/jwt.key ]; then
	(umask 077; openssl rand -hex 32 > /etc/marketplace/jwt.key)
	chown marketplace:marketplace /etc/marketplace/jwt.key
fi
install -m 0644 "$ROOT/deploy/systemd/marketplace-platform.service" \
    "$ROOT/deploy/systemd/marketplace-worker.service" \
    "$ROOT/deploy/systemd/marketplace-shop@.service" \
    "$ROOT/deploy/systemd/marketplace-shops.target" /etc/systemd/system/
install -d -m 0755 /etc/polkit-1/rules.d
install -m 0644 "$ROOT/deploy/systemd/50-marketplace.rules" /etc/polkit-1/rules.d/
# The worker tests nginx's configuration (nginx -t) before a shop goes
# live: it reads the certificates' keys and nginx's logs.
for g in ssl-cert adm; do
	getent group "$g" >/dev/null && usermod -a -G "$g" marketplace
done
# The site, from the same templates as the development stack's nginx; its
# body limit and sign-in rate are the platform's configuration.
conf=$(set -a; . /etc/marketplace/platform.env; set +a;
    /opt/marketplace/bin/platformctl config --shell) ||
    { echo "install.sh: /etc/marketplace/platform.env refused" >&2; exit 1; }
MAX_BODY=$(echo "$conf" | sed -n 's/^PLATFORM_MAX_BODY=//p')
LOGIN_RATE=$(echo "$conf" | sed -n 's/^PLATFORM_LOGIN_RATE=//p')
SHOPS_DOMAIN=$(echo "$conf" | sed -n 's/^SHOPS_DOMAIN=//p')
NGINX_SHARE=/opt/marketplace NGINX_SOCKET=/run/marketplace/platform.sock \
    NGINX_LISTEN_HTTP="80 [::]:80" NGINX_LISTEN_HTTPS="443 [::]:443" \
    NGINX_SERVER_NAME="$DOMAIN" NGINX_HTTPS_NAME="$DOMAIN" NGINX_REDIRECT_PORT='' \
    NGINX_CERT="/etc/letsencrypt/live/$DOMAIN/fullchain.pem" \
    NGINX_KEY="/etc/letsencrypt/live/$DOMAIN/privkey.pem" \
    NGINX_ACCESS_LOG=/var/log/nginx/marketplace-access.log \
    NGINX_MAX_BODY="$MAX_BODY" NGINX_LOGIN_RATE="$LOGIN_RATE" \
    NGINX_SHOPS_DOMAIN="$SHOPS_DOMAIN" NGINX_SHOPS=/etc/nginx/marketplace-shops \
    NGINX_SHOPS_CERT="/etc/letsencrypt/live/$SHOPS_DOMAIN/fullchain.pem" \
    NGINX_SHOPS_KEY="/etc/letsencrypt/live/$SHOPS_DOMAIN/privkey.pem" \
    NGINX_SHOPS_ACCESS_LOG=/var/log/nginx/marketplace-shops-access.log \
    sh "$ROOT/deploy/nginx.sh" site > /etc/nginx/sites-available/marketplace
systemctl daemon-reload 2>/dev/null || true
echo "installed. Next: create the first admin:"
echo "  sudo -u marketplace env \$(cat /etc/marketplace/platform.env) /opt/marketplace/bin/platformctl create-admin you@example.com"
echo "then check /etc/nginx/sites-available/marketplace (rendered for $DOMAIN), and"
echo "  systemctl enable --now marketplace-platform marketplace-worker marketplace-shops.target"
echo "  (a wildcard certificate for *.$SHOPS at /etc/letsencrypt/live/$SHOPS/: DNS-01 challenge)"
echo "  ln -s ../sites-available/marketplace /etc/nginx/sites-enabled/ && nginx -t && systemctl reload nginx"
