/* cmd_line.c - `cardpipe line`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_line(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("line", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe line' is not available in this build yet"));
}
