#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "msg.h"
#include "page.h"
#include "shop.h"
#include "valid.h"

#define STORE_PRODUCTS	200

enum stmt_store {
	STMT_SF_PRODUCTS,
	STMT_SF__MAX
};

static const char *const stmts[STMT_SF__MAX] = {
	[STMT_SF_PRODUCTS] = "SELECT id, slug, name, description, price_cents, currency, "
	    "stock FROM products WHERE active = 1 ORDER BY sort_order, id LIMIT ?",
};

/* The quantity the form asked of product id, or 0. */
static const char *
asked(const struct ctx *c, int64_t id)
{
	char key[32];
	snprintf(key, sizeof(key), "q%lld", (long long)id);
	const char *v = ctx_form(c, key);
	return v ? v : "0";
}

/* The storefront, with a message when the order could not be placed and
 * the form as it was sent. The form's CSRF token is a cookie too (double
 * submit: a shopper has no session). */
static enum err
store(struct ctx *c, const char *error, int status)
{
	const char *lang = page_lang(c);
	char token[48], price[64], num[32];
	sqlite3_stmt *st;
	int n = 0;
	page_form_token(c, "/", token);
	if ((st = db_bind(c->db, stmts[STMT_SF_PRODUCTS], "i",
	    (int64_t)STORE_PRODUCTS)) == NULL)
		return ERR_DB;
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "STORE_PRODUCTS"));
	render_set_global(d, "SHOP", config()->shop_name);
	render_set(d, "CSRF", token);
	render_set(d, "CUSTOMER_NAME", ctx_form(c, "customerName"));
	render_set(d, "CUSTOMER_EMAIL", ctx_form(c, "customerEmail"));
	if (error)
		render_set(render_section(d, "ERROR"), "MESSAGE", error);
	while (db_step(c->db, st) == DB_ROW) {
		struct render_dict *p = render_section(d, "PRODUCT");
		int64_t id = sqlite3_column_int64(st, 0), stock = sqlite3_column_int64(st, 6);
		render_set(p, "SLUG", db_col_text(st, 1));
		render_set(p, "NAME", db_col_text(st, 2));
		render_set(p, "DESCRIPTION", db_col_text(st, 3));
		msg_money(lang, sqlite3_column_int64(st, 4), db_col_text(st, 5), price,
		    sizeof(price));
		render_set(p, "PRICE", price);
		if (stock > 0) {
			struct render_dict *s = render_section(p, "IN_STOCK");
			struct buf t = { 0 };
			snprintf(num, sizeof(num), "%lld", (long long)stock);
			msg_printf(&t, lang, "STORE_IN_STOCK", num, NULL);
			render_set(s, "STOCK_TEXT", buf_str(&t));
			buf_free(&t);
			render_set_int(s, "ID", (long)id);
			render_set_int(s, "MAX", (long)(stock < 1000 ? stock : 1000));
			render_set(s, "QUANTITY", asked(c, id));
		} else
			render_show(p, "SOLD_OUT");
		n++;
	}
	db_done(st);
	if (n == 0)
		render_show(d, "EMPTY");
	return page_render(c, "store.tpl", d, status);
}

enum err
h_shop_store(struct ctx *c)
{
	return store(c, NULL, 200);
}

enum err
h_shop_store_order(struct ctx *c)
{
	const char *lang = page_lang(c);
	const char *name = ctx_form(c, "customerName");
	const char *email = ctx_form(c, "customerEmail");
	struct shop_line lines[50];
	size_t n = 0;
	/* Every q<id> field with a quantity is a line. */
	for (size_t i = 0; i < c->nform; i++) {
		const char *k = c->form[i].key, *v = c->form[i].val;
		int64_t id, q;
		if (k[0] != 'q' || valid_int(k + 1, 1, INT64_MAX, &id) != 0)
			continue;
		if (valid_int(v, 0, 1000, &q) != 0)
			return store(c, msg(lang, "STORE_BAD_QUANTITY"), 400);
		if (q == 0)
			continue;
		if (n == sizeof(lines) / sizeof(lines[0]))
			return store(c, msg(lang, "STORE_BAD_QUANTITY"), 400);
		lines[n].product = id;
		lines[n].quantity = q;
		n++;
	}
	if (name == NULL || *name == '\0' || strlen(name) > 120 || !valid_text(name, 0))
		return store(c, msg(lang, "STORE_BAD_NAME"), 400);
	if (email == NULL || strlen(email) > 254 || !valid_email(email))
		return store(c, msg(lang, "STORE_BAD_EMAIL"), 400);
	if (n == 0)
		return store(c, msg(lang, "STORE_NOTHING_CHOSEN"), 400);
	int64_t id;
	char short_of[128] = "";
	enum err rc = shop_order_place(c, name, email, lines, n, &id, short_of);
	if (rc == ERR_VALIDATION || rc == ERR_CONFLICT) {
		/* Said again in the shopper's words. */
		struct buf why = { 0 };
		if (rc == ERR_CONFLICT)
			msg_printf(&why, lang, "STORE_NO_STOCK", short_of, NULL);
		else
			buf_puts(&why, msg(lang, "STORE_GONE"));
		verr_free(&c->ve);
		c->err_msg = NULL;
		rc = store(c, buf_str(&why), rc == ERR_CONFLICT ? 409 : 400);
		buf_free(&why);
		return rc;
	}
	if (rc != ERR_OK)
		return rc;
	cJSON *o = shop_order_read(c, id);
	if (o == NULL)
		return ERR_DB;
	char total[64];
	struct buf thanks = { 0 };
	msg_money(lang, (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "totalCents")),
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "currency")), total, sizeof(total));
	msg_printf(&thanks, lang, "STORE_THANKS", cJSON_GetStringValue(
	    cJSON_GetObjectItem(o, "reference")), total, NULL);
	cJSON_Delete(o);
	struct render_dict *d = render_dict_new();
	render_set_global(d, "TITLE", msg(lang, "STORE_THANKS_TITLE"));
	render_set_global(d, "SHOP", config()->shop_name);
	render_set(d, "THANKS", buf_str(&thanks));
	buf_free(&thanks);
	return page_render(c, "ordered.tpl", d, 200);
}
