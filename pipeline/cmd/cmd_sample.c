/* cmd_sample.c - `cardpipe sample`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_sample(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("sample", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe sample' is not available in this build yet"));
}
