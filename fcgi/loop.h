/*
 * The worker's accept loop, shared by the platform worker and the bare
 * responder: fd 0 is the pool's listening socket (FastCGI convention).
 * SIGTERM is only taken while waiting for a connection, so a worker always
 * finishes the request it is serving before it exits.
 */
#ifndef LOOP_H
#define LOOP_H

#include <fcgiapp.h>

/* The most connections a worker takes at once (a group commit). */
#define FCGI_BATCH_MAX	32

/* What a program serves with: handle() answers the requests in reqs[]
 * (n of them: the connection the loop took) and returns how many it
 * answered, n or more: it may take those already waiting with
 * fcgi_take_waiting() into reqs[n...]. Before each wait for a connection
 * it is called with n = 0, and may take them first (or return 0). It writes each answer to its
 * request's out stream; the loop finishes and closes them. Static
 * storage, or the caller's for the loop's life. */
struct fcgi_handler {
	int	(*handle)(FCGX_Request **reqs, int n, void *arg);
	void	*arg;
};

/* Takes the connections already waiting on fd 0 (none is waited for) into
 * reqs[n...], up to FCGI_BATCH_MAX in all, and returns the new count. For
 * handle() only. */
int	 fcgi_take_waiting(FCGX_Request **reqs, int n);

/* Serves requests on fd 0 until SIGTERM. Returns 0 on a clean stop, 1 on
 * a fatal error. */
int	 fcgi_serve(const struct fcgi_handler *h);

#endif
