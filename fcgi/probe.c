#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "clock.h"
#include "probe.h"

enum { FCGI_BEGIN = 1, FCGI_END = 3, FCGI_PARAMS = 4, FCGI_STDIN = 5,
    FCGI_STDOUT = 6 };

static int
dial(const char *address)
{
	int fd = -1;
	if (strncmp(address, "unix:", 5) == 0) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (strlen(address + 5) >= sizeof(sa.sun_path))
			return -1;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", address + 5);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		return -1;
	}
	char host[256];
	const char *colon = strrchr(address, ':');
	if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - address), address);
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static void
record(unsigned char *out, size_t *len, int type, const void *body, size_t n)
{
	unsigned char *h = out + *len;
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;			/* request id 1 */
	h[4] = (unsigned char)(n >> 8);
	h[5] = (unsigned char)n;
	h[6] = 0;
	h[7] = 0;
	if (n)
		memcpy(h + 8, body, n);
	*len += 8 + n;
}

static void
param(unsigned char *out, size_t *len, const char *name, const char *value)
{
	size_t a = strlen(name), b = strlen(value);
	out[(*len)++] = (unsigned char)a;	/* both under 128 here */
	out[(*len)++] = (unsigned char)b;
	memcpy(out + *len, name, a);
	*len += a;
	memcpy(out + *len, value, b);
	*len += b;
}

int
fcgi_probe(const char *address, const char *path, int timeout_ms, int *status)
{
	unsigned char req[1024], params[512], in[8192];
	size_t rl = 0, pl = 0, got = 0;
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	static const unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	if (strlen(path) > 100)
		return -1;
	int fd = dial(address);
	if (fd < 0)
		return -1;
	param(params, &pl, "REQUEST_METHOD", "GET");
	param(params, &pl, "DOCUMENT_URI", path);
	param(params, &pl, "SCRIPT_NAME", path);
	param(params, &pl, "QUERY_STRING", "");
	param(params, &pl, "REQUEST_ID", "health-probe");
	record(req, &rl, FCGI_BEGIN, begin, sizeof(begin));
	record(req, &rl, FCGI_PARAMS, params, pl);
	record(req, &rl, FCGI_PARAMS, NULL, 0);
	record(req, &rl, FCGI_STDIN, NULL, 0);
	if (write(fd, req, rl) != (ssize_t)rl) {
		close(fd);
		return -1;
	}
	/* Read records until the end of the request, keeping the first bytes
	 * of standard output: the CGI headers with the status. */
	unsigned char out[512];
	size_t ol = 0;
	int ended = 0;
	while (!ended) {
		int64_t left = (deadline - clock_mono_us()) / 1000;
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = read(fd, in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		size_t off = 0;
		while (got - off >= 8) {
			size_t clen = (size_t)in[off + 4] << 8 | in[off + 5];
			size_t total = 8 + clen + in[off + 6];
			if (got - off < total)
				break;
			if (in[off + 1] == FCGI_STDOUT && ol < sizeof(out) - 1) {
				size_t take = clen < sizeof(out) - 1 - ol ? clen : sizeof(out) - 1 - ol;
				memcpy(out + ol, in + off + 8, take);
				ol += take;
			} else if (in[off + 1] == FCGI_END)
				ended = 1;
			off += total;
		}
		memmove(in, in + off, got - off);
		got -= off;
		if (got == sizeof(in))
			break;
	}
	close(fd);
	out[ol] = '\0';
	/* "Status: 200 OK" (the workers always write it first). */
	if (!ended || strncmp((char *)out, "Status: ", 8) != 0)
		return -1;
	*status = atoi((char *)out + 8);
	return 0;
}
