#include "err.h"

static const struct {
	int		 status;
	const char	*name;
	const char	*message;
} errs[ERR__MAX] = {
	[ERR_OK] =		{ 200, "", "" },
	[ERR_VALIDATION] =	{ 400, "ValidationError", "Invalid request" },
	[ERR_BAD_REQUEST] =	{ 400, "BadRequestError", "Bad Request" },
	[ERR_UNAUTHORIZED] =	{ 401, "UnauthorizedError", "Missing or invalid credentials" },
	[ERR_FORBIDDEN] =	{ 403, "ForbiddenError", "Forbidden" },
	[ERR_NOT_FOUND] =	{ 404, "NotFoundError", "Not Found" },
	[ERR_METHOD] =		{ 405, "MethodNotAllowedError", "Method Not Allowed" },
	[ERR_CONFLICT] =	{ 409, "ApplicationError", "Conflict" },
	[ERR_TOO_LARGE] =	{ 413, "PayloadTooLargeError", "request entity too large" },
	[ERR_URI_TOO_LONG] =	{ 414, "URITooLongError", "URI too long" },
	[ERR_UNSUPPORTED_MEDIA] = { 415, "UnsupportedMediaTypeError", "Unsupported Media Type" },
	[ERR_RATE_LIMIT] =	{ 429, "RateLimitError", "Too many requests, please try again later." },
	[ERR_DB] =		{ 500, "InternalServerError", "Internal Server Error" },
	[ERR_INTERNAL] =	{ 500, "InternalServerError", "Internal Server Error" },
	[ERR_UNAVAILABLE] =	{ 503, "ServiceUnavailableError", "Service Unavailable" },
};

int
err_status(enum err e)
{
	return (unsigned)e < ERR__MAX ? errs[e].status : 500;
}

const char *
err_name(enum err e)
{
	return (unsigned)e < ERR__MAX ? errs[e].name : "InternalServerError";
}

const char *
err_message(enum err e)
{
	return (unsigned)e < ERR__MAX ? errs[e].message : "Internal Server Error";
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}
