/* cmd_instant.c - `cardpipe instant`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_instant(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("instant", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe instant' is not available in this build yet"));
}
