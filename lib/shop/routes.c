/*
 * The shop's route table: the single source of truth for its paths,
 * methods, who may call each route and its handler. Everybody may read
 * the products on sale, place an order and use the storefront; the owner
 * (and the platform), presenting the shop's key, manages products, reads
 * orders and statistics (shop_resolve: ROLE_ADMIN).
 */
#include "crud.h"
#include "shop.h"

#define OWNER		ROLE_ADMIN
#define ANYBODY		(ROLE_ANON | ROLE_ADMIN)

enum shop_route {
	S_HEALTH,
	S_PRODUCTS_FIND,
	S_PRODUCTS_FIND_ONE,
	S_PRODUCTS_CREATE,
	S_PRODUCTS_UPDATE,
	S_PRODUCTS_STOCK,
	S_PRODUCTS_DELETE,
	S_ORDERS_FIND,
	S_ORDERS_FIND_ONE,
	S_ORDERS_CREATE,
	S_STATS,
	S_STORE,
	S_STORE_ORDER,
	S__MAX
};

const struct route shop_routes[S__MAX] = {
	[S_HEALTH] = { METHOD_GET, "/health", ANYBODY, 0, h_health, NULL,
	    "Liveness, database and schema check" },

	[S_PRODUCTS_FIND] = { METHOD_GET, "/api/products", ANYBODY, 0,
	    h_shop_products_find, &shop_products_entity,
	    "Products on sale (every product for the owner)" },
	[S_PRODUCTS_FIND_ONE] = { METHOD_GET, "/api/products/:id", ANYBODY, 0,
	    h_shop_products_find_one, &shop_products_entity, "One product" },
	[S_PRODUCTS_CREATE] = { METHOD_POST, "/api/products", OWNER, ROUTE_BODY,
	    h_crud_create, &shop_products_entity, "Add a product" },
	[S_PRODUCTS_UPDATE] = { METHOD_PUT, "/api/products/:id", OWNER, ROUTE_BODY,
	    h_crud_update, &shop_products_entity, "Change a product" },
	[S_PRODUCTS_STOCK] = { METHOD_PUT, "/api/products/:id/stock", OWNER, ROUTE_BODY,
	    h_shop_products_stock, &shop_products_entity,
	    "Set (stock) or move (adjust) a product's stock" },
	[S_PRODUCTS_DELETE] = { METHOD_DELETE, "/api/products/:id", OWNER, 0,
	    h_crud_delete, &shop_products_entity, "Remove a product never ordered" },

	[S_ORDERS_FIND] = { METHOD_GET, "/api/orders", OWNER, 0, h_crud_find,
	    &shop_orders_entity, "Orders" },
	[S_ORDERS_FIND_ONE] = { METHOD_GET, "/api/orders/:id", OWNER, 0,
	    h_shop_orders_find_one, &shop_orders_entity, "One order with its lines" },
	[S_ORDERS_CREATE] = { METHOD_POST, "/api/orders", ANYBODY, ROUTE_BODY,
	    h_shop_orders_create, &shop_orders_entity,
	    "Place an order (stock checked and taken at once)" },

	[S_STATS] = { METHOD_GET, "/api/stats", OWNER, 0, h_shop_stats, NULL,
	    "Orders, revenue, by day over 30 days, top products" },

	[S_STORE] = { METHOD_GET, "/", ANYBODY, ROUTE_PAGE, h_shop_store, NULL,
	    "The storefront" },
	[S_STORE_ORDER] = { METHOD_POST, "/order", ANYBODY, ROUTE_FORM | ROUTE_PAGE,
	    h_shop_store_order, NULL, "The storefront's order form" },
};

const size_t shop_nroutes = S__MAX;

extern const char lang_shop_en[], lang_shop_fr[];

const struct msg_lang shop_langs[] = {
	{ "en", lang_shop_en },
	{ "fr", lang_shop_fr },
};
const size_t shop_nlangs = sizeof(shop_langs) / sizeof(shop_langs[0]);

const struct app_def shop_app = {
	.name = "shop",
	.routes = shop_routes,
	.nroutes = S__MAX,
	.schema = shop_sql,
	.langs = shop_langs,
	.nlangs = sizeof(shop_langs) / sizeof(shop_langs[0]),
	.resolve = shop_resolve,
	.sign_in = 0,
};
