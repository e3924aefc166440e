#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "shop.h"

#define SHOP_STATS_DAYS	30
#define SHOP_STATS_TOP	5

enum stmt_stats {
	STMT_ST_TOTALS,
	STMT_ST_DAYS,
	STMT_ST_TOP,
	STMT_ST__MAX
};

/* Cancelled orders count for nothing. */
static const char *const stmts[STMT_ST__MAX] = {
	[STMT_ST_TOTALS] = "SELECT count(*), coalesce(sum(total_cents), 0) FROM orders "
	    "WHERE status != 'cancelled'",
	[STMT_ST_DAYS] = "SELECT substr(created_at, 1, 10), count(*), sum(total_cents) "
	    "FROM orders WHERE status != 'cancelled' AND created_at >= ? GROUP BY 1",
	[STMT_ST_TOP] = "SELECT l.product_id, p.name, sum(l.quantity), "
	    "sum(l.amount_cents) FROM order_lines l JOIN orders o ON o.id = l.order_id "
	    "JOIN products p ON p.id = l.product_id WHERE o.status != 'cancelled' "
	    "GROUP BY l.product_id ORDER BY 4 DESC, 3 DESC, 1 LIMIT ?",
};

enum err
h_shop_stats(struct ctx *c)
{
	int64_t orders = 0, revenue = 0, now = clock_now_ms();
	char from[25], day[25];
	sqlite3_stmt *st;
	if (db_get(c->db, stmts[STMT_ST_TOTALS], "", "II", &orders, &revenue) != ERR_OK)
		return ERR_DB;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "orders", (double)orders);
	cJSON_AddNumberToObject(o, "revenueCents", (double)revenue);
	/* Every day of the window, the quiet ones too, oldest first. */
	cJSON *days = cJSON_AddArrayToObject(o, "byDay");
	int64_t start = now - (SHOP_STATS_DAYS - 1) * CLOCK_DAY_MS;
	clock_format_ms(start, from);
	memcpy(from + 10, "T00:00:00.000Z", 15);
	for (int i = 0; i < SHOP_STATS_DAYS; i++) {
		cJSON *d = cJSON_CreateObject();
		clock_format_ms(start + (int64_t)i * CLOCK_DAY_MS, day);
		day[10] = '\0';
		cJSON_AddStringToObject(d, "day", day);
		cJSON_AddNumberToObject(d, "orders", 0);
		cJSON_AddNumberToObject(d, "revenueCents", 0);
		cJSON_AddItemToArray(days, d);
	}
	if ((st = db_bind(c->db, stmts[STMT_ST_DAYS], "s", from)) == NULL)
		goto fail;
	while (db_step(c->db, st) == DB_ROW) {
		cJSON *d;
		cJSON_ArrayForEach(d, days)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "day")),
			    db_col_text(st, 0)) == 0) {
				cJSON_ReplaceItemInObject(d, "orders", cJSON_CreateNumber(
				    (double)sqlite3_column_int64(st, 1)));
				cJSON_ReplaceItemInObject(d, "revenueCents", cJSON_CreateNumber(
				    (double)sqlite3_column_int64(st, 2)));
			}
	}
	db_done(st);
	cJSON *top = cJSON_AddArrayToObject(o, "topProducts");
	if ((st = db_bind(c->db, stmts[STMT_ST_TOP], "i", (int64_t)SHOP_STATS_TOP)) == NULL)
		goto fail;
	while (db_step(c->db, st) == DB_ROW) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "product", (double)sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(p, "name", db_col_text(st, 1));
		cJSON_AddNumberToObject(p, "quantity", (double)sqlite3_column_int64(st, 2));
		cJSON_AddNumberToObject(p, "revenueCents", (double)sqlite3_column_int64(st, 3));
		cJSON_AddItemToArray(top, p);
	}
	db_done(st);
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
fail:
	cJSON_Delete(o);
	return ERR_DB;
}
