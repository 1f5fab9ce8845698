/* cmd_config.c - `cardpipe config --show`: the effective configuration and where each value
 * came from; `--markdown`: the key table as the source of cardpipe.conf(5). */
#include "pipeline/cmd/cmd.h"

#include "pipeline/registry/registry.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe config --show [--describe]\n"
	"       cardpipe config --markdown\n"
	"\n"
	"Print the effective configuration in cardpipe.conf syntax. Values that are not the\n"
	"default say where they came from (file, environment, command line).\n"
	"A value outside what its key allows is a configuration error (exit 2).\n"
	"registry.url is withheld when it names a password (cardpipe refuses to connect\n"
	"with one) or is no form that key takes.\n"
	"\n"
	"Options:\n"
	"  --show       print every key with its effective value\n"
	"  --describe   also print each key's meaning\n"
	"               and what it allows (a range or words, and a unit)\n"
	"  --markdown   print every key, its type, default and meaning as the Markdown source\n"
	"               of the cardpipe.conf(5) manual page (for pandoc)\n"
	"  -h, --help   this text\n";

/* registry.url is printed only when it holds no password: connecting refuses such a URL,
 * and --show's output goes into tickets and logs. */
static const char *
shown_value(const char *name, const char *value)
{
	if (!strcmp(name, "registry.url") && !registry_url_printable(value))
		return "(withheld: it names a password, or is no form registry.url takes)";
	return value;
}

int
cmd_config(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {{"show", no_argument, NULL, 's'},
					     {"describe", no_argument, NULL, 'd'},
					     {"markdown", no_argument, NULL, 'm'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	int c, show = 0, describe = 0, markdown = 0;

	while ((c = cmd_getopt(argc, argv, "sdh", opts, NULL)) != -1) {
		if (c == 's')
			show = 1;
		else if (c == 'd')
			describe = show = 1;
		else if (c == 'm')
			markdown = 1;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (show == markdown || optind != argc)
		return cmd_usage(usage, 1);
	if (markdown)
		config_reference_markdown(stdout);
	else
		config_show(ctx->cfg, stdout, describe, shown_value);
	return EXIT_DONE;
}
