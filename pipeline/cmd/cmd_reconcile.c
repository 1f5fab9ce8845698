/* cmd_reconcile.c - `cardpipe reconcile`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_reconcile(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("reconcile", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe reconcile' is not available in this build yet"));
}
