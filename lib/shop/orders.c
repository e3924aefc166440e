#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "shop.h"
#include "valid.h"

#define SHOP_ORDER_LINES	50

static const char *const statuses[] = { "placed", "paid", "shipped", "cancelled",
    NULL };

static const struct field order_fields[] = {
	ENTITY_STD_FIELDS,
	{ "reference", "reference", FT_STRING, F_FILTER | F_SORT, 0, 32, NULL, NULL,
	    NULL },
	{ "customerName", "customer_name", FT_STRING, F_FILTER | F_SORT, 1, 120, NULL,
	    NULL, NULL },
	{ "customerEmail", "customer_email", FT_STRING, F_FILTER, 3, 254, NULL, NULL,
	    NULL },
	{ "status", "status", FT_ENUM, F_WRITABLE | F_FILTER | F_SORT, 0, 0, statuses,
	    NULL, NULL },
	{ "totalCents", "total_cents", FT_INT, F_FILTER | F_SORT, 0, 0, NULL, NULL,
	    NULL },
	{ "currency", "currency", FT_STRING, F_FILTER, 3, 3, NULL, NULL, NULL },
};

const struct entity shop_orders_entity = {
	.name = "orders",
	.table = "orders",
	.fields = order_fields,
	.nfields = sizeof(order_fields) / sizeof(order_fields[0]),
};

enum stmt_orders {
	STMT_OR_TAKE,
	STMT_OR_PRODUCT,
	STMT_OR_INSERT,
	STMT_OR_REFERENCE,
	STMT_OR_LINE,
	STMT_OR_TOTAL,
	STMT_OR_LINES,
	STMT_OR__MAX
};

static const char *const stmts[STMT_OR__MAX] = {
	/* The stock is checked and taken by one statement: two orders for the
	 * last item cannot both pass. */
	[STMT_OR_TAKE] = "UPDATE products SET stock = stock - ?1, updated_at = ?2 "
	    "WHERE id = ?3 AND active = 1 AND stock >= ?1 RETURNING name, price_cents, "
	    "currency",
	[STMT_OR_PRODUCT] = "SELECT name, active FROM products WHERE id = ?",
	[STMT_OR_INSERT] = "INSERT INTO orders (document_id, customer_name, "
	    "customer_email, total_cents, currency, created_at, updated_at, "
	    "published_at) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5, ?5)",
	[STMT_OR_REFERENCE] = "UPDATE orders SET reference = printf('CMD-%06d', id) "
	    "WHERE id = ?",
	[STMT_OR_LINE] = "INSERT INTO order_lines (order_id, product_id, name, "
	    "quantity, unit_cents, amount_cents) VALUES (?, ?, ?, ?, ?, ?)",
	[STMT_OR_TOTAL] = "UPDATE orders SET total_cents = ?, currency = ? WHERE id = ?",
	[STMT_OR_LINES] = "SELECT l.product_id, p.document_id, l.name, l.quantity, "
	    "l.unit_cents, l.amount_cents FROM order_lines l JOIN products p ON "
	    "p.id = l.product_id WHERE l.order_id = ? ORDER BY l.id",
};

/* Why a line cannot be sold: unknown or inactive (a 400 on that line), or
 * short of stock (a 409 naming the product). */
static enum err
refuse_line(struct ctx *c, int64_t product, size_t i, char *short_of)
{
	char name[128] = "", path[48];
	int64_t active = 0;
	snprintf(path, sizeof(path), "lines.%zu.product", i);
	if (db_get(c->db, stmts[STMT_OR_PRODUCT], "i", "SI", product, name,
	    sizeof(name), &active) != ERR_OK || !active) {
		verr_add(&c->ve, path, "product must be a product on sale", NULL);
		return ERR_VALIDATION;
	}
	ctx_error(c, "Not enough stock for %s", name);
	if (short_of)
		snprintf(short_of, 128, "%s", name);
	return ERR_CONFLICT;
}

enum err
shop_order_place(struct ctx *c, const char *name, const char *email,
    const struct shop_line *lines, size_t n, int64_t *id, char *short_of)
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25], cur[8] = "EUR", first[8] = "",
	    pname[128];
	int64_t total = 0, price = 0;
	enum err rc;
	if (id_document_new(docid) != 0)
		return ERR_INTERNAL;
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = db_exec(c->db, stmts[STMT_OR_INSERT], "sssss", docid, name, email, cur,
	    ts)) != ERR_OK)
		goto fail;
	*id = sqlite3_last_insert_rowid(db_handle(c->db));
	for (size_t i = 0; i < n; i++) {
		rc = db_get(c->db, stmts[STMT_OR_TAKE], "isi", "SIS", lines[i].quantity, ts,
		    lines[i].product, pname, sizeof(pname), &price, cur, sizeof(cur));
		if (rc == ERR_NOT_FOUND)
			rc = refuse_line(c, lines[i].product, i, short_of);
		if (rc != ERR_OK)
			goto fail;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", cur);
		else if (strcmp(first, cur) != 0) {
			verr_add(&c->ve, "lines", "an order's products are in one currency",
			    NULL);
			rc = ERR_VALIDATION;
			goto fail;
		}
		int64_t amount = price * lines[i].quantity;
		total += amount;
		if ((rc = db_exec(c->db, stmts[STMT_OR_LINE], "iisiii", *id,
		    lines[i].product, pname, lines[i].quantity, price, amount)) != ERR_OK)
			goto fail;
	}
	if ((rc = db_exec(c->db, stmts[STMT_OR_TOTAL], "isi", total, first, *id)) !=
	    ERR_OK ||
	    (rc = db_exec(c->db, stmts[STMT_OR_REFERENCE], "i", *id)) != ERR_OK)
		goto fail;
	return db_commit(c->db);
fail:
	db_rollback(c->db);
	return rc;
}

cJSON *
shop_order_read(struct ctx *c, int64_t id)
{
	cJSON *o = crud_read(c, &shop_orders_entity, id);
	sqlite3_stmt *st;
	if (o == NULL || (st = db_bind(c->db, stmts[STMT_OR_LINES], "i", id)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON *arr = cJSON_AddArrayToObject(o, "lines");
	while (db_step(c->db, st) == DB_ROW) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "product", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(l, "productDocumentId", db_col_text(st, 1));
		cJSON_AddStringToObject(l, "name", db_col_text(st, 2));
		cJSON_AddNumberToObject(l, "quantity", (double)sqlite3_column_int64(st, 3));
		cJSON_AddNumberToObject(l, "unitCents", (double)sqlite3_column_int64(st, 4));
		cJSON_AddNumberToObject(l, "amountCents",
		    (double)sqlite3_column_int64(st, 5));
		cJSON_AddItemToArray(arr, l);
	}
	db_done(st);
	return o;
}

/* Reads the body's customer and lines into the arguments; adds every
 * error to c->ve, by field. Returns the number of lines, or -1. */
static int
read_order(struct ctx *c, const cJSON *data, const char **name, const char **email,
    struct shop_line *lines)
{
	const cJSON *jn = cJSON_GetObjectItemCaseSensitive(data, "customerName");
	const cJSON *je = cJSON_GetObjectItemCaseSensitive(data, "customerEmail");
	const cJSON *jl = cJSON_GetObjectItemCaseSensitive(data, "lines");
	int n = 0;
	*name = cJSON_GetStringValue(jn);
	*email = cJSON_GetStringValue(je);
	if (*name == NULL || **name == '\0' || strlen(*name) > 120 ||
	    !valid_text(*name, 0))
		verr_add(&c->ve, "customerName", "customerName must be a line of 1 to 120 "
		    "characters", jn);
	if (*email == NULL || strlen(*email) > 254 || !valid_email(*email))
		verr_add(&c->ve, "customerEmail", "customerEmail must be an e-mail "
		    "address", je);
	if (!cJSON_IsArray(jl) || cJSON_GetArraySize(jl) < 1 ||
	    cJSON_GetArraySize(jl) > SHOP_ORDER_LINES)
		verr_addf(&c->ve, "lines", NULL, "lines must be a list of 1 to %d "
		    "products", SHOP_ORDER_LINES);
	else {
		const cJSON *l;
		cJSON_ArrayForEach(l, jl) {
			char path[32];
			const cJSON *q = cJSON_GetObjectItemCaseSensitive(l, "quantity");
			lines[n].product = crud_ref_id(c, "products",
			    cJSON_GetObjectItemCaseSensitive(l, "product"));
			snprintf(path, sizeof(path), "lines.%d.product", n);
			if (lines[n].product == 0)
				verr_add(&c->ve, path, "product must be a product on sale", NULL);
			snprintf(path, sizeof(path), "lines.%d.quantity", n);
			if (!cJSON_IsNumber(q) || q->valuedouble < 1 || q->valuedouble > 1000 ||
			    q->valuedouble != (double)(int64_t)q->valuedouble)
				verr_add(&c->ve, path, "quantity must be an integer from 1 to "
				    "1000", q);
			else
				lines[n].quantity = (int64_t)q->valuedouble;
			n++;
		}
	}
	return c->ve.n ? -1 : n;
}

enum err
h_shop_orders_create(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	struct shop_line lines[SHOP_ORDER_LINES];
	const char *name, *email;
	int64_t id;
	enum err rc;
	if (data == NULL)
		return ERR_VALIDATION;
	int n = read_order(c, data, &name, &email, lines);
	if (n < 0)
		return ERR_VALIDATION;
	if ((rc = shop_order_place(c, name, email, lines, (size_t)n, &id, NULL)) !=
	    ERR_OK)
		return rc;
	cJSON *o = shop_order_read(c, id);
	if (o == NULL)
		return ERR_DB;
	json_send_data(c->resp, 201, o, NULL);
	return ERR_OK;
}

enum err
h_shop_orders_find_one(struct ctx *c)
{
	int64_t id;
	enum err rc = crud_resolve(c, &shop_orders_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	cJSON *o = shop_order_read(c, id);
	if (o == NULL)
		return ERR_NOT_FOUND;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}
