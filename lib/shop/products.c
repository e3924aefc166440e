#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crud.h"
#include "json.h"
#include "shop.h"
#include "valid.h"

static const char *const currencies[] = { "EUR", "USD", "GBP", "CHF", "CAD",
    "AUD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", NULL };

static const struct field product_fields[] = {
	ENTITY_STD_FIELDS,
	{ "name", "name", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    1, 120, NULL, NULL, NULL },
	{ "slug", "slug", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 1, 64, NULL, valid_check_slug, NULL },
	{ "description", "description", FT_TEXT, F_WRITABLE | F_NULLABLE | F_FILTER,
	    0, 4000, NULL, NULL, NULL },
	{ "priceCents", "price_cents", FT_INT, F_REQUIRED | F_WRITABLE | F_FILTER |
	    F_SORT, 0, 100000000, NULL, NULL, NULL },
	{ "currency", "currency", FT_ENUM, F_WRITABLE | F_FILTER | F_SORT, 0, 0,
	    currencies, NULL, NULL },
	{ "stock", "stock", FT_INT, F_WRITABLE | F_FILTER | F_SORT, 0, 1000000000,
	    NULL, NULL, NULL },
	{ "active", "active", FT_BOOL, F_WRITABLE | F_FILTER | F_SORT, 0, 0, NULL,
	    NULL, NULL },
	{ "sortOrder", "sort_order", FT_INT, F_WRITABLE | F_FILTER | F_SORT,
	    -1000000, 1000000, NULL, NULL, NULL },
};

const struct entity shop_products_entity = {
	.name = "products",
	.table = "products",
	.fields = product_fields,
	.nfields = sizeof(product_fields) / sizeof(product_fields[0]),
};

enum stmt_products {
	STMT_PR_ACTIVE,
	STMT_PR_SET,
	STMT_PR_ADJUST,
	STMT_PR__MAX
};

static const char *const stmts[STMT_PR__MAX] = {
	[STMT_PR_ACTIVE] = "SELECT active FROM products WHERE id = ?",
	[STMT_PR_SET] = "UPDATE products SET stock = ?1, updated_at = ?2 WHERE id = ?3",
	/* Never below zero: the statement that moves it checks it. */
	[STMT_PR_ADJUST] = ("UPDATE products SET stock = stock + ?1, updated_at = ?2 "
	    "WHERE id = ?3 AND stock + ?1 >= 0"),
};

static int
owner(const struct ctx *c)
{
	return c->caller.role == ROLE_ADMIN;
}

enum err
h_shop_products_find(struct ctx *c)
{
	return crud_list(c, &shop_products_entity, owner(c) ? NULL : "active = 1");
}

enum err
h_shop_products_find_one(struct ctx *c)
{
	int64_t id, active = 0;
	enum err rc = crud_resolve(c, &shop_products_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	/* A product taken off the shelf is the owner's to see. */
	if (!owner(c) && (db_get(c->db, stmts[STMT_PR_ACTIVE], "i", "I", id,
	    &active) != ERR_OK || !active))
		return ERR_NOT_FOUND;
	cJSON *o = crud_read(c, &shop_products_entity, id);
	if (o == NULL)
		return ERR_NOT_FOUND;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}

enum err
h_shop_products_stock(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	int64_t id;
	char ts[25];
	enum err rc;
	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_resolve(c, &shop_products_entity, c->id, &id)) != ERR_OK)
		return rc;
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(data, "stock");
	const cJSON *adj = cJSON_GetObjectItemCaseSensitive(data, "adjust");
	if ((set == NULL) == (adj == NULL)) {
		verr_add(&c->ve, "stock", "give either stock (the new count) or adjust "
		    "(a change)", NULL);
		return ERR_VALIDATION;
	}
	const cJSON *v = set ? set : adj;
	int64_t lo = set ? 0 : -1000000000;
	if (!json_integral(v, (double)lo, 1000000000.0)) {
		verr_addf(&c->ve, set ? "stock" : "adjust", v, "%s must be an integer "
		    "from %lld to 1000000000", set ? "stock" : "adjust", (long long)lo);
		return ERR_VALIDATION;
	}
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	cJSON *before = crud_read(c, &shop_products_entity, id);
	rc = db_exec(c->db, stmts[set ? STMT_PR_SET : STMT_PR_ADJUST], "isi",
	    (int64_t)v->valuedouble, ts, id);
	if (rc == ERR_OK && sqlite3_changes(db_handle(c->db)) == 0) {
		c->err_msg = "The stock cannot go below zero";
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK)
		rc = crud_audit(c, "update", &shop_products_entity, id, before);
	cJSON_Delete(before);
	if (rc == ERR_OK)
		rc = db_commit(c->db);
	else
		db_rollback(c->db);
	if (rc != ERR_OK)
		return rc;
	cJSON *o = crud_read(c, &shop_products_entity, id);
	if (o == NULL)
		return ERR_NOT_FOUND;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}
