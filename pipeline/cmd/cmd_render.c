/* cmd_render.c - `cardpipe render`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_render(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("render", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe render' is not available in this build yet"));
}
