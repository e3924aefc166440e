/*
 * The bare FastCGI responder: answers every request with a fixed small
 * JSON body and does nothing else. `make bench` serves it through the same
 * nginx and pool as the platform to measure the architecture's ceiling.
 */
#include <string.h>

#include "loop.h"

static void
handle(FCGX_Request *req, void *arg)
{
	static const char out[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 28\r\n\r\n"
	    "{\"data\":[\"bare\"],\"meta\":{}}\n";
	(void)arg;
	FCGX_PutStr(out, (int)sizeof(out) - 1, req->out);
}

int
main(void)
{
	return fcgi_serve(handle, NULL);
}
