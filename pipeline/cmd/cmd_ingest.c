/* cmd_ingest.c - `cardpipe ingest`: read application files from the inbox into the registry. */
#include "pipeline/cmd/cmd.h"

#include "core/err.h"
#include "core/log.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/ingest.h"
#include "pipeline/stages/stagelock.h"

#include <getopt.h>
#include <stdio.h>

static const char usage[] =
	"usage: cardpipe ingest [--inbox DIR]\n"
	"\n"
	"Read every application file in the inbox (employer batch XML, online-channel XML,\n"
	"counter CSV; any of them gzip-compressed; UTF-8 or GB18030) into the registry, one\n"
	"application per record in state 'received', or 'rejected' with a reason when ingest\n"
	"can already see the record is unusable (photo reference outside the file's folder or\n"
	"missing, corrupt base64 photo, CSV quoting or field count, record too large).\n"
	"\n"
	"A file is known by the SHA-256 of its bytes: a file seen before changes nothing and is\n"
	"only taken out of the inbox. An ingested file moves to archive/<sha256>; a file that\n"
	"cannot be read as a whole (not well-formed, schema violation, bad encoding, truncated\n"
	"gzip, gzip bomb, DTD or entities, too deep, too large, unknown format, unparseable\n"
	"CSV) moves to quarantine/<name> with <name>.report.txt beside it, and no record of it\n"
	"is kept. Photos are stored once each per run in packs under spool/photos/packs/\n"
	"(docs/photo-pack.md). Files are read, hashed and parsed ahead on\n"
	"ingest.threads reader threads; the registry gets them in name order. Files ending in\n"
	".jpg/.jpeg/.tmp/.part/.partial/.filepart/.crdownload/.done, hidden files (rsync's\n"
	".NAME.XXXXXX), folders and symbolic links in the inbox are not application files and\n"
	"are left where they are.\n"
	"\n"
	"A file is read only once it has finished arriving: no process has it open for writing,\n"
	"it has not changed for ingest.settle_seconds, and, with ingest.require_done_marker,\n"
	"its channel has written NAME.done beside it (removed once the file is taken). A file\n"
	"still arriving, or whose photo is, stays in the inbox for the next run; one that\n"
	"changes while it is read is dropped from the registry and read again next run. A\n"
	"quarantined file written to after it was quarantined is taken back into the inbox.\n"
	"\n"
	"Options:\n"
	"  --inbox DIR   read this folder instead of paths.inbox\n"
	"  -h, --help    show this help\n"
	"\n"
	"Limits: ingest.max_file_bytes, ingest.max_gzip_ratio, ingest.max_record_bytes,\n"
	"ingest.max_xml_depth. Exit codes: 0 done; 1 done, but a file was quarantined or could\n"
	"not be read, or the share of rejected records is over general.reject_threshold;\n"
	"2 usage or configuration error; 3 failure (what was committed stays; a rerun finishes\n"
	"the interrupted file), or the ingest stage lock still busy after general.lock_wait\n"
	"seconds (docs/locks.md; the message names the holder).\n";

int
cmd_ingest(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"inbox", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'}, {0}};
	struct run_lock lk = {-1};
	struct ingest_counts counts = {0};
	struct ingest_opts io = {.detail = &counts};
	struct stage_result sr;
	struct stage_ctx sc;
	int c, r;

	while ((c = cmd_getopt(argc, argv, "hi:", opts, NULL)) != -1) {
		if (c == 'i')
			io.inbox = optarg;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (optind != argc)
		return cmd_usage(usage, 1);
	/* two ingests of one inbox would race for the same files: one at a time */
	if ((r = stage_lock_take(ctx->cfg, ctx->home, "ingest", NULL, &lk)) < 0)
		return cmd_exit("ingest", r);
	if ((r = ctx_stage(ctx, &sc)) < 0) {
		run_lock_release(&lk);
		return cmd_exit("ingest", r);
	}
	r = stage_ingest_run(&sc, &io, &sr);
	ctx_close_registry(ctx);
	run_lock_release(&lk);
	if (r < 0)
		return cmd_exit("ingest", r);
	if (ingest_needs_attention(ctx->cfg, &counts))
		return EXIT_REJECTS;
	return EXIT_DONE;
}
