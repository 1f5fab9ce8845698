/* cmd_keys.c - `cardpipe keys`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_keys(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("keys", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe keys' is not available in this build yet"));
}
