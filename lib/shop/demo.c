#include <stdio.h>

#include "clock.h"
#include "id.h"
#include "shop.h"

enum stmt_shop_demo {
	STMT_SD_COUNT,
	STMT_SD_INSERT,
	STMT_SD_ORDER,
	STMT_SD_LINE,
	STMT_SD__MAX
};

static const char *const stmts[STMT_SD__MAX] = {
	[STMT_SD_COUNT] = "SELECT count(*) FROM products",
	[STMT_SD_INSERT] = "INSERT INTO products (document_id, name, slug, description, "
	    "price_cents, stock, sort_order, created_at, updated_at, published_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
	[STMT_SD_ORDER] = "INSERT INTO orders (document_id, customer_name, customer_email, "
	    "status, total_cents, created_at, updated_at, published_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)",
	/* A line of the latest order, at the product's price. */
	[STMT_SD_LINE] = "INSERT INTO order_lines (order_id, product_id, name, quantity, "
	    "unit_cents, amount_cents) SELECT (SELECT max(id) FROM orders), id, name, ?2, "
	    "price_cents, price_cents * ?2 FROM products WHERE id = ?1",
};

/* A month of orders (the products' stock is today's, after them). */
#define DEMO_ORDERS	36
static const char *const customers[] = { "Ana Martin", "Lucas Bernard", "Emma Petit",
    "Hugo Robert", "Léa Richard", "Noah Durand", "Chloé Moreau", "Louis Simon" };

/* Boutique Clara's shelves: soaps, candles and paper goods from Lyon. */
static const struct {
	const char	*name, *slug, *description;
	int		 price, stock;
} products[] = {
	{ "Savon lavande", "savon-lavande", "Saponifié à froid, lavande de Provence.", 650, 40 },
	{ "Savon au lait d'ânesse", "savon-lait-anesse", "Doux, pour les peaux sensibles.",
	    790, 25 },
	{ "Bougie figuier", "bougie-figuier", "Cire de soja, 40 heures.", 1800, 12 },
	{ "Bougie bois de cèdre", "bougie-cedre", "Cire de soja, mèche en coton.", 1800, 9 },
	{ "Carnet A5 ligné", "carnet-a5", "Papier recyclé 100 g, 96 pages.", 1200, 30 },
	{ "Carnet de croquis", "carnet-croquis", "Papier 160 g, reliure cousue.", 1500, 15 },
	{ "Porte-savon en céramique", "porte-savon", "Fait à la main à Lyon.", 1400, 8 },
	{ "Coffret découverte", "coffret-decouverte", "Deux savons et une bougie.", 3200, 6 },
	{ "Diffuseur fleur d'oranger", "diffuseur-oranger", "100 ml, tiges en rotin.",
	    2400, 10 },
	{ "Baume à lèvres", "baume-levres", "Cire d'abeille et karité.", 450, 50 },
	{ "Sac en coton", "sac-coton", "Coton bio, sérigraphié à la main.", 1600, 20 },
	{ "Carte cadeau", "carte-cadeau", "Valable un an en boutique et en ligne.", 2500,
	    100 },
};

enum err
shop_demo_seed(struct db *db)
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25];
	int64_t have = -1;
	if (db_get(db, stmts[STMT_SD_COUNT], "", "I", &have) != ERR_OK)
		return ERR_DB;
	if (have > 0)
		return ERR_OK;
	clock_format_ms(clock_now_ms(), ts);
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++)
		if (id_document_new(docid) != 0 || db_exec(db, stmts[STMT_SD_INSERT],
		    "ssssiiis", docid, products[i].name, products[i].slug,
		    products[i].description, (int64_t)products[i].price,
		    (int64_t)products[i].stock, (int64_t)i, ts) != ERR_OK)
			goto fail;
	/* An order every 20 hours over the last 30 days, of one or two
	 * products taken in turn; every ninth one cancelled. */
	int64_t now = clock_now_ms();
	for (int i = 0; i < DEMO_ORDERS; i++) {
		char email[64], when[25];
		const char *who = customers[i % 8];
		int64_t a = 1 + (i * 5) % 12, b = 1 + (i * 7 + 3) % 12, qa = 1 + i % 3;
		int64_t total = products[a - 1].price * qa + (i % 2 ? products[b - 1].price : 0);
		snprintf(email, sizeof(email), "client%d@example.com", i % 8 + 1);
		clock_format_ms(now - (int64_t)(DEMO_ORDERS - i) * 20 * 3600 * 1000, when);
		if (id_document_new(docid) != 0 || db_exec(db, stmts[STMT_SD_ORDER], "ssssis",
		    docid, who, email, i % 9 == 8 ? "cancelled" : "paid", total, when) !=
		    ERR_OK || db_exec(db, stmts[STMT_SD_LINE], "ii", a, qa) != ERR_OK)
			goto fail;
		if (i % 2 && db_exec(db, stmts[STMT_SD_LINE], "ii", b, (int64_t)1) !=
		    ERR_OK)
			goto fail;
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return ERR_DB;
}
