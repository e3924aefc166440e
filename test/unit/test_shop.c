/* The shop program (lib/shop) through its dispatcher: products, the owner's
 * key, orders that never oversell (also from five processes at once),
 * statistics, and the storefront without JavaScript. */
#include "unit.h"
#include "shop.h"

#include <sys/wait.h>

#define OWNER_KEY "756e69742d746573742d6b65792d756e69742d746573742d6b65792d756e6974"

static char dbpath[256];
static struct app *shop;

struct answer {
	int	 status;
	cJSON	*json;		/* the body, when JSON */
	char	*body;
	char	*headers;
};

/* A request to the shop: as its owner (owner = 1), anybody (0), or with a
 * wrong key (-1); a form body when form is set, with a CSRF cookie. */
static struct answer
call(struct app *app, int owner, enum http_method m, const char *path,
    const char *query, const char *body, const char *form, const char *cookie)
{
	struct request req;
	struct response resp;
	struct answer a;
	unit_request(&req, m, path, query);
	if (body || form) {
		req.body = body ? body : form;
		req.body_len = strlen(req.body);
		http_add_header(&req, "content-type", body ? "application/json" :
		    "application/x-www-form-urlencoded");
	}
	if (owner)
		http_add_header(&req, "authorization", owner > 0 ? "Bearer " OWNER_KEY :
		    "Bearer 00" OWNER_KEY + 9);
	if (cookie)
		http_add_header(&req, "cookie", cookie);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	a.status = resp.status;
	a.body = xstrdup(buf_str(&resp.body));
	a.headers = xstrdup(buf_str(&resp.headers));
	a.json = cJSON_Parse(a.body);
	resp_free(&resp);
	arena_free(&req.arena);
	return a;
}

static void
done(struct answer *a)
{
	cJSON_Delete(a->json);
	free(a->body);
	free(a->headers);
}

static double
num(const cJSON *o, const char *path)
{
	return unit_num(o, path);
}

static int64_t
scalar(const char *sql)
{
	int64_t v = -1;
	sqlite3_stmt *st = db_prepare(app_db(shop), sql);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
open_shop(struct app **out)
{
	setenv("PLATFORM_DB", dbpath, 1);
	setenv("PLATFORM_TEMPLATES", "templates/shop", 1);
	setenv("SHOP_SECRET_FILE", unit_key, 1);
	setenv("SHOP_NAME", "Boutique <Clara>", 1);
	unit_config_load();
	return app_open(&shop_app, out) == ERR_OK ? 0 : -1;
}

static int
setup(void **state)
{
	struct app *platform;
	char pdb[256];
	(void)state;
	/* The platform's helper writes the key file the shop reads too. */
	if (unit_app_open(pdb, sizeof(pdb), 1 << 16, &platform) != 0)
		return -1;
	app_close(platform);
	unit_rmdb(pdb);
	unit_tmpdb(dbpath, sizeof(dbpath));
	if (open_shop(&shop) != 0)
		return -1;
	static const char *const products[] = {
		"{\"data\":{\"name\":\"Savon <lavande>\",\"slug\":\"savon\",\"priceCents\":650,"
		    "\"stock\":40,\"description\":\"Fait main\"}}",
		"{\"data\":{\"name\":\"Bougie\",\"slug\":\"bougie\",\"priceCents\":1800,"
		    "\"stock\":10}}",
		"{\"data\":{\"name\":\"Carnet\",\"slug\":\"carnet\",\"priceCents\":1200,"
		    "\"stock\":0}}",
		"{\"data\":{\"name\":\"Ancien\",\"slug\":\"ancien\",\"priceCents\":100,"
		    "\"stock\":5,\"active\":false}}",
	};
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
		struct answer a = call(shop, 1, METHOD_POST, "/api/products", "",
		    products[i], NULL, NULL);
		if (a.status != 201) {
			fprintf(stderr, "setup: %d %s\n", a.status, a.body);
			return -1;
		}
		done(&a);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	app_close(shop);
	unit_rmdb(dbpath);
	unsetenv("SHOP_SECRET_FILE");
	unsetenv("SHOP_NAME");
	return 0;
}

static void
shop_should_answer_its_health(void **state)
{
	(void)state;
	struct answer a = call(shop, 0, METHOD_GET, "/health", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, "{\"status\":\"ok\",\"database\":\"ok\","
	    "\"schemaVersion\":1}");
	done(&a);
}

static void
shop_should_keep_products_to_its_owner(void **state)
{
	(void)state;
	/* Anybody sees what is on sale; the owner sees everything. */
	struct answer a = call(shop, 0, METHOD_GET, "/api/products", "sort=id", NULL,
	    NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(num(a.json, "meta.pagination.total"), 3);
	done(&a);
	a = call(shop, 1, METHOD_GET, "/api/products", "", NULL, NULL, NULL);
	assert_int_equal(num(a.json, "meta.pagination.total"), 4);
	done(&a);
	a = call(shop, 0, METHOD_GET, "/api/products/4", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 404);
	done(&a);
	a = call(shop, 1, METHOD_GET, "/api/products/4", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	done(&a);
	/* Nobody else writes: no key (403, as Strapi's public role), or a
	 * wrong one (401). */
	a = call(shop, 0, METHOD_POST, "/api/products", "", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"x\",\"priceCents\":1}}", NULL, NULL);
	assert_int_equal(a.status, 403);
	done(&a);
	a = call(shop, -1, METHOD_GET, "/api/products", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 401);
	done(&a);
	a = call(shop, 0, METHOD_GET, "/api/orders", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 403);
	done(&a);
	/* A bad product names its field. */
	a = call(shop, 1, METHOD_POST, "/api/products", "", "{\"data\":{\"name\":\"X\","
	    "\"slug\":\"Bad Slug\",\"priceCents\":-1}}", NULL, NULL);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "\"path\":[\"slug\"]"));
	assert_non_null(strstr(a.body, "\"path\":[\"priceCents\"]"));
	done(&a);
}

static void
shop_should_set_and_move_stock_never_below_zero(void **state)
{
	(void)state;
	struct answer a = call(shop, 1, METHOD_PUT, "/api/products/3/stock", "",
	    "{\"data\":{\"stock\":3}}", NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(num(a.json, "data.stock"), 3);
	done(&a);
	a = call(shop, 1, METHOD_PUT, "/api/products/3/stock", "",
	    "{\"data\":{\"adjust\":-2}}", NULL, NULL);
	assert_int_equal(num(a.json, "data.stock"), 1);
	done(&a);
	a = call(shop, 1, METHOD_PUT, "/api/products/3/stock", "",
	    "{\"data\":{\"adjust\":-2}}", NULL, NULL);
	assert_int_equal(a.status, 409);
	assert_non_null(strstr(a.body, "\"message\":\"The stock cannot go below zero\""));
	done(&a);
	a = call(shop, 1, METHOD_PUT, "/api/products/3/stock", "",
	    "{\"data\":{\"stock\":1,\"adjust\":1}}", NULL, NULL);
	assert_int_equal(a.status, 400);
	done(&a);
	a = call(shop, 1, METHOD_PUT, "/api/products/3/stock", "",
	    "{\"data\":{\"stock\":0}}", NULL, NULL);
	assert_int_equal(num(a.json, "data.stock"), 0);
	done(&a);
	assert_int_equal(scalar("SELECT count(*) FROM audit_logs WHERE content_type = "
	    "'products' AND action = 'update'"), 3);
}

static void
shop_should_place_orders_and_refuse_what_it_cannot_sell(void **state)
{
	(void)state;
	struct answer a = call(shop, 0, METHOD_POST, "/api/orders", "", "{\"data\":{"
	    "\"customerName\":\"Ana\",\"customerEmail\":\"ana@example.com\",\"lines\":["
	    "{\"product\":1,\"quantity\":2},{\"product\":2,\"quantity\":1}]}}", NULL, NULL);
	assert_int_equal(a.status, 201);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    a.json, "data"), "reference")), "CMD-000001");
	assert_int_equal(num(a.json, "data.totalCents"), 2 * 650 + 1800);
	assert_int_equal(num(a.json, "data.lines.0.amountCents"), 1300);
	assert_int_equal(num(a.json, "data.lines.1.quantity"), 1);
	done(&a);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 1"), 38);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 2"), 9);
	/* Too many: nothing is taken, nothing is written. */
	a = call(shop, 0, METHOD_POST, "/api/orders", "", "{\"data\":{\"customerName\":"
	    "\"Ben\",\"customerEmail\":\"ben@example.com\",\"lines\":[{\"product\":1,"
	    "\"quantity\":1},{\"product\":2,\"quantity\":10}]}}", NULL, NULL);
	assert_int_equal(a.status, 409);
	assert_non_null(strstr(a.body, "\"message\":\"Not enough stock for Bougie\""));
	done(&a);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 1"), 38);
	assert_int_equal(scalar("SELECT count(*) FROM orders"), 1);
	/* An inactive product, a bad customer: every field named. */
	a = call(shop, 0, METHOD_POST, "/api/orders", "", "{\"data\":{\"customerName\":"
	    "\"\",\"customerEmail\":\"nope\",\"lines\":[{\"product\":4,\"quantity\":1},"
	    "{\"product\":99,\"quantity\":0}]}}", NULL, NULL);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "\"path\":[\"customerName\"]"));
	assert_non_null(strstr(a.body, "\"path\":[\"customerEmail\"]"));
	assert_non_null(strstr(a.body, "\"path\":[\"lines\",\"1\",\"product\"]"));
	assert_non_null(strstr(a.body, "\"path\":[\"lines\",\"1\",\"quantity\"]"));
	done(&a);
	a = call(shop, 0, METHOD_POST, "/api/orders", "", "{\"data\":{\"customerName\":"
	    "\"Cy\",\"customerEmail\":\"cy@example.com\",\"lines\":[{\"product\":4,"
	    "\"quantity\":1}]}}", NULL, NULL);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "\"path\":[\"lines\",\"0\",\"product\"]"));
	done(&a);
	assert_int_equal(scalar("SELECT count(*) FROM orders"), 1);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 4"), 5);
	/* The owner reads it back with its lines. */
	a = call(shop, 1, METHOD_GET, "/api/orders/1", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(a.json, "data"), "lines"), 0),
	    "name")), "Savon <lavande>");
	done(&a);
}

/* 50 orders of one item at once, from five processes with their own
 * connections, for the last 10 in stock: exactly 10 are sold. */
static void
shop_should_never_oversell_under_concurrent_orders(void **state)
{
	(void)state;
	struct answer a = call(shop, 1, METHOD_PUT, "/api/products/2/stock", "",
	    "{\"data\":{\"stock\":10}}", NULL, NULL);
	assert_int_equal(a.status, 200);
	done(&a);
	int64_t before = scalar("SELECT count(*) FROM orders");
	fflush(NULL);
	pid_t kids[5];
	for (int k = 0; k < 5; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct app *mine;
			int sold = 0;
			if (app_open(&shop_app, &mine) != ERR_OK)
				_exit(100);
			for (int i = 0; i < 10; i++) {
				struct answer o = call(mine, 0, METHOD_POST, "/api/orders", "",
				    "{\"data\":{\"customerName\":\"Rush\",\"customerEmail\":"
				    "\"rush@example.com\",\"lines\":[{\"product\":2,"
				    "\"quantity\":1}]}}", NULL, NULL);
				if (o.status == 201)
					sold++;
				else if (o.status != 409)
					_exit(101);
				done(&o);
			}
			app_close(mine);
			_exit(sold);
		}
	}
	int sold = 0;
	for (int k = 0; k < 5; k++) {
		int st;
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) <= 10);
		sold += WEXITSTATUS(st);
	}
	assert_int_equal(sold, 10);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 2"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM orders") - before, 10);
}

static void
shop_stats_should_count_orders_revenue_days_and_products(void **state)
{
	(void)state;
	int64_t orders = scalar("SELECT count(*) FROM orders");
	int64_t revenue = scalar("SELECT sum(total_cents) FROM orders");
	struct answer a = call(shop, 1, METHOD_GET, "/api/stats", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_int_equal(num(a.json, "data.orders"), orders);
	assert_int_equal(num(a.json, "data.revenueCents"), revenue);
	cJSON *days = cJSON_GetObjectItem(cJSON_GetObjectItem(a.json, "data"), "byDay");
	assert_int_equal(cJSON_GetArraySize(days), 30);
	/* Today is the last day, with every order of this test. */
	assert_int_equal(num(cJSON_GetArrayItem(days, 29), "orders"), orders);
	assert_int_equal(num(cJSON_GetArrayItem(days, 28), "orders"), 0);
	/* Bougie: 1 + 10 sold, 19 800; Savon: 2, 1 300. */
	assert_int_equal(num(a.json, "data.topProducts.0.product"), 2);
	assert_int_equal(num(a.json, "data.topProducts.0.quantity"), 11);
	assert_int_equal(num(a.json, "data.topProducts.0.revenueCents"), 19800);
	assert_int_equal(num(a.json, "data.topProducts.1.product"), 1);
	done(&a);
	a = call(shop, 0, METHOD_GET, "/api/stats", "", NULL, NULL, NULL);
	assert_int_equal(a.status, 403);
	done(&a);
}

/* The cookie value the storefront set, as a Cookie header. */
static void
csrf_cookie(const char *headers, char *cookie, size_t n, char *token, size_t tn)
{
	const char *p = strstr(headers, "mp_csrf=");
	assert_non_null(p);
	size_t len = strcspn(p + 8, ";");
	snprintf(token, tn, "%.*s", (int)len, p + 8);
	snprintf(cookie, n, "mp_csrf=%s", token);
}

static void
storefront_should_sell_without_javascript(void **state)
{
	char cookie[96], token[64], form[256];
	(void)state;
	struct answer a = call(shop, 0, METHOD_GET, "/", "lang=fr", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "<html lang=\"fr\">"));
	assert_non_null(strstr(a.body, "<title>Produits · Boutique &lt;Clara&gt;</title>"));
	assert_non_null(strstr(a.body, "<h2 class=\"name\">Savon &lt;lavande&gt;</h2>"));
	assert_non_null(strstr(a.body, "<p class=\"price\">6,50 €</p>"));
	assert_non_null(strstr(a.body, "<p class=\"stock\">38 en stock</p>"));
	assert_non_null(strstr(a.body, "Épuisé"));
	assert_null(strstr(a.body, "Ancien"));
	csrf_cookie(a.headers, cookie, sizeof(cookie), token, sizeof(token));
	done(&a);
	/* No token: refused. */
	a = call(shop, 0, METHOD_POST, "/order", "", NULL, "customerName=Di&"
	    "customerEmail=di%40example.com&q1=1", NULL);
	assert_int_equal(a.status, 403);
	done(&a);
	/* Too many: the form again, with what went wrong, in English. */
	snprintf(form, sizeof(form), "_csrf=%s&customerName=Di&customerEmail="
	    "di%%40example.com&q1=2&q2=1", token);
	a = call(shop, 0, METHOD_POST, "/order", "lang=en", NULL, form, cookie);
	assert_int_equal(a.status, 409);
	assert_non_null(strstr(a.body, "<p class=\"error\" role=\"alert\">Not enough stock "
	    "for Bougie.</p>"));
	assert_non_null(strstr(a.body, "value=\"di@example.com\""));
	done(&a);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 1"), 38);
	/* The order: taken, confirmed. */
	snprintf(form, sizeof(form), "_csrf=%s&customerName=Di&customerEmail="
	    "di%%40example.com&q1=3&q3=0", token);
	a = call(shop, 0, METHOD_POST, "/order", "lang=en", NULL, form, cookie);
	assert_int_equal(a.status, 200);
	if (strstr(a.body, "is placed.") == NULL || strstr(a.body, "€19.50") == NULL)
		fail_msg("%s", a.body);
	done(&a);
	assert_int_equal(scalar("SELECT stock FROM products WHERE id = 1"), 35);
	/* Nothing chosen. */
	snprintf(form, sizeof(form), "_csrf=%s&customerName=Di&customerEmail="
	    "di%%40example.com&q1=0", token);
	a = call(shop, 0, METHOD_POST, "/order", "lang=en", NULL, form, cookie);
	assert_int_equal(a.status, 400);
	assert_non_null(strstr(a.body, "Choose at least one product."));
	done(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shop_should_answer_its_health),
		cmocka_unit_test(shop_should_keep_products_to_its_owner),
		cmocka_unit_test(shop_should_set_and_move_stock_never_below_zero),
		cmocka_unit_test(shop_should_place_orders_and_refuse_what_it_cannot_sell),
		cmocka_unit_test(shop_should_never_oversell_under_concurrent_orders),
		cmocka_unit_test(shop_stats_should_count_orders_revenue_days_and_products),
		cmocka_unit_test(storefront_should_sell_without_javascript),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
