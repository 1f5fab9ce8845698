/* cmd_calendar.c - `cardpipe calendar`: not built yet (see the issue that builds it). */
#include "cmd/cmd.h"

#include "core/err.h"

int
cmd_calendar(int argc, char **argv, struct cp_ctx *ctx)
{
	return cmd_exit("calendar", cp_err(CP_ERR_UNSUPPORTED, "'cardpipe calendar' is not available in this build yet"));
}
