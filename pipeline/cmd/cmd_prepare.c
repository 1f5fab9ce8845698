/* cmd_prepare.c - `cardpipe prepare`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_prepare(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("prepare", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe prepare' is not available in this build yet"));
}
