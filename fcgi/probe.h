/*
 * A FastCGI client just big enough to ask a pool for one page: the
 * deployer's health check of a shop before nginx sends it traffic.
 */
#ifndef PROBE_H
#define PROBE_H

/* Asks the FastCGI server at address ("unix:/path" or "host:port") for
 * GET path, within timeout_ms. Returns 0 with *status (the answer's HTTP
 * status), or -1 when nothing answered in time. */
int	 fcgi_probe(const char *address, const char *path, int timeout_ms, int *status);

#endif
