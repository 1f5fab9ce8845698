/* pcscd_client.c - reaching a line's own pcscd (see pcscd_client.h). */
#include "printer/encoder/pcscd_client.h"

#include "core/err.h"
#include "core/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *
pcscd_line_socket_path(const char *dir)
{
	return xasprintf("%s/run/pcscd.comm", dir);
}

int
pcscd_line_client_env(const char *dir)
{
	char *s = pcscd_line_socket_path(dir);
	int r = setenv("PCSCLITE_CSOCK_NAME", s, 1) == 0
			? 0
			: cp_err(CP_ERR_IO, "setenv PCSCLITE_CSOCK_NAME: %s", strerror(errno));
	free(s);
	return r;
}
