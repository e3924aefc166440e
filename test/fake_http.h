/*
 * One HTTP/1.1 request read whole from a connection, for the tests' fake
 * servers (the fake Stripes of test_stripe and test_stripe_journey).
 */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Reads a request from fd into req (size bytes, NUL-terminated): its head,
 * then as much body as its Content-Length says. Returns the end of the
 * head (its "\r\n\r\n", the body 4 bytes after), or NULL when none came. */
static inline char *
fake_http_read(int fd, char *req, size_t size)
{
	size_t n = 0;
	char *end = NULL;
	req[0] = '\0';
	while (n < size - 1 && end == NULL) {
		ssize_t k = read(fd, req + n, size - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
		end = strstr(req, "\r\n\r\n");
	}
	if (end == NULL)
		return NULL;
	size_t want = 0;
	char *cl = strcasestr(req, "content-length: ");
	if (cl && cl < end)
		want = (size_t)strtoul(cl + 16, NULL, 10);
	while (n < (size_t)(end + 4 - req) + want && n < size - 1) {
		ssize_t k = read(fd, req + n, size - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
	}
	return end;
}

#endif
