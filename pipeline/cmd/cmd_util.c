/* cmd_util.c - what every builtin shares: exit codes, the registry of CARDPIPE_HOME, usage,
 * option errors with a "did you mean". */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/suggest.h"
#include "personalization/keys/audit_key.h"
#include "pipeline/registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cmd_name = "cardpipe";
/* cmd_getopt() printed the error: a following cmd_usage(usage, 1) adds nothing */
static int option_reported;

int
cp_exit_code(int r)
{
	if (r >= 0)
		return EXIT_DONE;
	return (r == CP_ERR_USAGE || r == CP_ERR_CONFIG) ? EXIT_USAGE : EXIT_FAILURE_;
}

int
cmd_exit(const char *cmd, int r)
{
	if (r >= 0)
		return EXIT_DONE;
	log_error(cmd, "%s", cp_errmsg()[0] ? cp_errmsg() : cp_strerror(r));
	return cp_exit_code(r);
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
ctx_open_registry(struct cp_ctx *ctx, int create, struct registry **reg)
{
	const char *url = config_str(ctx->cfg, "registry.url");
	char *path, *pass = NULL;
	int r;

	*reg = NULL;
	if (url && *url && registry_url_is_pg(url)) {
		const char *pf = config_str(ctx->cfg, "registry.password_file");

		if (pf && *pf)
			pass = pf[0] == '/' ? xstrdup(pf) : fs_join(ctx->home, pf);
		if ((r = ctx_audit_key(ctx)) == 0)
			r = registry_open_url(url, pass, reg);
		free(pass);
		return r;
	}
	if (url && !strncmp(url, "sqlite:", 7) && url[7])
		path = url[7] == '/' ? xstrdup(url + 7) : fs_join(ctx->home, url + 7);
	else if (url && *url && strcmp(url, "sqlite:") != 0)
		/* not echoed: a mistyped URL may carry a password */
		return cp_err(CP_ERR_CONFIG,
			      "registry.url: expected empty, sqlite:[PATH], a postgresql:// URI or "
			      "a libpq connection string (key=value ...)");
	else
		path = ctx_path(ctx, "paths.registry");
	if (!create && !fs_exists(path)) {
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
ctx_registry(struct cp_ctx *ctx, struct registry **reg)
{
	int r;

	*reg = NULL;
	if (!(ctx->flags & RUN_REGISTRY))
		return cp_err(CP_ERR_INVALID, "this command is not flagged RUN_REGISTRY");
	if (!ctx->reg) {
		if ((r = ctx_open_registry(ctx, 0, &ctx->reg)) < 0)
			return r;
		if (ctx->actor)
			registry_set_actor(ctx->reg, ctx->actor);
	}
	*reg = ctx->reg;
	return 0;
}

void
ctx_close_registry(struct cp_ctx *ctx)
{
	registry_close(ctx->reg);
	ctx->reg = NULL;
}

int
ctx_stage(struct cp_ctx *ctx, struct stage_ctx *sc)
{
	int r = ctx_registry(ctx, &sc->reg);

	sc->cfg = ctx->cfg;
	sc->home = ctx->home;
	sc->actor = ctx->actor;
	return r;
}

int
cmd_usage(const char *usage, int is_error)
{
	if (!is_error || !option_reported)
		fputs(usage, is_error ? stderr : stdout);
	option_reported = 0;
	return is_error ? EXIT_USAGE : EXIT_DONE;
}

void
cmd_set_name(const char *name)
{
	cmd_name = name;
}

int
cmd_unknown_word(const char *what, const char *word, const char *const *cands, size_t n)
{
	const char *hint = cp_suggest(word, cands, n);

	if (hint)
		fprintf(stderr,
			"cardpipe %s: unknown %s '%s'; did you mean '%s'? (see 'cardpipe "
			"help %s')\n",
			cmd_name, what, word, hint, cmd_name);
	else
		fprintf(stderr, "cardpipe %s: unknown %s '%s' (see 'cardpipe help %s')\n", cmd_name,
			what, word, cmd_name);
	option_reported = 1;
	return EXIT_USAGE;
}

/* "--lien=3" -> "lien" in buf */
static const char *
long_name(const char *arg, char *buf, size_t size)
{
	size_t n;

	arg += strspn(arg, "-");
	n = strcspn(arg, "=");
	if (n >= size)
		n = size - 1;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	return buf;
}

static void
report_long(const char *arg, const struct option *longopts)
{
	const char *names[64];
	char word[64];
	size_t n = 0, nprefix = 0;
	const char *hint;

	long_name(arg, word, sizeof(word));
	for (const struct option *o = longopts; o && o->name && n < 64; o++)
		names[n++] = o->name;
	for (size_t i = 0; i < n; i++)
		nprefix += word[0] && !strncmp(names[i], word, strlen(word));
	if (nprefix > 1) {
		fprintf(stderr, "cardpipe %s: option '--%s' is ambiguous:", cmd_name, word);
		for (size_t i = 0; i < n; i++)
			if (!strncmp(names[i], word, strlen(word)))
				fprintf(stderr, " --%s", names[i]);
		fprintf(stderr, "\n");
		return;
	}
	hint = cp_suggest(word, names, n);
	if (hint)
		fprintf(stderr,
			"cardpipe %s: unknown option '--%s'; did you mean '--%s'? (see "
			"'cardpipe help %s')\n",
			cmd_name, word, hint, cmd_name);
	else
		fprintf(stderr, "cardpipe %s: unknown option '--%s' (see 'cardpipe help %s')\n",
			cmd_name, word, cmd_name);
}

int
cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	   int *longindex)
{
	/* a leading ':' makes getopt tell a missing value (':') from an unknown option */
	char opts[64], word[64];
	const char *arg;
	int c, plus = shortopts[0] == '+' || shortopts[0] == '-';

	snprintf(opts, sizeof(opts), "%.*s:%s", plus, shortopts, shortopts + plus);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, longindex);
	if (c != '?' && c != ':')
		return c;
	option_reported = 1;
	arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) != 0)
		fprintf(stderr, "cardpipe %s: option '-%c' %s (see 'cardpipe help %s')\n", cmd_name,
			optopt ? optopt : '?', c == ':' ? "needs a value" : "is unknown", cmd_name);
	else if (c == ':' || optopt != 0)
		fprintf(stderr, "cardpipe %s: option '--%s' %s\n", cmd_name,
			long_name(arg, word, sizeof(word)),
			c == ':' ? "needs a value" : "takes no value");
	else
		report_long(arg, longopts);
	return '?';
}
