/* cmd_init.c - `cardpipe init`: create CARDPIPE_HOME, its folders and its registry. */
#include "cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "registry/registry.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: cardpipe init\n"
	"\n"
	"Create CARDPIPE_HOME (mode 0700) with inbox/, quarantine/, archive/, spool/, out/,\n"
	"log/ and keys/, a registry at the current schema version, and a cardpipe.conf listing\n"
	"every key commented out at its default; before the first key ceremony, also the\n"
	"audit key file (keys.audit_key_file, docs/audit.md). Safe to run again: what exists\n"
	"is kept, a registry is migrated.\n";

static const char *const dir_keys[] = {"paths.inbox", "paths.quarantine", "paths.archive",
				       "paths.spool", "paths.out",	  "paths.log"};

int
cmd_init(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct registry *reg = NULL;
	char *path = NULL, *conf = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cmd_usage(usage, c != 'h');
	if (optind != argc)
		return cmd_usage(usage, 1);

	if ((r = fs_mkdirs(ctx->home, 0700)) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(dir_keys); i++) {
		path = ctx_path(ctx, dir_keys[i]);
		r = fs_mkdirs(path, 0700);
		free(path);
		path = NULL;
		if (r < 0)
			goto out;
	}
	path = fs_join(ctx->home, "keys");
	if ((r = fs_mkdirs(path, 0700)) < 0)
		goto out;
	free(path);

	conf = fs_join(ctx->home, "cardpipe.conf");
	if (!fs_exists(conf)) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		config_write_template(mem); /* commented out: config --show tells what changed */
		fclose(mem);
		r = fs_write_atomic(conf, text, len, 0600);
		free(text);
		if (r < 0)
			goto out;
	}

	path = ctx_path(ctx, "paths.registry");
	if ((r = ctx_audit_key(ctx)) < 0 || (r = registry_open(path, &reg)) < 0)
		goto out;
	log_info("init", "CARDPIPE_HOME '%s' ready (registry schema version %d)", ctx->home,
		 registry_schema_version(reg));
out:
	registry_close(reg);
	free(path);
	free(conf);
	return cmd_exit("init", r);
}
