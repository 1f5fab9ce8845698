/* cmd_produce.c - `cardpipe produce`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_produce(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("produce", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe produce' is not available in this build yet"));
}
