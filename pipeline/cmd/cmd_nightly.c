/* cmd_nightly.c - `cardpipe nightly`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_nightly(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("nightly", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe nightly' is not available in this build yet"));
}
