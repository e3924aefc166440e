/*
 * The shop program: one merchant's backend (shop-fcgi), its own database
 * (shop.sql), route table, catalogues and storefront, served by the same
 * dispatcher as the platform.
 */
#ifndef SHOP_H
#define SHOP_H

#include "app.h"
#include "entity.h"

/* The shop's route table: the single source of truth for its paths,
 * methods, roles and handlers. */
extern const struct route shop_routes[];
extern const size_t shop_nroutes;
/* The text of shop.sql. */
extern const char shop_sql[];
/* Its message catalogues (the shop's files of lang/), English first. */
extern const struct msg_lang shop_langs[];
extern const size_t shop_nlangs;
/* The shop as the dispatcher serves it. */
extern const struct app_def shop_app;

extern const struct entity shop_products_entity;
extern const struct entity shop_orders_entity;

/* Resolves the caller of a shop: nobody, or its owner (the platform too)
 * presenting the shop's key (SHOP_SECRET_FILE, in hex) as Bearer, who acts
 * as ROLE_ADMIN. Returns ERR_OK, or ERR_UNAUTHORIZED for any other
 * credentials. */
enum err	 shop_resolve(struct ctx *c);

/* GET /api/products: every product for the owner, the active ones for
 * everybody else. */
enum err	 h_shop_products_find(struct ctx *c);
/* GET /api/products/:id, the same way. */
enum err	 h_shop_products_find_one(struct ctx *c);
/* PUT /api/products/:id/stock: {"data": {"stock": n}} sets it,
 * {"data": {"adjust": d}} moves it (never below 0: 409). */
enum err	 h_shop_products_stock(struct ctx *c);

/* One line of an order: a product (its id) and how many. */
struct shop_line {
	int64_t		 product;
	int64_t		 quantity;
};

/* Places an order of lines[n] for a customer, in one transaction: every
 * product active and in stock (stock taken in the same statement that
 * checks it, so concurrent orders never oversell), the lines priced at
 * the products' prices, in one currency. Returns ERR_OK with *id,
 * ERR_VALIDATION (an unknown or inactive product, mixed currencies:
 * c->ve), ERR_CONFLICT (not enough stock: c->err_msg, and short_of (128
 * bytes) when not NULL, name the product) or ERR_DB. */
enum err	 shop_order_place(struct ctx *c, const char *name, const char *email,
		    const struct shop_line *lines, size_t n, int64_t *id,
		    char *short_of);
/* Reads order id with its lines (caller deletes), or NULL. */
cJSON		*shop_order_read(struct ctx *c, int64_t id);
/* POST /api/orders: {"data": {"customerName", "customerEmail",
 * "lines": [{"product", "quantity"}]}}; anybody. */
enum err	 h_shop_orders_create(struct ctx *c);
/* GET /api/orders/:id: the order with its lines (owner). */
enum err	 h_shop_orders_find_one(struct ctx *c);

/* GET /api/stats: orders, revenue, by day over 30 days, top products
 * (owner and platform). */
enum err	 h_shop_stats(struct ctx *c);

/* Stocks an empty shop database with the demo merchant's dozen products
 * (development only). Returns ERR_OK or ERR_DB. */
enum err	 shop_demo_seed(struct db *db);

/* GET /: the storefront (products, quantities, the order form). */
enum err	 h_shop_store(struct ctx *c);
/* POST /order: the storefront's form; the confirmation, or the form
 * again with what went wrong. */
enum err	 h_shop_store_order(struct ctx *c);

#endif
