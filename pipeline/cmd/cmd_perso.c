/* cmd_perso.c - `cardpipe perso`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_perso(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("perso", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe perso' is not available in this build yet"));
}
