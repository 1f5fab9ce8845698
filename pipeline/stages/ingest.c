/*
 * ingest.c - the ingest stage (docs/ingest.md).
 *
 * For each file in the inbox: SHA-256 of its raw bytes; a known hash changes nothing (the
 * file is only moved out of the inbox again); otherwise the file is recorded 'ingesting',
 * its records stream into the registry in batches (photos stored once each under
 * spool/photos/<sha256>.jpg), and it ends 'ingested' and moves to archive/<sha256>, or,
 * if the file itself is bad, 'quarantined' with no rows and moves to quarantine/ with a
 * report beside it. A crash leaves at worst a file 'ingesting', which the next run redoes
 * from scratch.
 *
 * Reading (hash, parse, photos) runs ahead on reader threads (ingest_read.c); this file
 * takes their files and records in order and is the only one that touches the registry.
 */
#include "stages/ingest.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "formats/app_parse.h"
#include "registry/reg_ingest.h"
#include "rules/reasons.h"
#include "stages/ingest_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 2000 /* records per transaction */

struct ingest {
	struct config *cfg;
	struct registry *reg;
	char *inbox, *inbox_real, *archive, *quarantine, *photos;
	struct ingest_env env; /* what the readers see */
	struct reader_pool *readers;
	struct ingest_counts *counts;
	int photos_fd;
};

/* One file being recorded. */
struct file_run {
	struct ingest *ig;
	const char *name;
	struct reg_ingest_writer *w;
	long long file_id, records, rejected;
	int in_batch, photos_dirty;
	char *channel;
};

/* Mask what may be an ID number or a mobile in a message (libxml2 echoes values). */
static void
scrub(char *s)
{
	for (char *p = s; *p;) {
		size_t n = 0, digits = 0;

		while ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'A' && p[n] <= 'Z') ||
		       (p[n] >= 'a' && p[n] <= 'z')) {
			digits += p[n] >= '0' && p[n] <= '9';
			n++;
		}
		if (n >= 11 && digits >= 8) {
			size_t head = n >= 15 ? 6 : 3, tail = 4;

			for (size_t i = head; i < n - tail; i++)
				p[i] = '*';
		}
		p += n ? n : 1;
	}
}

/* ---- records ---- */

static int
batch_commit(struct file_run *fr)
{
	int r;

	if (fr->photos_dirty && (r = fs_sync_fs(fr->ig->photos)) < 0)
		return r;
	fr->photos_dirty = 0;
	fr->in_batch = 0;
	return registry_commit(fr->ig->reg);
}

/* One record from the file's reader: its photo (if any) is stored already. */
static int
add_record(struct file_run *fr, struct app_record *rec)
{
	int r;

	/* a photo the reader wrote is made durable before the batch naming it commits */
	if (rec->photo_sha256)
		fr->photos_dirty = 1;
	if (!fr->channel && rec->channel && strcmp(rec->channel, "unknown"))
		fr->channel = xstrdup(rec->channel);
	if (!fr->in_batch) {
		if ((r = registry_begin(fr->ig->reg)) < 0)
			return r;
		fr->in_batch = 1;
	}
	if ((r = reg_ingest_add(fr->w, rec)) < 0)
		return r;
	fr->records++;
	fr->rejected += rec->reject_code != NULL;
	if (fr->records % BATCH == 0)
		return batch_commit(fr);
	return 0;
}

/* ---- moving files ---- */

/* quarantine/<name>, or <stem>.N<ext> if taken ("a.xml.gz" -> "a.1.xml.gz"). */
static char *
unique_quarantine(struct ingest *ig, const char *name)
{
	const char *dot = strchr(name + 1, '.');
	char *path = fs_join(ig->quarantine, name);

	for (int n = 1; fs_exists(path); n++) {
		char *alt = dot ? xasprintf("%.*s.%d%s", (int)(dot - name), name, n, dot)
				: xasprintf("%s.%d", name, n);

		free(path);
		path = fs_join(ig->quarantine, alt);
		free(alt);
	}
	return path;
}

static int
move_file(const char *from, const char *to)
{
	if (rename(from, to) < 0)
		return cp_err(CP_ERR_IO, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
	if (fs_sync_dir_of(to) < 0 || fs_sync_dir_of(from) < 0)
		return CP_ERR_IO;
	return 0;
}

static int
archive_file(struct ingest *ig, const char *path, const char *sha)
{
	char *to = fs_join(ig->archive, sha);
	int r = 0;

	if (fs_exists(to)) {
		/* archived before: the inbox copy is the same bytes */
		if (unlink(path) < 0 && errno != ENOENT)
			r = cp_err(CP_ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
	} else {
		r = move_file(path, to);
	}
	free(to);
	return r;
}

/* Write the report, then move the file beside it; returns where the file went. */
static int
quarantine_file(struct ingest *ig, const char *path, const char *name, const char *report,
		char **where)
{
	char *to = unique_quarantine(ig, name), *rep = xasprintf("%s.report.txt", to);
	int r;

	*where = NULL;
	if ((r = fs_write_atomic(rep, report, strlen(report), 0600)) == 0 &&
	    (r = move_file(path, to)) == 0)
		*where = xasprintf("quarantine/%s", strrchr(to, '/') + 1);
	free(rep);
	free(to);
	return r;
}

static char *
make_report(const char *name, const char *sha, const char *format, const struct parse_fail *f)
{
	const struct reason *why = reason_find(f->code);
	char ts[32], *detail = xstrdup(f->detail), *text;

	scrub(detail);
	cp_iso_utc(cp_now(), ts, sizeof(ts));
	text = xasprintf(
		"cardpipe ingest: file quarantined\n"
		"file:     %s\n"
		"sha256:   %s\n"
		"format:   %s\n"
		"checked:  %s\n"
		"reason:   %s\n"
		"          %s / %s\n"
		"line:     %ld\n"
		"detail:   %s\n"
		"No record of this file was recorded. Correct the file and send it again.\n",
		name, sha, format, ts, f->code, why ? why->en : "", why ? why->zh : "", f->line,
		detail);
	free(detail);
	return text;
}

/* ---- one file ---- */

static int
quarantine_new(struct ingest *ig, struct file_run *fr, const char *path, const char *sha,
	       enum app_format fmt, struct parse_fail *f)
{
	char *report = make_report(fr->name, sha, app_format_name(fmt), f), *where = NULL;
	char *to = unique_quarantine(ig, fr->name);
	char *rel = xasprintf("quarantine/%s", strrchr(to, '/') + 1), msg[600];
	int r;

	if ((r = registry_begin(ig->reg)) < 0 ||
	    (r = reg_ingest_file_quarantine(ig->reg, fr->file_id, app_format_name(fmt),
					    fr->channel ? fr->channel : "unknown", f->code, report,
					    rel)) < 0 ||
	    (r = registry_commit(ig->reg)) < 0)
		goto out;
	if ((r = quarantine_file(ig, path, fr->name, report, &where)) < 0)
		goto out;
	if (strcmp(where, rel) && (r = reg_ingest_file_moved(ig->reg, fr->file_id, where)) < 0)
		goto out;
	snprintf(msg, sizeof(msg), "%s", f->detail);
	scrub(msg);
	log_warn("ingest", "file '%s': quarantined as %s: %s (line %ld): %s", fr->name, where,
		 f->code, f->line, msg);
	ig->counts->files_quarantined++;
out:
	if (r < 0)
		registry_rollback(ig->reg);
	free(where);
	free(rel);
	free(to);
	free(report);
	return r;
}

/* The records of file i as its reader hands them over, in order, into the registry. */
static int
record_file(struct ingest *ig, size_t i, struct file_run *fr)
{
	struct app_record *rec;
	int r = 0;

	while (reader_next(ig->readers, i, &rec) == 1) {
		if (r == 0)
			r = add_record(fr, rec);
		app_record_release(rec);
		free(rec);
		if (r < 0)
			break; /* reader_done() stops the reader and drops the rest */
	}
	return r;
}

static int
ingest_file(struct ingest *ig, size_t i)
{
	struct read_file *rf = reader_hash(ig->readers, i);
	struct file_run fr = {.ig = ig, .name = rf->name};
	struct reg_input_file known = {0};
	const char *name = rf->name, *sha = rf->sha;
	char *path = fs_join(ig->inbox, name), *where = NULL, *arch = NULL;
	int r;

	if (rf->hash_rc == CP_ERR_NOTFOUND) {
		/* taken away by its channel since the inbox was listed: nothing to do */
		log_warn("ingest", "file '%s' vanished from the inbox before it was read", name);
		r = 0;
		goto out;
	}
	if (rf->hash_rc < 0) {
		r = cp_err(rf->hash_rc, "%s", rf->err ? rf->err : "cannot read the file");
		goto out;
	}
	ig->counts->files++;
	r = reg_ingest_find_file(ig->reg, sha, &known);
	if (r == 0 && strcmp(known.status, "ingesting") != 0) {
		/* seen before: nothing new, only take it out of the inbox again */
		ig->counts->files_known++;
		if (!strcmp(known.status, "ingested")) {
			if ((r = archive_file(ig, path, sha)) == 0)
				log_info("ingest",
					 "file '%s': already ingested (as '%s', %lld "
					 "records); removed from the inbox",
					 name, known.name, known.records);
		} else if ((r = quarantine_file(ig, path, name,
						known.report ? known.report : "quarantined\n",
						&where)) == 0 &&
			   (r = reg_ingest_file_moved(ig->reg, known.id, where)) == 0) {
			log_warn("ingest",
				 "file '%s': already quarantined before (%s); moved to %s", name,
				 known.reason ? known.reason : "?", where);
		}
		goto out;
	}
	if (r < 0 && r != CP_ERR_NOTFOUND)
		goto out;
	if ((r = registry_begin(ig->reg)) < 0)
		goto out;
	if (known.id) {
		fr.file_id = known.id;
		r = reg_ingest_file_reset(ig->reg, known.id, name);
	} else {
		r = reg_ingest_file_start(ig->reg, sha, name, &fr.file_id);
	}
	if (r < 0 || (r = registry_commit(ig->reg)) < 0) {
		registry_rollback(ig->reg);
		goto out;
	}

	if (rf->too_large) {
		/* plain or compressed, a raw file this large is refused unread */
		struct parse_fail f = {0};

		parse_failf(&f, "file-too-large", 0,
			    "the file is %lld bytes, larger than the limit of %llu "
			    "(ingest.max_file_bytes)",
			    (long long)rf->size, ig->env.slim.max_bytes);
		r = quarantine_new(ig, &fr, path, sha, APP_FORMAT_UNKNOWN, &f);
		goto out;
	}
	if ((r = reg_ingest_writer_open(ig->reg, fr.file_id, &fr.w)) < 0)
		goto out;
	if ((r = record_file(ig, i, &fr)) < 0) {
		/* the registry failed: not the file's fault, it stays 'ingesting' for the next
		 * run */
		if (fr.in_batch)
			registry_rollback(ig->reg);
		r = cp_err_wrap(r, "file '%s': ", name);
		goto out;
	}
	/* the reader is at the end of the file: its verdict on the file is final */
	if (rf->parse_rc < 0 && rf->parse_rc != CP_ERR_FORMAT) {
		/* not the file's fault (disk, memory): leave it 'ingesting' for the next run */
		if (fr.in_batch)
			registry_rollback(ig->reg);
		r = cp_err(rf->parse_rc, "file '%s': %s", name, rf->err ? rf->err : "read failed");
		goto out;
	}
	if (rf->parse_rc == CP_ERR_FORMAT) {
		if (fr.in_batch)
			registry_rollback(ig->reg);
		fr.in_batch = 0;
		r = quarantine_new(ig, &fr, path, sha, rf->fmt, &rf->fail);
		goto out;
	}
	if (!fr.in_batch && (r = registry_begin(ig->reg)) < 0)
		goto out;
	fr.in_batch = 1;
	arch = xasprintf("archive/%s", sha);
	if ((r = reg_ingest_file_done(ig->reg, fr.file_id, app_format_name(rf->fmt),
				      fr.channel ? fr.channel : "unknown", fr.records, arch)) < 0 ||
	    (r = batch_commit(&fr)) < 0) {
		registry_rollback(ig->reg);
		goto out;
	}
	if ((r = archive_file(ig, path, sha)) < 0)
		goto out;
	ig->counts->files_ingested++;
	ig->counts->records += fr.records;
	ig->counts->rejected += fr.rejected;
	ig->counts->photos += rf->photos_stored;
	log_info("ingest", "file '%s': %s, %lld records (%lld rejected by ingest), archived as %s",
		 name, app_format_name(rf->fmt), fr.records, fr.rejected, arch);
out:
	reader_done(ig->readers, i);
	reg_ingest_writer_free(fr.w);
	reg_input_file_release(&known);
	free(fr.channel);
	free(arch);
	free(where);
	free(path);
	return r;
}

/* ---- the inbox ---- */

/* Application files only: photos, partial uploads, hidden files and folders stay. */
static int
is_candidate(const char *inbox, const char *name)
{
	static const char *const skip_ext[] = {".jpg", ".jpeg", ".JPG",	    ".JPEG",
					       ".tmp", ".part", ".partial", ".report.txt"};
	size_t n = strlen(name);
	struct stat st;
	char *path;
	int ok;

	if (name[0] == '.')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(skip_ext); i++) {
		size_t e = strlen(skip_ext[i]);

		if (n > e && !strcmp(name + n - e, skip_ext[i]))
			return 0;
	}
	path = fs_join(inbox, name);
	ok = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		log_warn("ingest", "'%s' in the inbox is a symbolic link: not read", name);
	free(path);
	return ok;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
stage_ingest_run(struct config *cfg, const char *home, struct registry *reg, const char *inbox,
		 struct ingest_counts *counts)
{
	struct ingest ig = {.cfg = cfg, .reg = reg, .counts = counts, .photos_fd = -1};
	struct progress prog;
	char **names = NULL, *spool = NULL;
	size_t nnames = 0, cap = 0;
	long long threads;
	struct dirent *de;
	DIR *d = NULL;
	int r = 0;

	memset(counts, 0, sizeof(*counts));
	ig.inbox = inbox ? xstrdup(inbox) : config_path(cfg, "paths.inbox", home);
	ig.archive = config_path(cfg, "paths.archive", home);
	ig.quarantine = config_path(cfg, "paths.quarantine", home);
	spool = config_path(cfg, "paths.spool", home);
	ig.photos = fs_join(spool, "photos");
	ig.env.slim.max_bytes = (unsigned long long)config_int(cfg, "ingest.max_file_bytes");
	ig.env.slim.max_ratio = (unsigned long)config_int(cfg, "ingest.max_gzip_ratio");
	ig.env.lim.max_record_bytes = (size_t)config_int(cfg, "ingest.max_record_bytes");
	ig.env.lim.max_depth = (int)config_int(cfg, "ingest.max_xml_depth");
	threads = config_int(cfg, "ingest.threads");
	if (threads < 0 || threads > INGEST_MAX_READERS) {
		r = cp_err(CP_ERR_CONFIG, "ingest.threads %lld: expected 0..%d", threads,
			   INGEST_MAX_READERS);
		goto out;
	}
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus < 1 ? 1 : cpus > INGEST_MAX_READERS ? INGEST_MAX_READERS : cpus;
	}
	registry_set_actor(reg, "ingest");

	if ((r = fs_mkdirs(ig.archive, 0700)) < 0 || (r = fs_mkdirs(ig.quarantine, 0700)) < 0 ||
	    (r = fs_mkdirs(ig.photos, 0700)) < 0)
		goto out;
	if (!(ig.inbox_real = realpath(ig.inbox, NULL))) {
		r = cp_err(CP_ERR_CONFIG, "inbox '%s': %s", ig.inbox, strerror(errno));
		goto out;
	}
	ig.photos_fd = open(ig.photos, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ig.photos_fd < 0) {
		r = cp_err(CP_ERR_IO, "cannot open '%s': %s", ig.photos, strerror(errno));
		goto out;
	}
	if (!(d = opendir(ig.inbox))) {
		r = cp_err(CP_ERR_IO, "cannot read inbox '%s': %s", ig.inbox, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!is_candidate(ig.inbox, de->d_name))
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nnames++] = xstrdup(de->d_name);
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_names);

	ig.env.inbox = ig.inbox;
	ig.env.inbox_real = ig.inbox_real;
	ig.env.photos = ig.photos;
	ig.env.photos_fd = ig.photos_fd;
	if ((r = app_parse_init()) < 0 ||
	    (r = reader_pool_start(&ig.env, names, nnames, (int)threads, &ig.readers)) < 0)
		goto out;
	progress_start(&prog, "ingest files", (long long)nnames);
	for (size_t i = 0; i < nnames && r == 0; i++) {
		r = ingest_file(&ig, i);
		progress_update(&prog, (long long)i + 1);
	}
	progress_end(&prog);
	log_info("ingest",
		 "%ld file(s): %ld ingested, %ld seen before, %ld quarantined; %lld "
		 "records, %lld rejected by ingest; %lld photos stored",
		 counts->files, counts->files_ingested, counts->files_known,
		 counts->files_quarantined, counts->records, counts->rejected, counts->photos);
out:
	reader_pool_free(ig.readers); /* first: the readers use names and photos_fd */
	if (d)
		closedir(d);
	if (ig.photos_fd >= 0)
		close(ig.photos_fd);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(ig.inbox);
	free(ig.inbox_real);
	free(ig.archive);
	free(ig.quarantine);
	free(ig.photos);
	free(spool);
	return r;
}
