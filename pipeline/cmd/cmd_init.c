/* cmd_init.c - `cardpipe init`: create CARDPIPE_HOME, its folders and its registry. */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "pipeline/registry/registry.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: cardpipe init\n"
	"\n"
	"Create CARDPIPE_HOME (mode 0700) with inbox/, quarantine/, archive/, spool/, out/,\n"
	"log/ and keys/, a registry at the current schema version, and a cardpipe.conf listing\n"
	"every key commented out at its default; before the first key ceremony, also the\n"
	"audit key file (keys.audit_key_file, docs/audit.md). Safe to run again: what exists\n"
	"is kept, a registry is migrated.\n"
	"\n"
	"On an existing home, init also checks what holds personal data or keys: a folder\n"
	"(CARDPIPE_HOME, quarantine/, archive/, spool/, out/, log/, keys/) others can read is\n"
	"made 0700 and a file (the registry, cardpipe.conf, the key store, the component\n"
	"files) 0600, each repair logged. A registry, keys/ folder, key store or component\n"
	"file that is a symbolic link or belongs to another user is refused (exit 3): put the\n"
	"real one there. The inbox, where other systems drop files, is left as it is.\n";

static const char *const dir_keys[] = {"paths.inbox", "paths.quarantine", "paths.archive",
				       "paths.spool", "paths.out",	  "paths.log"};

enum { FOLLOW = 1 }; /* a symbolic link to the real folder is fine (home on another disk) */

/* Make path private (mode want) if others can reach it; refuse what cannot be repaired. A
 * missing path is fine: init creates it, under umask 077. */
static int
make_private(const char *path, const char *what, int is_dir, mode_t want, int follow)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return errno == ENOENT
			       ? 0
			       : cp_err(CP_ERR_IO, "%s '%s': %s", what, path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return cp_err(CP_ERR_PERM,
			      "%s '%s' is a symbolic link: cardpipe does not follow one there; "
			      "put the real %s in its place",
			      what, path, is_dir ? "folder" : "file");
	if (is_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return cp_err(CP_ERR_PERM, "%s '%s' is not a %s", what, path,
			      is_dir ? "folder" : "regular file");
	if (st.st_uid != geteuid())
		return cp_err(CP_ERR_PERM, "%s '%s' belongs to uid %u, not to this user (uid %u)",
			      what, path, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) == 0)
		return 0;
	if (chmod(path, want) != 0)
		return cp_err(CP_ERR_PERM,
			      "%s '%s' is open to others (mode %04o) and chmod failed: %s", what,
			      path, (unsigned)(st.st_mode & 07777), strerror(errno));
	log_warn("init", "%s '%s' was open to others (mode %04o): made %04o", what, path,
		 (unsigned)(st.st_mode & 07777), (unsigned)want);
	return 0;
}

/* The registry and its SQLite side files, the key store and the component files. */
static int
check_secrets(struct cp_ctx *ctx)
{
	static const char *const side[] = {"", "-wal", "-shm", "-journal"};
	char *reg = ctx_path(ctx, "paths.registry"), *ks = ctx_path(ctx, "paths.keystore");
	char *keys = fs_join(ctx->home, "keys");
	char *list = xstrdup(config_str(ctx->cfg, "keys.component_files")), *save = NULL;
	int r = make_private(keys, "key folder", 1, 0700, 0);

	for (size_t i = 0; i < ARRAY_SIZE(side) && r == 0; i++) {
		char *p = xasprintf("%s%s", reg, side[i]);

		r = make_private(p, "registry", 0, 0600, 0);
		free(p);
	}
	if (r == 0)
		r = make_private(ks, "key store", 0, 0600, 0);
	for (char *t = strtok_r(list, ":", &save); t && r == 0; t = strtok_r(NULL, ":", &save)) {
		char *p = t[0] == '/' ? xstrdup(t) : fs_join(ctx->home, t);

		r = make_private(p, "key component file", 0, 0600, 0);
		free(p);
	}
	free(list);
	free(keys);
	free(ks);
	free(reg);
	return r;
}

/* An existing home: what others could read is made private, or refused. */
static int
check_home(struct cp_ctx *ctx)
{
	char *conf = fs_join(ctx->home, "cardpipe.conf");
	int r = make_private(ctx->home, "CARDPIPE_HOME", 1, 0700, FOLLOW);

	for (size_t i = 1; i < ARRAY_SIZE(dir_keys) && r == 0; i++) { /* [0]: the inbox */
		char *p = ctx_path(ctx, dir_keys[i]);

		r = make_private(p, dir_keys[i], 1, 0700, FOLLOW);
		free(p);
	}
	if (r == 0)
		r = make_private(conf, "configuration", 0, 0600, FOLLOW);
	if (r == 0) { /* run/ holds the locks and instant issuance's copies of applications */
		char *run = fs_join(ctx->home, "run");

		r = make_private(run, "run folder", 1, 0700, FOLLOW);
		free(run);
	}
	if (r == 0) {
		char *logdir = ctx_path(ctx, "paths.log"), *log = fs_join(logdir, "cardpipe.log");

		r = make_private(log, "log file", 0, 0600, FOLLOW);
		free(log);
		free(logdir);
	}
	if (r == 0)
		r = check_secrets(ctx);
	free(conf);
	return r;
}

int
cmd_init(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct registry *reg = NULL;
	char *path = NULL, *conf = NULL;
	int c, r;

	while ((c = cmd_getopt(argc, argv, "h", opts, NULL)) != -1)
		return cmd_usage(usage, c != 'h');
	if (optind != argc)
		return cmd_usage(usage, 1);

	if ((r = check_home(ctx)) < 0 || (r = fs_mkdirs(ctx->home, 0700)) < 0)
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
	path = NULL;

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

	if ((r = ctx_open_registry(ctx, 1, &reg)) < 0)
		goto out;
	log_info("init", "CARDPIPE_HOME '%s' ready (registry schema version %d)", ctx->home,
		 registry_schema_version(reg));
out:
	registry_close(reg);
	free(path);
	free(conf);
	return cmd_exit("init", r);
}
