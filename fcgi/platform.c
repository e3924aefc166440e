/*
 * platform-fcgi: the platform's FastCGI worker (fcgi/serve.c over the
 * platform's route table). Started by platform-pool.
 */
#include "platform.h"
#include "serve.h"

int
main(void)
{
	return serve_main("platform-fcgi", &platform_app);
}
