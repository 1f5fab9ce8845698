/* cmd_status.c - `cardpipe status`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_status(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("status", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe status' is not available in this build yet"));
}
