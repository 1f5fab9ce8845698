/* err.c - thread-local error detail for the cp_err idiom (see err.h). */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errbuf[1024];

int
cp_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return code;
}

int
cp_err_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(errbuf)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, errbuf, sizeof(old));
	/* truncation of an over-long detail is acceptable */
	size_t n = strlen(prefix);
	const char *rest = old[0] ? old : cp_strerror(code);

	size_t m = strlen(rest);

	if (m > sizeof(errbuf) - n - 1)
		m = sizeof(errbuf) - n - 1;
	memcpy(errbuf, prefix, n);
	memcpy(errbuf + n, rest, m);
	errbuf[n + m] = '\0';
	return code;
}

const char *
cp_errmsg(void)
{
	return errbuf;
}

void
cp_err_clear(void)
{
	errbuf[0] = '\0';
}

const char *
cp_strerror(int code)
{
	switch (code) {
	case CP_OK: return "success";
	case CP_ERR_NOMEM: return "out of memory";
	case CP_ERR_IO: return "input/output error";
	case CP_ERR_FORMAT: return "malformed input";
	case CP_ERR_INVALID: return "invalid data";
	case CP_ERR_CRYPTO: return "cryptographic failure";
	case CP_ERR_DB: return "registry error";
	case CP_ERR_DEVICE: return "device fault";
	case CP_ERR_NOTFOUND: return "not found";
	case CP_ERR_EXISTS: return "already exists";
	case CP_ERR_BUSY: return "busy";
	case CP_ERR_CONFIG: return "configuration error";
	case CP_ERR_USAGE: return "usage error";
	case CP_ERR_LIMIT: return "limit exceeded";
	case CP_ERR_TIMEOUT: return "timed out";
	case CP_ERR_PERM: return "permission denied";
	case CP_ERR_INTEGRITY: return "integrity check failed";
	case CP_ERR_UNSUPPORTED: return "unsupported";
	case CP_ERR_INTERRUPTED: return "interrupted";
	case CP_ERR_PROTOCOL: return "protocol error";
	}
	return "unknown error";
}
