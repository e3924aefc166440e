#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "crypto.h"
#include "stripe.h"
#include "valid.h"

int
stripe_from_config(struct stripe *s)
{
	const struct config *cfg = config();
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", cfg->stripe_secret_key);
	snprintf(s->base, sizeof(s->base), "%s", cfg->stripe_api_base);
	snprintf(s->webhook_secret, sizeof(s->webhook_secret), "%s",
	    cfg->stripe_webhook_secret);
	s->timeout_ms = 15000;
	s->backoff_ms = 500;
	return s->key[0] != '\0';
}

void
stripe_form_encode(const struct kv *form, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		const char *parts[2] = { form[i].key, form[i].val };
		if (i)
			buf_putc(out, '&');
		for (int k = 0; k < 2; k++) {
			if (k)
				buf_putc(out, '=');
			for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
				/* Unreserved characters as they are; brackets too,
				 * as Stripe's own libraries send them. */
				if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				    (*p >= '0' && *p <= '9') || strchr("-._~[]", *p))
					buf_putc(out, (char)*p);
				else {
					buf_putc(out, '%');
					buf_putc(out, hex[*p >> 4]);
					buf_putc(out, hex[*p & 15]);
				}
			}
		}
	}
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	buf_append(arg, p, sz * n);
	return sz * n;
}

enum err
stripe_call(const struct stripe *s, const char *method, const char *path,
    const struct kv *form, size_t nform, const char *idem_key,
    struct stripe_reply *r)
{
	struct buf url = { 0 }, body = { 0 }, out = { 0 };
	char auth[300], idem[300];
	enum err rc = ERR_UNAVAILABLE;
	long delay = s->backoff_ms;

	memset(r, 0, sizeof(*r));
	buf_printf(&url, "%s%s", s->base, path);
	int post = strcmp(method, "POST") == 0;
	if (post)
		stripe_form_encode(form, nform, &body);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->key);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", idem_key ? idem_key : "");
	for (int attempt = 0; attempt <= STRIPE_RETRIES; attempt++) {
		CURL *c = curl_easy_init();
		struct curl_slist *h = NULL;
		if (c == NULL)
			break;
		h = curl_slist_append(h, auth);
		h = curl_slist_append(h, "Stripe-Version: 2024-06-20");
		if (post) {
			h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
			if (idem_key)
				h = curl_slist_append(h, idem);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, buf_str(&body));
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
		} else if (strcmp(method, "GET") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		h = curl_slist_append(h, "Expect:");
		curl_easy_setopt(c, CURLOPT_URL, url.data);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
		buf_reset(&out);
		CURLcode cc = curl_easy_perform(c);
		r->attempts = attempt + 1;
		r->status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		else
			snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(cc));
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		if (cc == CURLE_OK && r->status < 500 && r->status != 429) {
			cJSON_Delete(r->json);
			r->json = cJSON_Parse(buf_str(&out));
			if (r->status >= 200 && r->status < 300) {
				rc = ERR_OK;
			} else {
				const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(r->json, "error"), "message"));
				snprintf(r->error, sizeof(r->error), "Stripe: %s",
				    m ? m : "request refused");
				rc = ERR_VALIDATION;
			}
			goto out;
		}
		if (cc == CURLE_OK)
			snprintf(r->error, sizeof(r->error), "Stripe answered %ld", r->status);
		if (attempt < STRIPE_RETRIES) {
			struct timespec ts = { delay / 1000, (delay % 1000) * 1000000 };
			nanosleep(&ts, NULL);
			delay *= 2;
		}
	}
out:
	buf_free(&url);
	buf_free(&body);
	buf_free(&out);
	return rc;
}

int
stripe_verify(const char *secret, const char *header, const char *body,
    size_t len, int64_t now)
{
	char copy[2048], expected[65], *save = NULL;
	int64_t t = -1;
	int ok = 0;
	unsigned char mac[32];
	if (secret == NULL || *secret == '\0' || header == NULL ||
	    strlen(header) >= sizeof(copy))
		return -1;
	snprintf(copy, sizeof(copy), "%s", header);
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (strncmp(p, "t=", 2) == 0 && valid_int(p + 2, 0, INT64_MAX / 2, &t) != 0)
			return -1;
	if (t < 0 || t < now - STRIPE_TOLERANCE_S || t > now + STRIPE_TOLERANCE_S)
		return -1;
	/* The signed payload: "<t>.<raw body>". */
	struct buf signed_payload = { 0 };
	buf_printf(&signed_payload, "%lld.", (long long)t);
	buf_append(&signed_payload, body, len);
	crypto_hmac_sha256(secret, strlen(secret), signed_payload.data,
	    signed_payload.len, mac);
	buf_free(&signed_payload);
	crypto_hex(mac, 32, expected);
	snprintf(copy, sizeof(copy), "%s", header);
	save = NULL;
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (strncmp(p, "v1=", 3) == 0 && strlen(p + 3) == 64 &&
		    crypto_ct_compare(p + 3, expected, 64) == 0)
			ok = 1;
	return ok ? 0 : -1;
}

const char *
stripe_status(const char *s)
{
	static const struct { const char *stripe, *ours; } m[] = {
		{ "trialing", "trialing" }, { "active", "active" },
		{ "past_due", "past_due" }, { "unpaid", "past_due" },
		{ "incomplete", "pending" }, { "incomplete_expired", "cancelled" },
		{ "canceled", "cancelled" }, { "paused", "past_due" },
	};
	for (size_t i = 0; s && i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(s, m[i].stripe) == 0)
			return m[i].ours;
	return NULL;
}

/* Stripe's currencies without minor unit, and with three decimals
 * (docs.stripe.com/currencies). */
static const char *const zero_decimal[] = { "bif", "clp", "djf", "gnf", "jpy", "kmf",
    "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf" };
static const char *const three_decimal[] = { "bhd", "jod", "kwd", "omr", "tnd" };

/* 0, 2 or 3: the decimals Stripe counts in currency. */
static int
decimals(const char *currency)
{
	char c[4] = "";
	for (int i = 0; i < 3 && currency && currency[i]; i++)
		c[i] = (char)(currency[i] | 0x20);
	for (size_t i = 0; i < sizeof(zero_decimal) / sizeof(zero_decimal[0]); i++)
		if (strcmp(c, zero_decimal[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof(three_decimal) / sizeof(three_decimal[0]); i++)
		if (strcmp(c, three_decimal[i]) == 0)
			return 3;
	return 2;
}

int64_t
stripe_amount_to(const char *currency, int64_t hundredths)
{
	switch (decimals(currency)) {
	case 0:
		return hundredths % 100 == 0 ? hundredths / 100 : -1;
	case 3:
		return hundredths * 10;
	default:
		return hundredths;
	}
}

int64_t
stripe_amount_from(const char *currency, int64_t amount)
{
	switch (decimals(currency)) {
	case 0:
		return amount * 100;
	case 3:
		return amount / 10;
	default:
		return amount;
	}
}
