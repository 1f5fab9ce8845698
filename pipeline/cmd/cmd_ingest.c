/* cmd_ingest.c - `cardpipe ingest`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_ingest(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("ingest", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe ingest' is not available in this build yet"));
}
