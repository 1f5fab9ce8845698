/* cmd_util.c - what every builtin shares: exit codes, the registry of CARDPIPE_HOME, usage. */
#include "cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/keys/audit_key.h"
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>

int
cmd_exit(const char *cmd, int r)
{
	if (r >= 0)
		return EXIT_DONE;
	log_error(cmd, "%s", cp_errmsg()[0] ? cp_errmsg() : cp_strerror(r));
	return (r == CP_ERR_USAGE || r == CP_ERR_CONFIG) ? EXIT_USAGE : EXIT_FAILURE_;
}

char *
ctx_path(struct cp_ctx *ctx, const char *key)
{
	return config_path(ctx->cfg, key, ctx->home);
}

int
ctx_audit_key(struct cp_ctx *ctx)
{
	unsigned char key[AUDIT_KEY_LEN];
	char kcv[7];
	int r;

	if ((r = audit_key_load(ctx->cfg, ctx->home, key, kcv)) == 0)
		r = registry_set_audit_key(key, sizeof(key), kcv);
	cp_memzero(key, sizeof(key));
	return r;
}

int
ctx_open_registry(struct cp_ctx *ctx, struct registry **reg)
{
	char *path = ctx_path(ctx, "paths.registry");
	int r;

	if (!fs_exists(path)) {
		r = cp_err(CP_ERR_CONFIG,
			   "no registry at '%s'; run 'cardpipe init' (CARDPIPE_HOME is '%s')", path,
			   ctx->home);
		free(path);
		return r;
	}
	if ((r = ctx_audit_key(ctx)) == 0)
		r = registry_open(path, reg);
	free(path);
	return r;
}

int
cmd_usage(const char *usage, int is_error)
{
	fputs(usage, is_error ? stderr : stdout);
	return is_error ? EXIT_USAGE : EXIT_DONE;
}
