/*
 * The core's one error enum, and its mapping to HTTP status and the
 * Strapi v5 error name.
 */
#ifndef ERR_H
#define ERR_H

enum err {
	ERR_OK = 0,
	ERR_VALIDATION,		/* 400 ValidationError */
	ERR_BAD_REQUEST,	/* 400 BadRequestError (malformed JSON etc.) */
	ERR_UNAUTHORIZED,	/* 401 UnauthorizedError */
	ERR_FORBIDDEN,		/* 403 ForbiddenError */
	ERR_NOT_FOUND,		/* 404 NotFoundError */
	ERR_METHOD,		/* 405 MethodNotAllowedError */
	ERR_CONFLICT,		/* 409 ApplicationError */
	ERR_TOO_LARGE,		/* 413 PayloadTooLargeError */
	ERR_URI_TOO_LONG,	/* 414 URITooLongError (nginx answers it) */
	ERR_UNSUPPORTED_MEDIA,	/* 415 UnsupportedMediaTypeError */
	ERR_RATE_LIMIT,		/* 429 RateLimitError */
	ERR_DB,			/* 500 InternalServerError */
	ERR_INTERNAL,		/* 500 InternalServerError */
	ERR_UNAVAILABLE,	/* 503 ServiceUnavailableError */
	ERR__MAX
};

/* Returns the HTTP status code of an error. */
int		 err_status(enum err e);
/* Returns the Strapi error name ("ValidationError", ...). */
const char	*err_name(enum err e);
/* Returns the default message ("Not Found", ...). */
const char	*err_message(enum err e);
/* Returns the HTTP reason phrase of a status code ("Not Found"). */
const char	*http_reason(int status);

#endif
