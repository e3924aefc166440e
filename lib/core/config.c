#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "mem.h"
#include "valid.h"

/* How a variable's text is checked and stored. */
enum kind {
	K_PATH,		/* a path of [A-Za-z0-9_./-] */
	K_TEXT,		/* printable single-line UTF-8 */
	K_SECRET,	/* text, never printed */
	K_URL,		/* a URL of one of the schemes in arg */
	K_HOST,		/* a host name */
	K_IPV4,		/* a dotted IPv4 address */
	K_INT,		/* an integer in [min, max] */
	K_BOOL,		/* 0 or 1 */
	K_SLA,		/* priority=hours pairs */
	K_HOURS,	/* days and working hours */
	K_ZONE,		/* a zone of the tz database */
	K_KEYFILE,	/* a path to a hex key */
	K_ORIGINS,	/* "*" and/or origins scheme://host[:port], comma-separated */
};

#define SHELL	0x1u	/* deploy/stack.sh reads it (config_print_shell) */

struct var {
	const char	*name;
	const char	*def;	/* NULL: unset; "$PLATFORM_VAR/..." expands */
	enum kind	 kind;
	int64_t		 min, max;	/* K_INT */
	size_t		 off, size;	/* the value in struct config */
	unsigned	 flags;
	const char	*arg;	/* K_URL: the schemes, "https,http" */
	const char	*shown;	/* the default as people say it, if not def */
	const char	*meaning;
	size_t		 key;	/* K_KEYFILE: where its struct config_key is */
};

#define AT(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)

/* Every variable of every program, once. The README's table is printed
 * from this one (`platformctl config --markdown`); a test compares them. */
static const struct var vars[] = {
	{ "PLATFORM_VAR", "var", K_PATH, 0, 0, AT(var_dir), SHELL, NULL, NULL,
	    "runtime directory: database, TLS files, secrets, logs, sockets, nginx temp", 0 },
	{ "PLATFORM_DB", "$PLATFORM_VAR/platform.db", K_PATH, 0, 0, AT(db_path), SHELL,
	    NULL, NULL, "the SQLite database", 0 },
	{ "HTTPS_PORT", "8443", K_INT, 1, 65535, AT(https_port), SHELL, NULL, NULL,
	    "nginx's HTTPS port", 0 },
	{ "HTTP_PORT", "8080", K_INT, 1, 65535, AT(http_port), SHELL, NULL, NULL,
	    "nginx's HTTP port (it only redirects)", 0 },
	{ "PLATFORM_LISTEN", "127.0.0.1", K_IPV4, 0, 0, AT(listen), SHELL, NULL, NULL,
	    "the address nginx listens on", 0 },
	{ "PLATFORM_SERVER_NAME", "localhost", K_HOST, 0, 0, AT(server_name), SHELL,
	    NULL, NULL, "the host name HTTP requests are redirected to (never the "
	    "request's `Host`)", 0 },
	{ "PLATFORM_WORKERS", NULL, K_INT, 1, 256, AT(workers), SHELL, NULL,
	    "number of cores", "FastCGI workers in the platform pool", 0 },
	{ "PLATFORM_MAX_BODY", "1048576", K_INT, 1024, 64 * 1024 * 1024, AT(max_body),
	    SHELL, NULL, NULL, "request body limit in bytes, in nginx and in the workers", 0 },
	{ "PLATFORM_DEMO", "1", K_BOOL, 0, 1, AT(demo), SHELL, NULL, NULL,
	    "load the demo data (`0`: an empty platform)", 0 },
	{ "PLATFORM_BENCH_BARE", "0", K_BOOL, 0, 1, AT(bench_bare), SHELL, NULL, NULL,
	    "`1`: also serve the bare FastCGI responder at `/bench/bare` (`make bench`)", 0 },
	{ "PLATFORM_JWT_SECRET_FILE", "$PLATFORM_VAR/secrets/jwt.key", K_KEYFILE, 0, 0,
	    AT(jwt_secret_file), SHELL, NULL, NULL, "the HS256 key (hex, 32-64 bytes); "
	    "the workers refuse to start without it", offsetof(struct config, jwt) },
	{ "PLATFORM_JWT_TTL", "604800", K_INT, 60, 90LL * 24 * 3600, AT(jwt_ttl), 0, NULL,
	    NULL, "JWT lifetime in seconds (7 days)", 0 },
	{ "PLATFORM_LOGIN_RATE", "10", K_INT, 1, 10000, AT(login_rate), SHELL, NULL, NULL,
	    "sign-in and sign-up attempts a minute per address before nginx answers 429", 0 },
	{ "PLATFORM_CORS_ORIGINS", "*", K_ORIGINS, 0, 0, AT(cors_origins), 0, NULL, NULL,
	    "origins other sites' browsers may call the API from (CORS): `*` any, without "
	    "credentials; each origin listed (`https://app.example.com`) also with "
	    "credentials", 0 },
	{ "PLATFORM_SELLER_NAME", "Marketplace SAS", K_TEXT, 0, 0, AT(seller_name), 0,
	    NULL, NULL, "the seller on invoices: name", 0 },
	{ "PLATFORM_SELLER_ADDRESS", "8 rue de la Paix, 75002 Paris, France", K_TEXT, 0,
	    0, AT(seller_address), 0, NULL, NULL, "the seller's address", 0 },
	{ "PLATFORM_SELLER_SIREN", "303265045", K_TEXT, 0, 0, AT(seller_siren), 0, NULL,
	    NULL, "the seller's SIREN", 0 },
	{ "PLATFORM_SELLER_VAT", "FR40303265045", K_TEXT, 0, 0, AT(seller_vat), 0, NULL,
	    NULL, "the seller's VAT number", 0 },
	{ "PLATFORM_VAT_RATE_BPS", "2000", K_INT, 0, 10000, AT(vat_rate_bps), 0, NULL,
	    NULL, "the VAT rate in basis points (20 %)", 0 },
	{ "PLATFORM_FONT_DIR", "/usr/share/fonts/truetype/dejavu", K_PATH, 0, 0,
	    AT(font_dir), 0, NULL, NULL, "where `DejaVuSans.ttf` and `-Bold.ttf` are, "
	    "for PDFs", 0 },
	{ "STRIPE_SECRET_KEY", NULL, K_SECRET, 0, 0, AT(stripe_secret_key), 0, NULL, NULL,
	    "Stripe's secret key: Stripe becomes the billing provider", 0 },
	{ "STRIPE_WEBHOOK_SECRET", NULL, K_SECRET, 0, 0, AT(stripe_webhook_secret), 0,
	    NULL, NULL, "the webhook endpoint's signing secret (`whsec_...`)", 0 },
	{ "STRIPE_API_BASE", "https://api.stripe.com", K_URL, 0, 0, AT(stripe_api_base),
	    0, "https,http", NULL, "Stripe's API address", 0 },
	{ "PLATFORM_SLA_HOURS", "urgent=1,high=4,medium=8,low=24", K_SLA, 1, 24 * 365,
	    AT(sla_spec), 0, NULL, NULL, "first-response targets by priority, in hours", 0 },
	{ "PLATFORM_BUSINESS_HOURS", NULL, K_HOURS, 0, 0, AT(business_spec), 0, NULL,
	    "unset (calendar hours)", "e.g. `mon-fri 09:00-18:00`", 0 },
	{ "PLATFORM_TIMEZONE", "Europe/Paris", K_ZONE, 0, 0, AT(timezone), 0, NULL, NULL,
	    "the zone of business hours (the tz database)", 0 },
	{ "PLATFORM_BACKUP_DIR", "$PLATFORM_VAR/backups", K_PATH, 0, 0, AT(backup_dir), 0,
	    NULL, NULL, "where the background worker's scheduled backups go", 0 },
	{ "PLATFORM_BACKUP_INTERVAL_S", "86400", K_INT, 0, 30 * 86400,
	    AT(backup_interval_s), 0, NULL, NULL, "seconds between scheduled backups "
	    "(`0`: none)", 0 },
	{ "PLATFORM_BACKUP_KEEP", "7", K_INT, 1, 1000, AT(backup_keep), 0, NULL, NULL,
	    "how many scheduled backups are kept (the oldest go)", 0 },
	{ "PLATFORM_DB_DURABLE", "1", K_BOOL, 0, 1, AT(db_durable), 0, NULL, NULL,
	    "`1`: a write is on disk before it is acknowledged and survives a power "
	    "loss (the WAL is fsynced after each commit, before any answer); `0`: it "
	    "survives the crash of any process, a power loss may take back the last ones "
	    "(SQLite `synchronous=NORMAL`, no fsync a commit)", 0 },
	{ "PLATFORM_ROUND_ROBIN", "0", K_BOOL, 0, 1, AT(round_robin), 0, NULL, NULL,
	    "`1`: new tickets go to the least loaded agent", 0 },
	{ "SMTP_URL", NULL, K_URL, 0, 0, AT(smtp_url), 0, "smtp,smtps", NULL,
	    "send the e-mail outbox through this SMTP server (`smtp://` or `smtps://`)", 0 },
	{ "SMTP_USER", NULL, K_TEXT, 0, 0, AT(smtp_user), 0, NULL, NULL,
	    "the SMTP user, when the server wants one", 0 },
	{ "SMTP_PASSWORD", NULL, K_SECRET, 0, 0, AT(smtp_password), 0, NULL, NULL,
	    "the SMTP password", 0 },
	{ "SMTP_FROM", "no-reply@marketplace.localhost", K_TEXT, 0, 0,
	    AT(smtp_from), 0, NULL, NULL, "the sender of the e-mails", 0 },
	{ "PLATFORM_TEMPLATES", "templates", K_PATH, 0, 0, AT(template_dir), SHELL, NULL,
	    NULL, "where the ctemplate pages are (a shop's: `templates/shop`)", 0 },
	{ "PLATFORM_SHARE", ".", K_PATH, 0, 0, AT(share_dir), 0, NULL, NULL,
	    "where `nginx/`, `static/` and `deploy/nginx.sh` are (the checkout, "
	    "`/opt/marketplace`)", 0 },
	{ "PLATFORM_BIN_DIR", "build/rel/bin", K_PATH, 0, 0, AT(bin_dir), 0, NULL, NULL,
	    "where `platform-pool` and `shop-fcgi` are, for the shops the worker "
	    "starts", 0 },
	{ "PLATFORM_NGINX_CONF", "$PLATFORM_VAR/nginx.conf", K_PATH, 0, 0,
	    AT(nginx_conf), 0, NULL, NULL, "the nginx configuration the worker tests "
	    "(`nginx -t`) before a shop goes live", 0 },
	{ "PLATFORM_NGINX_PID", "$PLATFORM_VAR/run/nginx.pid", K_PATH, 0, 0,
	    AT(nginx_pid), 0, NULL, NULL, "nginx's pid file: the worker reloads it "
	    "(`SIGHUP`)", 0 },
	{ "PLATFORM_SHOPS_DIR", "$PLATFORM_VAR/merchants", K_PATH, 0, 0, AT(shops_dir),
	    SHELL, NULL, NULL, "one directory a shop: its database, key, socket, pid "
	    "and log", 0 },
	{ "PLATFORM_SHOPS_NGINX_DIR", "$PLATFORM_VAR/shops", K_PATH, 0, 0,
	    AT(shops_nginx_dir), SHELL, NULL, NULL, "the shops' lines of nginx's map, "
	    "one file a shop (`<subdomain>.map`, included by the shops' server block)", 0 },
	{ "SHOPS_DOMAIN", "shops.localhost", K_HOST, 0, 0, AT(shops_domain), SHELL, NULL,
	    NULL, "shops answer at `<subdomain>.SHOPS_DOMAIN`", 0 },
	{ "SHOP_WORKERS", "2", K_INT, 1, 64, AT(shop_workers), 0, NULL, NULL,
	    "FastCGI workers in each shop's pool", 0 },
	{ "SHOP_START_TIMEOUT_MS", "5000", K_INT, 100, 120000, AT(shop_start_ms), 0,
	    NULL, NULL, "how long a deployment waits for a new shop's health check", 0 },
	{ "PLATFORM_SOCKET_GROUP", NULL, K_HOST, 0, 0, AT(socket_group), 0, NULL,
	    "unset (the pools' own)", "the group given the shops' sockets, so that "
	    "nginx's workers reach them (`make run` as root: `nogroup`)", 0 },
	{ "PLATFORM_SHOPS_SYSTEMD", "0", K_BOOL, 0, 1, AT(shops_systemd), 0, NULL, NULL,
	    "who keeps the shops' pools running: 0 the worker itself (pid files; it "
	    "starts again a pool that died), 1 systemd (`marketplace-shop@<subdomain>`, "
	    "deploy/systemd)", 0 },
	{ "PLATFORM_SYSTEMCTL", "/usr/bin/systemctl", K_PATH, 0, 0, AT(systemctl), 0,
	    NULL, NULL, "the systemctl the worker runs when `PLATFORM_SHOPS_SYSTEMD=1`",
	    0 },
	{ "PLATFORM_PROBE_INTERVAL_S", "30", K_INT, 1, 3600, AT(probe_interval_s), 0,
	    NULL, NULL, "how often the worker probes each running shop through nginx "
	    "(seconds)", 0 },
	{ "PLATFORM_PROBE_SLOW_MS", "1000", K_INT, 10, 60000, AT(probe_slow_ms), 0, NULL,
	    NULL, "an answer slower than this makes a shop degraded", 0 },
	{ "PLATFORM_RESTART_AFTER", "3", K_INT, 1, 100, AT(restart_after), 0, NULL, NULL,
	    "failed probes in a row that make a shop down and restart it", 0 },
	{ "PLATFORM_PROBE_CA", "$PLATFORM_VAR/tls/cert.pem", K_PATH, 0, 0, AT(probe_ca),
	    0, NULL, NULL, "the CA file the probes trust (production: the system's, "
	    "`/etc/ssl/certs/ca-certificates.crt`)", 0 },
	{ "SHOP_NAME", "Boutique", K_TEXT, 0, 0, AT(shop_name), 0, NULL, NULL,
	    "a shop backend's name, on its storefront", 0 },
	{ "SHOP_SECRET_FILE", NULL, K_KEYFILE, 0, 0, AT(shop_secret_file), 0, NULL, NULL,
	    "a shop backend's owner key (hex, 32-64 bytes): its owner and the platform "
	    "present it as `Bearer`", offsetof(struct config, shop_secret) },
};

#define NVARS	(sizeof(vars) / sizeof(vars[0]))

static const char *const priorities[4] = { "low", "medium", "high", "urgent" };
static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat",
    "sun" };

static struct config current;
static int loaded;

static int
path_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '/' ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
host_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' ||
	    s[n - 1] == '-' || strstr(s, ".."))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
ipv4_ok(const char *s)
{
	int parts = 0;
	while (*s) {
		int64_t v;
		char part[4];
		size_t n = strspn(s, "0123456789");
		if (n == 0 || n > 3)
			return 0;
		memcpy(part, s, n);
		part[n] = '\0';
		if ((n > 1 && part[0] == '0') || valid_int(part, 0, 255, &v) != 0)
			return 0;
		parts++;
		s += n;
		if (*s == '.' && s[1] != '\0' && parts < 4)
			s++;
		else if (*s != '\0')
			return 0;
	}
	return parts == 4;
}

/* scheme://host... of one of the comma-separated schemes. */
static int
url_ok(const char *s, const char *schemes)
{
	const char *sep = strstr(s, "://");
	if (sep == NULL || sep == s || !valid_text(s, 0) || strchr(s, ' '))
		return 0;
	size_t n = (size_t)(sep - s);
	for (const char *p = schemes; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t m = strcspn(p, ",");
		if (m == n && strncmp(p, s, n) == 0)
			return sep[3] != '\0' && sep[3] != '/';
	}
	return 0;
}

/* "*", or origins (http or https://host[:port], no path), comma-separated. */
static int
origins_ok(const char *s)
{
	char one[CONFIG_TEXT];
	if (*s == '\0')
		return 0;
	for (const char *p = s; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(one))
			return 0;
		memcpy(one, p, n);
		one[n] = '\0';
		if (strcmp(one, "*") == 0)
			continue;
		const char *h = strncmp(one, "https://", 8) == 0 ? one + 8 :
		    strncmp(one, "http://", 7) == 0 ? one + 7 : NULL;
		if (h == NULL)
			return 0;
		char *colon = strchr(h, ':');
		int64_t port;
		if (colon) {
			*colon = '\0';
			if (valid_int(colon + 1, 1, 65535, &port) != 0 || colon[1] == '0')
				return 0;
		}
		if (!host_ok(h) && !ipv4_ok(h))
			return 0;
	}
	return 1;
}

static int
parse_sla(const char *spec, int64_t max, int hours[4])
{
	static const int defaults[4] = { 24, 8, 4, 1 };
	char copy[128], *save = NULL;
	if (strlen(spec) >= sizeof(copy))
		return -1;
	memcpy(hours, defaults, sizeof(defaults));
	memcpy(copy, spec, strlen(spec) + 1);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		int64_t h;
		int p = -1;
		if (eq == NULL)
			return -1;
		*eq = '\0';
		for (int i = 0; i < 4; i++)
			if (strcmp(t, priorities[i]) == 0)
				p = i;
		if (p < 0 || valid_int(eq + 1, 1, max, &h) != 0)
			return -1;
		hours[p] = (int)h;
	}
	return 0;
}

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

int
config_parse_hours(const char *spec, struct config_hours *out)
{
	char days[64];
	int h1, m1, h2, m2, mask = 0, used = 0;
	if (sscanf(spec, "%63s %d:%d-%d:%d%n", days, &h1, &m1, &h2, &m2, &used) != 5 ||
	    spec[used] != '\0' || h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 ||
	    h2 > 24 || m2 < 0 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2 ||
	    h2 * 60 + m2 > 24 * 60)
		return -1;
	char *save = NULL;
	for (char *t = strtok_r(days, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(t, '-');
		int a = day_index(t, dash ? (size_t)(dash - t) : strlen(t));
		int b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
		if (a < 0 || b < 0 || b < a)
			return -1;
		for (int d = a; d <= b; d++)
			mask |= 1 << d;
	}
	out->set = 1;
	out->days = mask;
	out->open_min = h1 * 60 + m1;
	out->close_min = h2 * 60 + m2;
	return 0;
}

/* Reads a key: a file of 32 to 64 bytes in hex (deploy/stack.sh and
 * deploy/install.sh create the JWT key, the deployer a shop's). A missing
 * file leaves no key; a malformed one is refused. */
static int
read_key(const char *path, struct config_key *k)
{
	char hex[2 * CONFIG_KEY_MAX + 2];
	FILE *f = fopen(path, "r");
	k->len = 0;
	if (f == NULL)
		return 0;
	size_t n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
		n--;
	hex[n] = '\0';
	int rc = 0;
	if (n % 2 != 0 || n < 64 || n > 2 * CONFIG_KEY_MAX ||
	    crypto_unhex(hex, k->bytes, n / 2) != 0)
		rc = -1;
	else
		k->len = n / 2;
	crypto_wipe(hex, sizeof(hex));
	return rc;
}

/* The rule a value broke, for the refusal. */
static void
rule(const struct var *v, char *out, size_t n)
{
	switch (v->kind) {
	case K_PATH:
	case K_KEYFILE:
		snprintf(out, n, "must be a path of A-Z a-z 0-9 _ . / - (at most %zu bytes)%s",
		    v->size - 1, v->kind == K_KEYFILE ? " to a file holding 32 to 64 "
		    "bytes in hex" : "");
		break;
	case K_TEXT:
	case K_SECRET:
		snprintf(out, n, "must be text on one line (at most %zu bytes)", v->size - 1);
		break;
	case K_URL:
		snprintf(out, n, "must be a URL (%s)", v->arg);
		break;
	case K_HOST:
		snprintf(out, n, "must be a host name (a-z 0-9 . -)");
		break;
	case K_IPV4:
		snprintf(out, n, "must be an IPv4 address");
		break;
	case K_INT:
		snprintf(out, n, "must be an integer from %lld to %lld", (long long)v->min,
		    (long long)v->max);
		break;
	case K_BOOL:
		snprintf(out, n, "must be 0 or 1");
		break;
	case K_SLA:
		snprintf(out, n, "must be priority=hours pairs (urgent, high, medium, low; "
		    "hours from %lld to %lld), like urgent=1,high=4", (long long)v->min,
		    (long long)v->max);
		break;
	case K_HOURS:
		snprintf(out, n, "must be days and hours, like mon-fri 09:00-18:00");
		break;
	case K_ZONE:
		snprintf(out, n, "must be a zone of the tz database, like Europe/Paris");
		break;
	case K_ORIGINS:
		snprintf(out, n, "must be * or origins like https://app.example.com:8443, "
		    "comma-separated");
		break;
	}
}

/* Checks text as v's value and stores it in c. Returns 0 or -1. */
static int
set(struct config *c, const struct var *v, const char *text)
{
	char *at = (char *)c + v->off;
	int64_t num;
	if (v->kind == K_INT || v->kind == K_BOOL) {
		if (valid_int(text, v->min, v->max, &num) != 0)
			return -1;
		if (v->size == sizeof(int))
			*(int *)(void *)at = (int)num;
		else
			*(int64_t *)(void *)at = num;
		return 0;
	}
	if (strlen(text) >= v->size)
		return -1;
	switch (v->kind) {
	case K_PATH:
	case K_KEYFILE:
		if (!path_ok(text))
			return -1;
		break;
	case K_TEXT:
	case K_SECRET:
		if (!valid_text(text, 0))
			return -1;
		break;
	case K_URL:
		if (!url_ok(text, v->arg))
			return -1;
		break;
	case K_HOST:
		if (!host_ok(text))
			return -1;
		break;
	case K_IPV4:
		if (!ipv4_ok(text))
			return -1;
		break;
	case K_SLA:
		if (parse_sla(text, v->max, c->sla_hours) != 0)
			return -1;
		break;
	case K_HOURS:
		if (config_parse_hours(text, &c->business) != 0)
			return -1;
		break;
	case K_ZONE:
		if ((c->tz = tz_load(text)) == NULL)
			return -1;
		break;
	case K_ORIGINS:
		if (!origins_ok(text))
			return -1;
		break;
	default:
		break;
	}
	memcpy(at, text, strlen(text) + 1);
	if (v->kind == K_KEYFILE && read_key(text, (struct config_key *)(void *)
	    ((char *)c + v->key)) != 0)
		return -1;
	return 0;
}

/* Fills c from the defaults and, when env, the environment. Returns 0,
 * or -1 with "NAME rule" in why. */
static int
fill(struct config *c, int env, char *why, size_t n)
{
	char text[CONFIG_PATH + 64], r[200];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NVARS; i++) {
		const struct var *v = &vars[i];
		const char *e = env ? getenv(v->name) : NULL;
		int given = e && *e;
		if (!given && v->def == NULL)
			continue;
		if (given)
			snprintf(text, sizeof(text), "%s", e);
		else if (strncmp(v->def, "$PLATFORM_VAR/", 14) == 0)
			snprintf(text, sizeof(text), "%s/%s", c->var_dir, v->def + 14);
		else
			snprintf(text, sizeof(text), "%s", v->def);
		if ((given && strlen(e) >= sizeof(text)) || set(c, v, text) != 0) {
			rule(v, r, sizeof(r));
			snprintf(why, n, "%s %s", v->name, r);
			return -1;
		}
	}
	if (c->workers == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = cores < 1 ? 1 : cores > 256 ? 256 : (int)cores;
	}
	return 0;
}

int
config_load(char *why, size_t n)
{
	static struct config next;
	int rc = fill(&next, 1, why, n);
	if (rc == 0) {
		crypto_wipe(&current, sizeof(current));
		current = next;
		loaded = 1;
		db_set_durable(current.db_durable);
	}
	crypto_wipe(&next, sizeof(next));
	return rc;
}

const struct config *
config(void)
{
	/* Before a program loads it: the defaults, as if nothing were set. */
	if (!loaded) {
		char why[256];
		if (fill(&current, 0, why, sizeof(why)) != 0)
			fprintf(stderr, "config: a default is refused: %s\n", why);
		loaded = 1;
	}
	return &current;
}

/* The effective value of v as text (for printing). */
static void
value(const struct config *c, const struct var *v, char *out, size_t n)
{
	const char *at = (const char *)c + v->off;
	if (v->kind == K_INT || v->kind == K_BOOL)
		snprintf(out, n, "%lld", v->size == sizeof(int) ?
		    (long long)*(const int *)(const void *)at :
		    (long long)*(const int64_t *)(const void *)at);
	else
		snprintf(out, n, "%s", at);
}

void
config_print(FILE *f)
{
	const struct config *c = config();
	char text[CONFIG_PATH + 64];
	for (size_t i = 0; i < NVARS; i++) {
		value(c, &vars[i], text, sizeof(text));
		if (vars[i].kind == K_SECRET && text[0])
			snprintf(text, sizeof(text), "********");
		fprintf(f, "%s=%s\n", vars[i].name, text);
	}
}

void
config_print_shell(FILE *f)
{
	const struct config *c = config();
	char text[CONFIG_PATH + 64];
	for (size_t i = 0; i < NVARS; i++) {
		const struct var *v = &vars[i];
		/* Only kinds whose characters are safe in a shell word. */
		if (!(v->flags & SHELL) || !(v->kind == K_PATH || v->kind == K_KEYFILE ||
		    v->kind == K_INT || v->kind == K_BOOL || v->kind == K_HOST ||
		    v->kind == K_IPV4))
			continue;
		value(c, v, text, sizeof(text));
		fprintf(f, "%s=%s\n", v->name, text);
	}
}

void
config_print_markdown(FILE *f)
{
	fprintf(f, "| variable | default | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < NVARS; i++) {
		const struct var *v = &vars[i];
		if (v->shown)
			fprintf(f, "| `%s` | %s | %s |\n", v->name, v->shown, v->meaning);
		else if (v->def)
			fprintf(f, "| `%s` | `%s` | %s |\n", v->name, v->def, v->meaning);
		else
			fprintf(f, "| `%s` | unset | %s |\n", v->name, v->meaning);
	}
}
