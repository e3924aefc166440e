/*
 * A merchant's whole journey with Stripe on, through the real stack (nginx,
 * the pools, SQLite over HTTPS) against a fake Stripe on loopback that keeps
 * its own books: plan, checkout, trial, first paid invoice, a plan change
 * prorated, cancellation at period end. Stripe's side acts as Stripe does:
 * it answers the platform's requests (in the requests' version, 2024-06-20)
 * and sends its events in the endpoint's version (2025-03-31), signed; each
 * invoice it charges is computed by the fake (a line per period and per
 * proration, VAT per line at the tax rate the platform made). The local
 * invoices must equal, to the cent, what the fake Stripe charged.
 */
#include <pthread.h>
#include <time.h>

#include "harness.h"
#include "../fake_http.h"

#include <sqlite3.h>

#include "crypto.h"
#include "mem.h"

static const char secret[] = "whsec_journey";
static sqlite3 *dbh;

#define FAKE_MAX	16
#define MONTH_S		(30 * 86400)

/* The fake Stripe's books. */
static struct {
	int		 fd, port;
	pthread_t	 thread;
	volatile int	 stop;
	pthread_mutex_t	 lock;
	int64_t		 now;		/* Stripe's clock, in seconds */
	int		 n;		/* the last id handed out */
	struct {
		char	 id[32], currency[8], interval[8];
		int64_t	 amount;
		int	 active;
	} prices[FAKE_MAX];
	int		 nprices;
	struct {
		char	 id[32];
		int	 bps;
	} rates[FAKE_MAX];
	int		 nrates;
	struct {
		char	 id[40], customer[32], price[32], txr[32], doc[32], sub[32];
		char	 status[12];
		int	 trial_days;
	} sessions[FAKE_MAX];
	int		 nsessions;
	struct {
		char	 id[32], customer[32], price[32], item[32], txr[32], doc[32];
		char	 status[16];
		int64_t	 start, end, trial_end, canceled_at;
		int	 cancel_at_end;
	} subs[FAKE_MAX];
	int		 nsubs;
	/* Prorations waiting for the next invoice, as Stripe keeps them. */
	struct {
		int64_t	 amount, start, end;
		char	 desc[128];
	} pending[FAKE_MAX];
	int		 npending;
	/* What it charged: each invoice's subtotal, tax and total. */
	struct {
		char	 id[32];
		int64_t	 subtotal, tax, total;
	} charged[FAKE_MAX];
	int		 ncharged;
} fake;

/* The value of key in a form-encoded body, decoded, into out ("" if none). */
static const char *
form_get(const char *body, const char *key, char *out, size_t n)
{
	size_t k = strlen(key);
	out[0] = '\0';
	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		/* The key as sent: brackets unencoded, as the platform sends them. */
		if (strncmp(p, key, k) != 0 || p[k] != '=')
			continue;
		size_t o = 0;
		for (const char *v = p + k + 1; *v && *v != '&' && o + 1 < n; v++) {
			if (*v == '%' && v[1] && v[2]) {
				char hex[3] = { v[1], v[2], 0 };
				out[o++] = (char)strtol(hex, NULL, 16);
				v += 2;
			} else
				out[o++] = *v == '+' ? ' ' : *v;
		}
		out[o] = '\0';
		return out;
	}
	return out;
}

static void
new_id(const char *prefix, char *out, size_t n)
{
	snprintf(out, n, "%s_%d", prefix, ++fake.n);
}

/* Stripe's tax of a line: the rate's, rounded half away from zero. */
static int64_t
line_tax(int64_t amount, int bps)
{
	int64_t p = amount * bps;
	return (p >= 0 ? p + 5000 : p - 5000) / 10000;
}

static int
rate_bps(const char *txr)
{
	for (int i = 0; i < fake.nrates; i++)
		if (strcmp(fake.rates[i].id, txr) == 0)
			return fake.rates[i].bps;
	return 0;
}

static int
price_of(const char *id)
{
	for (int i = 0; i < fake.nprices; i++)
		if (strcmp(fake.prices[i].id, id) == 0)
			return i;
	return -1;
}

static int
sub_of(const char *id)
{
	for (int i = 0; i < fake.nsubs; i++)
		if (strncmp(fake.subs[i].id, id, strlen(fake.subs[i].id)) == 0 &&
		    (id[strlen(fake.subs[i].id)] == '\0' || id[strlen(fake.subs[i].id)] == '?'))
			return i;
	return -1;
}

/* A subscription as Stripe shows it: its period on it in 2024-06-20, on
 * its items from 2025-03-31 on. */
static cJSON *
sub_json(int i, int basil)
{
	cJSON *o = cJSON_CreateObject(), *items = cJSON_CreateObject();
	cJSON *data = cJSON_CreateArray(), *item = cJSON_CreateObject();
	cJSON *price = cJSON_CreateObject(), *meta = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", fake.subs[i].id);
	cJSON_AddStringToObject(o, "object", "subscription");
	cJSON_AddStringToObject(o, "customer", fake.subs[i].customer);
	cJSON_AddStringToObject(o, "status", fake.subs[i].status);
	cJSON_AddBoolToObject(o, "cancel_at_period_end", fake.subs[i].cancel_at_end);
	if (fake.subs[i].canceled_at)
		cJSON_AddNumberToObject(o, "canceled_at", (double)fake.subs[i].canceled_at);
	else
		cJSON_AddNullToObject(o, "canceled_at");
	if (fake.subs[i].trial_end)
		cJSON_AddNumberToObject(o, "trial_end", (double)fake.subs[i].trial_end);
	else
		cJSON_AddNullToObject(o, "trial_end");
	cJSON *at = basil ? item : o;
	cJSON_AddNumberToObject(at, "current_period_start", (double)fake.subs[i].start);
	cJSON_AddNumberToObject(at, "current_period_end", (double)fake.subs[i].end);
	cJSON_AddStringToObject(item, "id", fake.subs[i].item);
	cJSON_AddStringToObject(item, "object", "subscription_item");
	cJSON_AddStringToObject(price, "id", fake.subs[i].price);
	cJSON_AddStringToObject(price, "object", "price");
	cJSON_AddItemToObject(item, "price", price);
	cJSON_AddItemToArray(data, item);
	cJSON_AddStringToObject(items, "object", "list");
	cJSON_AddItemToObject(items, "data", data);
	cJSON_AddItemToObject(o, "items", items);
	cJSON_AddStringToObject(meta, "subscription", fake.subs[i].doc);
	cJSON_AddItemToObject(o, "metadata", meta);
	return o;
}

static cJSON *
session_json(int i)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", fake.sessions[i].id);
	cJSON_AddStringToObject(o, "object", "checkout.session");
	cJSON_AddStringToObject(o, "mode", "subscription");
	cJSON_AddStringToObject(o, "status", fake.sessions[i].status);
	cJSON_AddStringToObject(o, "customer", fake.sessions[i].customer);
	cJSON_AddStringToObject(o, "client_reference_id", fake.sessions[i].doc);
	char url[96];
	snprintf(url, sizeof(url), "https://checkout.stripe.com/c/pay/%s", fake.sessions[i].id);
	cJSON_AddStringToObject(o, "url", url);
	return o;
}

/* Answers one request of the platform, under the lock. */
static int
route(const char *method, const char *path, const char *body, int basil, cJSON **out)
{
	char v[256], id[40];
	*out = cJSON_CreateObject();
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/products") == 0) {
		new_id("prod", id, sizeof(id));
		cJSON_AddStringToObject(*out, "id", id);
		return 200;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/prices") == 0 &&
	    fake.nprices < FAKE_MAX) {
		int i = fake.nprices++;
		new_id("price", fake.prices[i].id, sizeof(fake.prices[i].id));
		fake.prices[i].amount = atoll(form_get(body, "unit_amount", v, sizeof(v)));
		form_get(body, "currency", fake.prices[i].currency,
		    sizeof(fake.prices[i].currency));
		form_get(body, "recurring[interval]", fake.prices[i].interval,
		    sizeof(fake.prices[i].interval));
		fake.prices[i].active = 1;
		cJSON_AddStringToObject(*out, "id", fake.prices[i].id);
		return 200;
	}
	if (strcmp(method, "POST") == 0 && (strncmp(path, "/v1/prices/", 11) == 0 ||
	    strncmp(path, "/v1/products/", 13) == 0)) {
		int p = price_of(path + 11);
		if (p >= 0)
			fake.prices[p].active = strcmp(form_get(body, "active", v, sizeof(v)),
			    "true") == 0;
		cJSON_AddStringToObject(*out, "id", strrchr(path, '/') + 1);
		return 200;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/tax_rates") == 0 &&
	    fake.nrates < FAKE_MAX) {
		int i = fake.nrates++;
		new_id("txr", fake.rates[i].id, sizeof(fake.rates[i].id));
		fake.rates[i].bps = (int)(atof(form_get(body, "percentage", v, sizeof(v))) *
		    100 + 0.5);
		cJSON_AddStringToObject(*out, "id", fake.rates[i].id);
		return 200;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/customers") == 0) {
		new_id("cus", id, sizeof(id));
		cJSON_AddStringToObject(*out, "id", id);
		return 200;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/checkout/sessions") == 0 &&
	    fake.nsessions < FAKE_MAX) {
		int i = fake.nsessions++;
		new_id("cs_test", fake.sessions[i].id, sizeof(fake.sessions[i].id));
		form_get(body, "customer", fake.sessions[i].customer,
		    sizeof(fake.sessions[i].customer));
		form_get(body, "line_items[0][price]", fake.sessions[i].price,
		    sizeof(fake.sessions[i].price));
		form_get(body, "subscription_data[default_tax_rates][0]",
		    fake.sessions[i].txr, sizeof(fake.sessions[i].txr));
		form_get(body, "client_reference_id", fake.sessions[i].doc,
		    sizeof(fake.sessions[i].doc));
		fake.sessions[i].trial_days = atoi(form_get(body,
		    "subscription_data[trial_period_days]", v, sizeof(v)));
		snprintf(fake.sessions[i].status, sizeof(fake.sessions[i].status), "open");
		cJSON_Delete(*out);
		*out = session_json(i);
		return 200;
	}
	if (strcmp(method, "GET") == 0 && strncmp(path, "/v1/checkout/sessions/", 22) == 0) {
		for (int i = 0; i < fake.nsessions; i++) {
			size_t k = strlen(fake.sessions[i].id);
			if (strncmp(path + 22, fake.sessions[i].id, k) != 0 ||
			    (path[22 + k] != '\0' && path[22 + k] != '?'))
				continue;
			cJSON_Delete(*out);
			*out = session_json(i);
			int s = fake.sessions[i].sub[0] ? sub_of(fake.sessions[i].sub) : -1;
			if (s >= 0 && strstr(path, "expand"))
				cJSON_AddItemToObject(*out, "subscription", sub_json(s, basil));
			else if (s >= 0)
				cJSON_AddStringToObject(*out, "subscription", fake.subs[s].id);
			else
				cJSON_AddNullToObject(*out, "subscription");
			return 200;
		}
		return 404;
	}
	if (strncmp(path, "/v1/subscriptions/", 18) == 0) {
		int i = sub_of(path + 18);
		if (i < 0)
			return 404;
		if (strcmp(method, "POST") == 0) {
			if (form_get(body, "cancel_at_period_end", v, sizeof(v))[0])
				fake.subs[i].cancel_at_end = strcmp(v, "true") == 0;
			if (form_get(body, "items[0][price]", v, sizeof(v))[0]) {
				char how[32];
				form_get(body, "proration_behavior", how, sizeof(how));
				int from = price_of(fake.subs[i].price), to = price_of(v);
				if (to < 0)
					return 400;
				if (strcmp(how, "create_prorations") == 0 &&
				    fake.npending + 2 <= FAKE_MAX) {
					/* The time left, at the old price back, at
					 * the new one charged: on the next invoice. */
					int64_t left = fake.subs[i].end - fake.now;
					int64_t all = fake.subs[i].end - fake.subs[i].start;
					int64_t amounts[2] = {
					    -(fake.prices[from].amount * left + all / 2) / all,
					    (fake.prices[to].amount * left + all / 2) / all };
					for (int k = 0; k < 2; k++) {
						int p = fake.npending++;
						fake.pending[p].amount = amounts[k];
						fake.pending[p].start = fake.now;
						fake.pending[p].end = fake.subs[i].end;
						char on[40];
						snprintf(on, sizeof(on), "%.31s", k == 0 ?
						    fake.subs[i].price : v);
						snprintf(fake.pending[p].desc,
						    sizeof(fake.pending[p].desc), k == 0 ?
						    "Unused time on %s" : "Remaining time on %s",
						    on);
					}
				}
				snprintf(fake.subs[i].price, sizeof(fake.subs[i].price), "%.31s", v);
			}
		} else if (strcmp(method, "DELETE") == 0) {
			snprintf(fake.subs[i].status, sizeof(fake.subs[i].status), "canceled");
			fake.subs[i].canceled_at = fake.now;
		}
		cJSON_Delete(*out);
		*out = sub_json(i, basil);
		return 200;
	}
	cJSON_AddItemToObject(*out, "error", cJSON_CreateObject());
	cJSON_AddStringToObject(cJSON_GetObjectItem(*out, "error"), "message",
	    "Unrecognized request URL");
	return 404;
}

static void *
serve(void *arg)
{
	(void)arg;
	while (!fake.stop) {
		int c = accept(fake.fd, NULL, NULL);
		if (c < 0)
			continue;
		char req[16384], method[8] = "", path[256] = "";
		char *end = fake_http_read(c, req, sizeof(req));
		if (end == NULL) {
			close(c);
			continue;
		}
		sscanf(req, "%7s %255s", method, path);
		/* The version the request asks for, else the account's. */
		char *ver = strcasestr(req, "stripe-version: ");
		int basil = !(ver && ver < end && strncmp(ver + 16, "2024-06-20", 10) == 0);
		cJSON *out = NULL;
		pthread_mutex_lock(&fake.lock);
		int status = route(method, path, end + 4, basil, &out);
		pthread_mutex_unlock(&fake.lock);
		char *body = cJSON_PrintUnformatted(out);
		cJSON_Delete(out);
		char head[256];
		int len = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		    status, strlen(body));
		if (write(c, head, (size_t)len) < 0 || write(c, body, strlen(body)) < 0)
			perror("write");
		free(body);
		close(c);
	}
	return NULL;
}

/* Sends Stripe's event of type about obj (taken) to the platform, signed,
 * in the endpoint's version; the platform must take it. */
static void
send_event(const char *type, cJSON *obj)
{
	char id[32], hex[65], h[200];
	unsigned char mac[32];
	new_id("evt", id, sizeof(id));
	cJSON *ev = cJSON_CreateObject(), *data = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddStringToObject(ev, "object", "event");
	cJSON_AddStringToObject(ev, "api_version", "2025-03-31.basil");
	cJSON_AddNumberToObject(ev, "created", (double)fake.now);
	cJSON_AddStringToObject(ev, "type", type);
	cJSON_AddItemToObject(data, "object", obj);
	cJSON_AddItemToObject(ev, "data", data);
	char *body = cJSON_PrintUnformatted(ev);
	cJSON_Delete(ev);
	int64_t t = (int64_t)time(NULL);
	struct buf payload = { 0 };
	buf_printf(&payload, "%lld.%s", (long long)t, body);
	crypto_hmac_sha256(secret, strlen(secret), payload.data, payload.len, mac);
	buf_free(&payload);
	crypto_hex(mac, 32, hex);
	snprintf(h, sizeof(h), "Stripe-Signature: t=%lld,v1=%s", (long long)t, hex);
	const char *const hs[] = { h, NULL };
	char saved[sizeof(harness_auth)];
	memcpy(saved, harness_auth, sizeof(saved));
	harness_auth[0] = '\0';
	struct reply r = request_full("POST", "/api/stripe/webhook", body, strlen(body), hs);
	memcpy(harness_auth, saved, sizeof(saved));
	if (r.status != 200)
		fail_msg("%s: %ld %s", type, r.status, r.body);
	reply_free(&r);
	free(body);
}

static cJSON *
taxes_of(int64_t tax, int64_t base, const char *txr)
{
	cJSON *a = cJSON_CreateArray(), *t = cJSON_CreateObject(), *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "amount", (double)tax);
	cJSON_AddStringToObject(t, "tax_behavior", "exclusive");
	cJSON_AddStringToObject(d, "tax_rate", txr);
	cJSON_AddItemToObject(t, "tax_rate_details", d);
	cJSON_AddNumberToObject(t, "taxable_amount", (double)base);
	cJSON_AddStringToObject(t, "type", "tax_rate_details");
	cJSON_AddItemToArray(a, t);
	return a;
}

/* Stripe's invoice of subscription i (in 2025-03-31's shape): its pending
 * prorations, then the period [start, end) at its price unless amount0 is
 * set (a trial's invoice of nothing). Charged, recorded in the books. */
static cJSON *
invoice(int i, int64_t start, int64_t end, int trial)
{
	struct { int64_t amount, start, end; int proration; char desc[128]; } l[FAKE_MAX + 1];
	int n = 0, bps = rate_bps(fake.subs[i].txr);
	for (int k = 0; k < fake.npending; k++, n++) {
		l[n].amount = fake.pending[k].amount;
		l[n].start = fake.pending[k].start;
		l[n].end = fake.pending[k].end;
		l[n].proration = 1;
		snprintf(l[n].desc, sizeof(l[n].desc), "%s", fake.pending[k].desc);
	}
	fake.npending = 0;
	int p = price_of(fake.subs[i].price);
	l[n].amount = trial ? 0 : fake.prices[p].amount;
	l[n].start = start;
	l[n].end = end;
	l[n].proration = 0;
	snprintf(l[n].desc, sizeof(l[n].desc), trial ? "Trial period for %s" :
	    "1 × %s (per month)", fake.subs[i].price);
	n++;
	cJSON *o = cJSON_CreateObject(), *lines = cJSON_CreateObject();
	cJSON *data = cJSON_CreateArray();
	int64_t subtotal = 0, tax = 0;
	char id[32];
	new_id("in", id, sizeof(id));
	for (int k = 0; k < n; k++) {
		cJSON *x = cJSON_CreateObject(), *par = cJSON_CreateObject();
		cJSON *sid = cJSON_CreateObject(), *per = cJSON_CreateObject();
		char lid[32];
		new_id("il", lid, sizeof(lid));
		int64_t t = line_tax(l[k].amount, bps);
		cJSON_AddStringToObject(x, "id", lid);
		cJSON_AddStringToObject(x, "object", "line_item");
		cJSON_AddNumberToObject(x, "amount", (double)l[k].amount);
		cJSON_AddStringToObject(x, "currency", "eur");
		cJSON_AddStringToObject(x, "description", l[k].desc);
		cJSON_AddStringToObject(par, "type", "subscription_item_details");
		cJSON_AddBoolToObject(sid, "proration", l[k].proration);
		cJSON_AddStringToObject(sid, "subscription", fake.subs[i].id);
		cJSON_AddStringToObject(sid, "subscription_item", fake.subs[i].item);
		cJSON_AddItemToObject(par, "subscription_item_details", sid);
		cJSON_AddItemToObject(x, "parent", par);
		cJSON_AddNumberToObject(per, "start", (double)l[k].start);
		cJSON_AddNumberToObject(per, "end", (double)l[k].end);
		cJSON_AddItemToObject(x, "period", per);
		cJSON_AddItemToObject(x, "taxes", taxes_of(t, l[k].amount,
		    fake.subs[i].txr));
		cJSON_AddItemToArray(data, x);
		subtotal += l[k].amount;
		tax += t;
	}
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "object", "invoice");
	cJSON_AddStringToObject(o, "currency", "eur");
	cJSON_AddStringToObject(o, "customer", fake.subs[i].customer);
	cJSON_AddStringToObject(o, "status", "paid");
	cJSON_AddItemToObject(lines, "data", data);
	cJSON_AddBoolToObject(lines, "has_more", 0);
	cJSON_AddItemToObject(o, "lines", lines);
	cJSON *par = cJSON_CreateObject(), *sd = cJSON_CreateObject();
	cJSON *meta = cJSON_CreateObject(), *st = cJSON_CreateObject();
	cJSON_AddStringToObject(par, "type", "subscription_details");
	cJSON_AddStringToObject(meta, "subscription", fake.subs[i].doc);
	cJSON_AddItemToObject(sd, "metadata", meta);
	cJSON_AddStringToObject(sd, "subscription", fake.subs[i].id);
	cJSON_AddItemToObject(par, "subscription_details", sd);
	cJSON_AddItemToObject(o, "parent", par);
	/* The invoice's own period is the one before, as Stripe says it. */
	cJSON_AddNumberToObject(o, "period_start", (double)(start - MONTH_S));
	cJSON_AddNumberToObject(o, "period_end", (double)start);
	cJSON_AddNumberToObject(o, "subtotal", (double)subtotal);
	cJSON_AddNumberToObject(o, "total_excluding_tax", (double)subtotal);
	cJSON_AddNumberToObject(o, "total", (double)(subtotal + tax));
	cJSON_AddNumberToObject(o, "amount_paid", (double)(subtotal + tax));
	cJSON_AddItemToObject(o, "total_taxes", taxes_of(tax, subtotal, fake.subs[i].txr));
	cJSON_AddNumberToObject(st, "paid_at", (double)fake.now);
	cJSON_AddItemToObject(o, "status_transitions", st);
	if (fake.ncharged < FAKE_MAX) {
		snprintf(fake.charged[fake.ncharged].id, sizeof(fake.charged[0].id), "%s", id);
		fake.charged[fake.ncharged].subtotal = subtotal;
		fake.charged[fake.ncharged].tax = tax;
		fake.charged[fake.ncharged].total = subtotal + tax;
		fake.ncharged++;
	}
	return o;
}

static int64_t
q(const char *sql)
{
	return stack_db_int(dbh, sql);
}

static int64_t
id_of(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "id"));
	cJSON_Delete(o);
	return id;
}

static char merchant_auth[2200];
static int64_t plan_basic, plan_plus, journey_sub;

/* Requests as the journey's merchant, then back as the admin. */
static struct reply
as_merchant(const char *method, const char *url, const char *body)
{
	char saved[sizeof(harness_auth)];
	memcpy(saved, harness_auth, sizeof(saved));
	snprintf(harness_auth, sizeof(harness_auth), "%s", merchant_auth);
	struct reply r = request(method, url, body);
	memcpy(harness_auth, saved, sizeof(saved));
	return r;
}

static int
setup(void **state)
{
	char env[300], path[400], jwt[2048];
	(void)state;
	pthread_mutex_init(&fake.lock, NULL);
	fake.now = (int64_t)time(NULL);
	if ((fake.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fake.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fake.fd, 16) != 0 || getsockname(fake.fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	fake.port = ntohs(sa.sin_port);
	if (pthread_create(&fake.thread, NULL, serve, NULL) != 0)
		return -1;
	snprintf(env, sizeof(env), "STRIPE_SECRET_KEY=sk_test_journey "
	    "STRIPE_API_BASE=http://127.0.0.1:%d STRIPE_WEBHOOK_SECRET=%s", fake.port,
	    secret);
	if (stack_start(env) != 0 || stack_as_admin() != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/platform.db", S.var);
	if (sqlite3_open(path, &dbh) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(dbh, 5000);
	/* A French merchant (VAT at 20 %), new, and its owner. */
	struct reply r = request("POST", "/api/merchants", "{\"data\":{\"name\":"
	    "\"Journey SARL\",\"slug\":\"journey-sarl\",\"email\":\"billing@journey."
	    "example\",\"country\":\"FR\"}}");
	int64_t merchant = r.status == 201 ? id_of(r.body) : 0;
	reply_free(&r);
	char body[400];
	snprintf(body, sizeof(body), "{\"data\":{\"username\":\"journey\",\"email\":"
	    "\"owner@journey.example\",\"password\":\"journey-password-1\",\"role\":"
	    "\"merchant\",\"merchant\":%lld}}", (long long)merchant);
	r = request("POST", "/api/users", body);
	long st = r.status;
	reply_free(&r);
	if (merchant == 0 || st != 201 ||
	    stack_login("owner@journey.example", "journey-password-1", jwt) != 200)
		return -1;
	snprintf(merchant_auth, sizeof(merchant_auth), "Authorization: Bearer %s", jwt);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sqlite3_close(dbh);
	int rc = stack_stop();
	fake.stop = 1;
	shutdown(fake.fd, SHUT_RDWR);
	close(fake.fd);
	pthread_join(fake.thread, NULL);
	return rc;
}

/* Plans made at Stripe, then the merchant's checkout: Stripe's page, with
 * the plan's trial and the VAT our rules ask (the tax rate made once). */
static void
journey_should_start_with_stripe_checkout(void **state)
{
	(void)state;
	struct reply r = request("POST", "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Journey\",\"slug\":\"journey\",\"priceCents\":4900,\"trialDays\":14}}");
	assert_int_equal(r.status, 201);
	plan_basic = id_of(r.body);
	reply_free(&r);
	r = request("POST", "/api/subscription-plans", "{\"data\":{\"name\":"
	    "\"Journey Plus\",\"slug\":\"journey-plus\",\"priceCents\":9900}}");
	assert_int_equal(r.status, 201);
	plan_plus = id_of(r.body);
	reply_free(&r);
	char body[96];
	snprintf(body, sizeof(body), "{\"data\":{\"plan\":%lld}}", (long long)plan_basic);
	r = as_merchant("POST", "/api/subscriptions/checkout", body);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(r.body, "\"url\":\"https://checkout.stripe.com/c/pay/cs_test_"));
	assert_non_null(strstr(r.body, "\"status\":\"pending\""));
	cJSON *o = cJSON_Parse(r.body);
	journey_sub = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "data"), "subscription"), "id"));
	cJSON_Delete(o);
	reply_free(&r);
	assert_true(journey_sub > 0);
	pthread_mutex_lock(&fake.lock);
	assert_int_equal(fake.nsessions, 1);
	assert_int_equal(fake.sessions[0].trial_days, 14);
	assert_int_equal(fake.nrates, 1);
	assert_int_equal(fake.rates[0].bps, 2000);
	assert_string_equal(fake.sessions[0].txr, fake.rates[0].id);
	pthread_mutex_unlock(&fake.lock);
}

/* The merchant pays on Stripe's page: Stripe makes the subscription (in
 * trial, its first invoice of nothing), tells the platform, and sends the
 * merchant back; the trial ends in the first paid invoice. */
static void
journey_trial_should_take_no_number_and_end_in_a_paid_invoice(void **state)
{
	(void)state;
	char url[128], sql[300];
	int64_t numbered = q("SELECT coalesce(max(last), 0) FROM invoice_counters WHERE "
	    "series = 'F'");
	pthread_mutex_lock(&fake.lock);
	int i = fake.nsubs++;
	new_id("sub", fake.subs[i].id, sizeof(fake.subs[i].id));
	new_id("si", fake.subs[i].item, sizeof(fake.subs[i].item));
	snprintf(fake.subs[i].customer, sizeof(fake.subs[i].customer), "%s",
	    fake.sessions[0].customer);
	snprintf(fake.subs[i].price, sizeof(fake.subs[i].price), "%s", fake.sessions[0].price);
	snprintf(fake.subs[i].txr, sizeof(fake.subs[i].txr), "%s", fake.sessions[0].txr);
	snprintf(fake.subs[i].doc, sizeof(fake.subs[i].doc), "%s", fake.sessions[0].doc);
	snprintf(fake.subs[i].status, sizeof(fake.subs[i].status), "trialing");
	fake.subs[i].start = fake.now;
	fake.subs[i].end = fake.subs[i].trial_end = fake.now + 14 * 86400;
	snprintf(fake.sessions[0].status, sizeof(fake.sessions[0].status), "complete");
	snprintf(fake.sessions[0].sub, sizeof(fake.sessions[0].sub), "%s", fake.subs[i].id);
	cJSON *created = sub_json(i, 1), *done = session_json(0);
	cJSON_AddStringToObject(done, "subscription", fake.subs[i].id);
	cJSON *zero = invoice(i, fake.subs[i].start, fake.subs[i].end, 1);
	snprintf(url, sizeof(url), "/marketplace/checkout/return?session_id=%s",
	    fake.sessions[0].id);
	pthread_mutex_unlock(&fake.lock);
	/* Back from Stripe's page first: the platform asks Stripe. */
	struct reply r = as_merchant("GET", url, NULL);
	assert_int_equal(r.status, 303);
	assert_non_null(strstr(r.headers, "location: /marketplace/merchant-dashboard.html?"
	    "flash=FLASH_CHECKOUT_DONE\r\n"));
	reply_free(&r);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriptions WHERE id = %lld AND "
	    "status = 'trialing' AND stripe_subscription_id = 'sub_%s'", (long long)journey_sub,
	    strchr(fake.subs[i].id, '_') + 1);
	assert_int_equal(q(sql), 1);
	/* Then Stripe's events, which change nothing more. */
	send_event("customer.subscription.created", created);
	send_event("checkout.session.completed", done);
	send_event("invoice.paid", zero);
	assert_int_equal(q(sql), 1);
	assert_int_equal(q("SELECT coalesce(max(last), 0) FROM invoice_counters WHERE "
	    "series = 'F'"), numbered);

	/* 14 days later: the trial ends, the first month is charged. */
	pthread_mutex_lock(&fake.lock);
	fake.now = fake.subs[i].end;
	cJSON *first = invoice(i, fake.subs[i].end, fake.subs[i].end + MONTH_S, 0);
	fake.subs[i].start = fake.subs[i].end;
	fake.subs[i].end += MONTH_S;
	snprintf(fake.subs[i].status, sizeof(fake.subs[i].status), "active");
	cJSON *active = sub_json(i, 1);
	pthread_mutex_unlock(&fake.lock);
	send_event("invoice.paid", first);
	send_event("customer.subscription.updated", active);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE subscription_id = "
	    "%lld AND status = 'paid' AND subtotal_cents = 4900 AND tax_rate_bps = 2000 AND "
	    "tax_cents = 980 AND total_cents = 5880", (long long)journey_sub);
	assert_int_equal(q(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriptions WHERE id = %lld AND "
	    "status = 'active'", (long long)journey_sub);
	assert_int_equal(q(sql), 1);
	assert_int_equal(q("SELECT coalesce(max(last), 0) FROM invoice_counters WHERE "
	    "series = 'F'"), numbered + 1);
}

/* Ten days into the month, the merchant moves up to Journey Plus: Stripe
 * prorates the 20 days left (the old price back, the new one charged) on
 * the next invoice, with the next month. */
static void
journey_plan_change_should_be_prorated_as_stripe_charged(void **state)
{
	(void)state;
	char url[96], body[96], sql[600];
	pthread_mutex_lock(&fake.lock);
	fake.now = fake.subs[0].start + 10 * 86400;
	pthread_mutex_unlock(&fake.lock);
	snprintf(url, sizeof(url), "/api/subscriptions/%lld", (long long)journey_sub);
	snprintf(body, sizeof(body), "{\"data\":{\"plan\":%lld}}", (long long)plan_plus);
	struct reply r = as_merchant("PUT", url, body);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	pthread_mutex_lock(&fake.lock);
	assert_int_equal(fake.npending, 2);
	assert_int_equal(fake.pending[0].amount, -3267);	/* 49.00 × 20 / 30 */
	assert_int_equal(fake.pending[1].amount, 6600);		/* 99.00 × 20 / 30 */
	fake.now = fake.subs[0].end;
	int64_t next = fake.subs[0].end;
	cJSON *renewal = invoice(0, next, next + MONTH_S, 0);
	fake.subs[0].start = next;
	fake.subs[0].end = next + MONTH_S;
	cJSON *moved = sub_json(0, 1);
	pthread_mutex_unlock(&fake.lock);
	send_event("invoice.paid", renewal);
	send_event("customer.subscription.updated", moved);
	/* -32.67 + 66.00 + 99.00 = 132.33, VAT by line: -6.53 + 13.20 + 19.80. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE subscription_id = "
	    "%lld AND kind = 'invoice' AND subtotal_cents = 13233 AND tax_cents = 2647 AND "
	    "total_cents = 15880 AND json_array_length(lines) = 3 AND "
	    "period_start = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %lld, 'unixepoch') AND "
	    "period_end = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %lld, 'unixepoch')",
	    (long long)journey_sub, (long long)next, (long long)(next + MONTH_S));
	assert_int_equal(q(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriptions WHERE id = %lld AND "
	    "plan_id = %lld", (long long)journey_sub, (long long)plan_plus);
	assert_int_equal(q(sql), 1);
}

/* Cancelled at period end with a reason: Stripe keeps it to the end, then
 * ends it. */
static void
journey_cancellation_should_end_at_period_end(void **state)
{
	(void)state;
	char url[96], sql[300];
	snprintf(url, sizeof(url), "/api/subscriptions/%lld/cancel", (long long)journey_sub);
	struct reply r = as_merchant("PUT", url, "{\"data\":{\"reason\":\"closing the "
	    "shop\"}}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"cancelAtPeriodEnd\":true"));
	reply_free(&r);
	pthread_mutex_lock(&fake.lock);
	assert_int_equal(fake.subs[0].cancel_at_end, 1);
	fake.now = fake.subs[0].end;
	snprintf(fake.subs[0].status, sizeof(fake.subs[0].status), "canceled");
	fake.subs[0].canceled_at = fake.now;
	cJSON *ended = sub_json(0, 1);
	pthread_mutex_unlock(&fake.lock);
	send_event("customer.subscription.deleted", ended);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subscriptions WHERE id = %lld AND "
	    "status = 'cancelled' AND cancellation_reason = 'closing the shop'",
	    (long long)journey_sub);
	assert_int_equal(q(sql), 1);
}

/* Every invoice Stripe charged is a local invoice of the same subtotal,
 * tax and total, and there is no other. */
static void
journey_invoices_should_equal_what_stripe_charged_to_the_cent(void **state)
{
	(void)state;
	char sql[300];
	int charged = 0;
	for (int i = 0; i < fake.ncharged; i++) {
		if (fake.charged[i].total == 0)
			continue;	/* the trial's: no invoice, no number */
		charged++;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE "
		    "stripe_invoice_id = '%s' AND subtotal_cents = %lld AND tax_cents = %lld "
		    "AND total_cents = %lld", fake.charged[i].id,
		    (long long)fake.charged[i].subtotal, (long long)fake.charged[i].tax,
		    (long long)fake.charged[i].total);
		if (q(sql) != 1)
			fail_msg("%s: charged %lld + %lld = %lld, not so here", fake.charged[i].id,
			    (long long)fake.charged[i].subtotal, (long long)fake.charged[i].tax,
			    (long long)fake.charged[i].total);
	}
	assert_int_equal(charged, 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM invoices WHERE subscription_id = "
	    "%lld", (long long)journey_sub);
	assert_int_equal(q(sql), charged);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journey_should_start_with_stripe_checkout),
		cmocka_unit_test(journey_trial_should_take_no_number_and_end_in_a_paid_invoice),
		cmocka_unit_test(journey_plan_change_should_be_prorated_as_stripe_charged),
		cmocka_unit_test(journey_cancellation_should_end_at_period_end),
		cmocka_unit_test(journey_invoices_should_equal_what_stripe_charged_to_the_cent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
