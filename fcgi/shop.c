/*
 * shop-fcgi: a merchant's shop backend (fcgi/serve.c over the shop's route
 * table). One pool per merchant, started by platform-pool with its own
 * database (PLATFORM_DB), key (SHOP_SECRET_FILE) and name (SHOP_NAME).
 */
#include "serve.h"
#include "shop.h"

int
main(void)
{
	return serve_main("shop-fcgi", &shop_app);
}
