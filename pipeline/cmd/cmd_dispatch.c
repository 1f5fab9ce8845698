/* cmd_dispatch.c - `cardpipe dispatch`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_dispatch(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("dispatch", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe dispatch' is not available in this build yet"));
}
