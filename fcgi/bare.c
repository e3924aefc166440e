/*
 * The bare FastCGI responder: answers every request with a fixed small
 * JSON body and does nothing else. `make bench` serves it through the same
 * nginx and pool as the platform to measure the architecture's ceiling.
 */
#include <string.h>

#include "loop.h"

static int
handle(FCGX_Request **reqs, int n, void *arg)
{
	static const char out[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 28\r\n\r\n"
	    "{\"data\":[\"bare\"],\"meta\":{}}\n";
	(void)arg;
	for (int i = 0; i < n; i++)
		FCGX_PutStr(out, (int)sizeof(out) - 1, reqs[i]->out);
	return n;
}

int
main(void)
{
	static const struct fcgi_handler h = { handle, NULL };
	return fcgi_serve(&h);
}
