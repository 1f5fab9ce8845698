/*
 * ingest.c - the ingest stage (docs/ingest.md).
 *
 * For each file in the inbox: SHA-256 of its raw bytes; a known hash changes nothing (the
 * file is only moved out of the inbox again); otherwise the file is recorded 'ingesting',
 * its records stream into the registry in batches (photos appended once each to a pack
 * under spool/photos/packs/, photo_store.h), and it ends 'ingested' and moves to
 * archive/<sha256>, or, if the file itself is bad, 'quarantined' with no rows and moves to
 * quarantine/ with a report beside it. A crash leaves at worst a file 'ingesting', which the
 * next run redoes from scratch.
 *
 * Reading (hash, parse, photos) runs ahead on reader threads (ingest_read.c); this file
 * takes their files and records in order and is the only one that touches the registry.
 */
#include "pipeline/stages/ingest.h"

#include "core/clock.h"
#include "core/escape.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "formats/app_parse.h"
#include "personalization/crypto/hash.h"
#include "pipeline/registry/reg_ingest.h"
#include "pipeline/rules/reasons.h"
#include "pipeline/stages/fname.h"
#include "pipeline/stages/ingest_arrival.h"
#include "pipeline/stages/ingest_read.h"

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
/* A quarantined file's name leaves room in NAME_MAX for ".N" (a name taken),
 * ".report.txt" and the ".tmp.<pid>" of the report's atomic write. */
#define QUARANTINE_NAME_MAX (NAME_MAX - 7 - 11 - 12)

struct ingest {
	struct config *cfg;
	struct registry *reg;
	char *inbox, *inbox_real, *archive, *quarantine, *photos;
	struct ingest_env env; /* what the readers see */
	struct reader_pool *readers;
	struct ingest_counts *counts;
	struct arrival *arrival; /* NULL: files cardpipe wrote itself, complete */
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

	if (fr->photos_dirty && (r = reader_pool_sync_photos(fr->ig->readers)) < 0)
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

/* quarantine/<name>, or <stem>.N<ext> if taken ("a.xml.gz" -> "a.1.xml.gz"); a name that
 * is too long or unsafe as it is becomes one that fits (fname.h). */
static char *
unique_quarantine(struct ingest *ig, const char *orig)
{
	char *name = fname_fit(orig, QUARANTINE_NAME_MAX);
	const char *dot = strchr(name + 1, '.');
	char *path = fs_join(ig->quarantine, name);

	for (int n = 1; fs_exists(path) && n < 100000; n++) {
		char *alt = dot ? xasprintf("%.*s.%d%s", (int)(dot - name), name, n, dot)
				: xasprintf("%s.%d", name, n);

		free(path);
		path = fs_join(ig->quarantine, alt);
		free(alt);
	}
	free(name);
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

/* ---- photos named by path: they follow their file to the archive ---- */

/* archive/.photos-pending/<sha>.list: the photos of a file being ingested, written before
 * the file is marked ingested, so that a run killed at any point leaves the list behind
 * and the next run's end finishes the move. */
static char *
pending_list(struct ingest *ig, const char *sha)
{
	return xasprintf("%s/.photos-pending/%s.list", ig->archive, sha);
}

static int
write_pending_list(struct ingest *ig, const char *sha, const struct buf *refs)
{
	char *path = pending_list(ig, sha), *dir = fs_join(ig->archive, ".photos-pending");
	int r;

	if ((r = fs_mkdirs(dir, 0700)) == 0)
		r = fs_write_atomic(path, refs->data, refs->len, 0600);
	free(dir);
	free(path);
	return r;
}

/* The folders one pending list's moves touched: each made once, and synced once after all
 * its renames, instead of a mkdir per path part and two directory fsyncs per photo. */
struct dir_set {
	char **v;
	size_t n, cap;
};

/* 1 if dir was added now, 0 if it was there. */
static int
dir_set_add(struct dir_set *s, const char *dir)
{
	for (size_t i = s->n; i-- > 0;) /* the latest first: photos come folder by folder */
		if (!strcmp(s->v[i], dir))
			return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(dir);
	return 1;
}

static void
dir_set_release(struct dir_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Make every rename into or out of the folders of s durable. */
static int
dir_set_sync(const struct dir_set *s)
{
	int r = 0;

	for (size_t i = 0; i < s->n; i++) {
		int fd = open(s->v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if ((fd < 0 || fsync(fd) < 0) && r == 0)
			r = cp_err(CP_ERR_IO, "cannot sync directory '%s': %s", s->v[i],
				   strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return r;
}

/* Move one photo inbox/<rel> to archive/<sha>.photos/<rel>; one already moved is fine. The
 * folders it made or renamed in are noted in made and touched, for dir_set_sync(). */
static int
move_photo(struct ingest *ig, const char *sha, const char *rel, struct dir_set *made,
	   struct dir_set *touched)
{
	char *from = fs_join(ig->inbox, rel),
	     *to = xasprintf("%s/%s.photos/%s", ig->archive, sha, rel);
	char *dir = xstrdup(to), *slash = strrchr(dir, '/');
	char *fdir = xstrdup(from), *fslash = strrchr(fdir, '/');
	struct stat st;
	int r = 0;

	/* the list is ours, but a path that could leave the archive is never followed */
	if (rel[0] == '/' || strstr(rel, "..")) {
		r = cp_err(CP_ERR_INVALID,
			   "photo path '%s' in the pending list is not inbox-relative", rel);
		goto out;
	}
	if (lstat(from, &st) < 0) {
		if (errno != ENOENT)
			r = cp_err(CP_ERR_IO, "cannot read '%s': %s", from, strerror(errno));
		goto out; /* moved before (a run killed after the move) */
	}
	*slash = '\0';
	*fslash = '\0';
	/* a folder made earlier in this list is there still; its parents are made and
	 * synced with it (fs_mkdirs() the first time) */
	if (dir_set_add(made, dir) && (r = fs_mkdirs(dir, 0700)) < 0)
		goto out;
	if (rename(from, to) < 0) {
		r = cp_err(CP_ERR_IO, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
		goto out;
	}
	dir_set_add(touched, dir);
	dir_set_add(touched, fdir);
out:
	free(fdir);
	free(dir);
	free(to);
	free(from);
	return r;
}

/* The parents of archive/<sha>.photos/<sub>/ made for the list: synced too, so that the
 * new folders themselves are durable (those are all below the archive). */
static void
add_made_parents(struct ingest *ig, const struct dir_set *made, struct dir_set *touched)
{
	size_t al = strlen(ig->archive);

	for (size_t i = 0; i < made->n; i++) {
		char *d = xstrdup(made->v[i]), *slash;

		while ((slash = strrchr(d, '/')) && (size_t)(slash - d) >= al) {
			*slash = '\0';
			dir_set_add(touched, d);
		}
		free(d);
	}
}

/* The photos of one pending list; the list goes once all of them are in the archive and
 * their moves are durable. */
static int
move_listed_photos(struct ingest *ig, const char *list, const char *sha, long long *moved)
{
	struct dir_set made = {0}, touched = {0};
	unsigned char *data = NULL;
	size_t len = 0;
	char *save = NULL;
	int r, failed = 0;

	if ((r = fs_read_file(list, 64u << 20, &data, &len)) < 0)
		return r;
	for (char *l = strtok_r((char *)data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if ((r = move_photo(ig, sha, l, &made, &touched)) < 0) {
			log_warn("ingest", "photo '%s' of archived file %s stays in the inbox: %s",
				 l, sha, cp_errmsg());
			failed = 1;
		} else {
			(*moved)++;
		}
	}
	free(data);
	add_made_parents(ig, &made, &touched);
	r = dir_set_sync(&touched);
	dir_set_release(&made);
	dir_set_release(&touched);
	if (r < 0)
		return r;
	if (failed)
		return 0; /* the list stays: the next run tries again */
	if (unlink(list) < 0 && errno != ENOENT)
		return cp_err(CP_ERR_IO, "cannot remove '%s': %s", list, strerror(errno));
	return fs_sync_dir_of(list);
}

/* At the end of a run, when every file of the run has read its photos: move the photos of
 * the files now ingested. A list whose file is still 'ingesting' (a killed run) waits; one
 * whose file was quarantined after all is dropped, its photos stay in the inbox. */
static int
move_archived_photos(struct ingest *ig)
{
	char *dir = fs_join(ig->archive, ".photos-pending");
	struct dirent **ents = NULL;
	long long moved = 0;
	int n = scandir(dir, &ents, NULL, alphasort), r = 0;

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		struct reg_input_file f = {0};
		char *sha, *list;

		if (len != 64 + 5 || strcmp(name + 64, ".list") != 0)
			continue;
		sha = xstrndup(name, 64);
		list = fs_join(dir, name);
		r = reg_ingest_find_file(ig->reg, sha, &f);
		if (r == 0 && !strcmp(f.status, "ingested"))
			r = move_listed_photos(ig, list, sha, &moved);
		else if (r == 0 && !strcmp(f.status, "ingesting"))
			r = 0;
		else if (r == 0 || r == CP_ERR_NOTFOUND)
			r = unlink(list) < 0 && errno != ENOENT
				    ? cp_err(CP_ERR_IO, "cannot remove '%s': %s", list,
					     strerror(errno))
				    : 0;
		reg_input_file_release(&f);
		free(list);
		free(sha);
		if (r < 0)
			break;
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(dir);
	if (moved)
		log_info("ingest", "%lld photo(s) moved to the archive with their files", moved);
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
	    (r = move_file(path, to)) == 0) {
		*where = xasprintf("quarantine/%s", strrchr(to, '/') + 1);
		/* the report is now newer than the file's last change: a file written to after
		 * this (a writer that still had it open) is found by retake_quarantined() */
		utimensat(AT_FDCWD, rep, NULL, 0);
	}
	free(rep);
	free(to);
	return r;
}

static char *
make_report(const char *name, const char *sha, const char *format, const struct parse_fail *f)
{
	const struct reason *why = reason_find(f->code);
	char ts[32], *raw = xstrdup(f->detail), *detail, *file, *text;

	/* one line each: a name or a detail (which may echo the file's bytes) cannot add
	 * lines of its own to the report */
	scrub(raw);
	detail = esc_line_dup(raw);
	file = esc_line_dup(name);
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
		file, sha, format, ts, f->code, why ? why->en : "", why ? why->zh : "", f->line,
		detail);
	free(raw);
	free(detail);
	free(file);
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

/* The file's done marker, if its channel left one, goes with the file. */
static void
drop_marker(struct ingest *ig, const char *name)
{
	char *marker = xasprintf("%s/%s%s", ig->inbox, name, DONE_SUFFIX);

	if (unlink(marker) < 0 && errno != ENOENT)
		log_warn("ingest", "cannot remove the done marker '%s': %s", marker,
			 strerror(errno));
	free(marker);
}

/* The file changed while it was read (a writer came back, or it was replaced): nothing of
 * it is kept, and it stays in the inbox for the next run to read whole. */
static int
abandon_file(struct ingest *ig, struct file_run *fr, const char *photo)
{
	int r;

	if (fr->in_batch)
		registry_rollback(ig->reg);
	fr->in_batch = 0;
	if ((r = registry_begin(ig->reg)) < 0)
		return r;
	if ((r = reg_ingest_file_abandon(ig->reg, fr->file_id,
					 "changed while it was read; left in the inbox")) < 0 ||
	    (r = registry_commit(ig->reg)) < 0) {
		registry_rollback(ig->reg);
		return r;
	}
	if (photo)
		log_info("ingest",
			 "file '%s': its photo '%s' is still arriving: nothing of the file kept; "
			 "left in the inbox for the next run",
			 fr->name, photo);
	else
		log_warn("ingest",
			 "file '%s': changed while it was read (still being written?): nothing "
			 "of it kept; left in the inbox for the next run",
			 fr->name);
	ig->counts->files--;
	ig->counts->files_waiting++;
	return 0;
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
		/* this file's trouble (permissions, a bad sector) must not stop the others */
		log_error("ingest", "file '%s': cannot be read: %s; left in the inbox", name,
			  rf->err ? rf->err : "read failed");
		ig->counts->files_unreadable++;
		r = 0;
		goto out;
	}
	ig->counts->files++;
	r = reg_ingest_find_file(ig->reg, sha, &known);
	if (r == 0 && strcmp(known.status, "ingesting") != 0 &&
	    reader_file_changed_since_hash(rf, path)) {
		/* the hash is of what the file was: its channel may have written new content
		 * under the same name since, which must not be archived or quarantined unread */
		log_warn("ingest",
			 "file '%s': changed since its hash was taken (it matched a known file); "
			 "left in the inbox for the next run",
			 name);
		ig->counts->files--;
		ig->counts->files_waiting++;
		r = 0;
		goto out;
	}
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
		if (r == 0)
			drop_marker(ig, name);
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
		if ((r = quarantine_new(ig, &fr, path, sha, APP_FORMAT_UNKNOWN, &f)) == 0)
			drop_marker(ig, name);
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
	/* the reader is at the end of the file: its verdict on the file is final, unless the
	 * file changed under it */
	/* and once more now that its records are in: a writer may have come back since */
	if (rf->photo_arriving || rf->changed || reader_file_changed(rf, path)) {
		r = abandon_file(ig, &fr, rf->photo_arriving);
		goto out;
	}
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
		if ((r = quarantine_new(ig, &fr, path, sha, rf->fmt, &rf->fail)) == 0)
			drop_marker(ig, name);
		goto out;
	}
	if (!fr.in_batch && (r = registry_begin(ig->reg)) < 0)
		goto out;
	fr.in_batch = 1;
	arch = xasprintf("archive/%s", sha);
	if (rf->photo_refs.len && (r = write_pending_list(ig, sha, &rf->photo_refs)) < 0) {
		registry_rollback(ig->reg);
		goto out;
	}
	if ((r = reg_ingest_file_done(ig->reg, fr.file_id, app_format_name(rf->fmt),
				      fr.channel ? fr.channel : "unknown", fr.records, arch)) < 0 ||
	    (r = batch_commit(&fr)) < 0) {
		registry_rollback(ig->reg);
		goto out;
	}
	if ((r = archive_file(ig, path, sha)) < 0)
		goto out;
	drop_marker(ig, name);
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

/* Application files only: photos, partial uploads under the temporary names of upload
 * clients (rsync's ".NAME.XXXXXX", WinSCP's ".filepart", curl's and lftp's ".part"), done
 * markers, hidden files and folders stay. */
static int
is_candidate(const char *inbox, const char *name)
{
	static const char *const skip_ext[] = {
		".jpg",	    ".jpeg",	 ".JPG",	".JPEG",     ".tmp",	   ".part",
		".partial", ".filepart", ".crdownload", DONE_SUFFIX, ".report.txt"};
	size_t n = strlen(name);
	struct stat st;
	char *path;
	int ok, got;

	if (name[0] == '.')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(skip_ext); i++) {
		size_t e = strlen(skip_ext[i]);

		if (n > e && !strcmp(name + n - e, skip_ext[i]))
			return 0;
	}
	path = fs_join(inbox, name);
	got = lstat(path, &st) == 0;
	ok = got && S_ISREG(st.st_mode);
	if (got && S_ISLNK(st.st_mode))
		log_warn("ingest", "'%s' in the inbox is a symbolic link: not read", name);
	free(path);
	return ok;
}

/* ---- quarantined files completed later ---- */

/* quarantine/<q> changed since it was quarantined (its report was stamped after the move)
 * and is no file the registry knows: a writer that still had it open finished it there.
 * Back into the inbox under its original name, to be read whole with the rest. */
static int
retake_one(struct ingest *ig, const char *q)
{
	char *path = fs_join(ig->quarantine, q), *rep = xasprintf("%s.report.txt", path);
	char *where = xasprintf("quarantine/%s", q), *to = NULL, sha[65];
	struct reg_input_file f = {0}, known = {0};
	struct stat st, rst;
	off_t size;
	int r = 0;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || lstat(rep, &rst) < 0 ||
	    (st.st_ctim.tv_sec < rst.st_mtim.tv_sec || (st.st_ctim.tv_sec == rst.st_mtim.tv_sec &&
							st.st_ctim.tv_nsec <= rst.st_mtim.tv_nsec)))
		goto out; /* unchanged since its report */
	if (arrival_open_for_write(ig->arrival, path) > 0)
		goto out; /* still being written there: next run */
	if (reg_ingest_find_quarantined(ig->reg, where, &f) < 0)
		goto out; /* not one ingest put there */
	if ((r = cp_sha256_file_hex(path, sha, &size)) < 0) {
		r = 0; /* gone meanwhile, or unreadable: left as it is */
		goto out;
	}
	if (reg_ingest_find_file(ig->reg, sha, &known) == 0) {
		/* the same bytes as before (its times were touched): no need to look again */
		utimensat(AT_FDCWD, rep, NULL, 0);
		goto out;
	}
	to = fs_join(ig->inbox, f.name);
	if (fs_exists(to)) {
		log_warn("ingest",
			 "file '%s': changed since it was quarantined (%s), but the inbox holds a "
			 "file of that name: left in quarantine for now",
			 f.name, where);
		goto out;
	}
	if ((r = move_file(path, to)) < 0)
		goto out;
	unlink(rep);
	if ((r = registry_begin(ig->reg)) < 0 ||
	    (r = reg_ingest_file_moved(ig->reg, f.id, "taken back into the inbox")) < 0 ||
	    (r = registry_commit(ig->reg)) < 0) {
		registry_rollback(ig->reg);
		goto out;
	}
	log_warn("ingest",
		 "file '%s': changed since it was quarantined (%s): taken back into the inbox "
		 "and read again",
		 f.name, where);
out:
	reg_input_file_release(&f);
	reg_input_file_release(&known);
	free(to);
	free(where);
	free(rep);
	free(path);
	return r;
}

static int
retake_quarantined(struct ingest *ig)
{
	static const char rs[] = ".report.txt";
	struct dirent *de;
	DIR *d = opendir(ig->quarantine);
	int r = 0;

	if (!d)
		return cp_err(CP_ERR_IO, "cannot read '%s': %s", ig->quarantine, strerror(errno));
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    (n > sizeof(rs) - 1 && !strcmp(de->d_name + n - (sizeof(rs) - 1), rs)))
			continue;
		r = retake_one(ig, de->d_name);
	}
	closedir(d);
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*names = xrealloc(*names, *cap * sizeof(**names));
	}
	(*names)[(*n)++] = xstrdup(name);
}

static void
sleep_ms(long long ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Files complete but for the settle time are waited for in this run (at most
 * ingest.settle_seconds, once for all), then looked at again: unchanged, they are read now;
 * changed meanwhile, they are left for the next run. */
static void
settle_wait(struct ingest *ig, char **settling, size_t nsettling, char ***names, size_t *n,
	    size_t *cap)
{
	long long ms = arrival_wait_ms(ig->arrival) + 20; /* and the clock's granularity */
	char why_buf[160];
	const char *why;

	log_info("ingest",
		 "%zu file(s) changed less than ingest.settle_seconds ago: waiting %lld.%03lld s "
		 "for them to settle",
		 nsettling, ms / 1000, ms % 1000);
	sleep_ms(ms);
	arrival_again(ig->arrival);
	for (size_t i = 0; i < nsettling; i++) {
		if (arrival_ready(ig->arrival, settling[i], why_buf, sizeof(why_buf), &why) ==
		    ARRIVAL_READY) {
			add_name(names, n, cap, settling[i]);
		} else {
			log_info("ingest", "file '%s': %s; left in the inbox for the next run",
				 settling[i], why);
			ig->counts->files_waiting++;
		}
	}
}

/* The inbox's application files that have finished arriving, in name order. */
static int
list_inbox(struct ingest *ig, char ***out, size_t *nout)
{
	char **names = NULL, **settling = NULL, why_buf[160];
	size_t nnames = 0, cap = 0, nsettling = 0, scap = 0;
	struct dirent *de;
	const char *why;
	DIR *d;

	if (!(d = opendir(ig->inbox)))
		return cp_err(CP_ERR_IO, "cannot read inbox '%s': %s", ig->inbox, strerror(errno));
	while ((de = readdir(d))) {
		int st;

		if (!is_candidate(ig->inbox, de->d_name))
			continue;
		st = ig->arrival ? arrival_ready(ig->arrival, de->d_name, why_buf, sizeof(why_buf),
						 &why)
				 : ARRIVAL_READY;
		if (st == ARRIVAL_READY) {
			add_name(&names, &nnames, &cap, de->d_name);
		} else if (st == ARRIVAL_SETTLING) {
			add_name(&settling, &nsettling, &scap, de->d_name);
		} else {
			log_info("ingest", "file '%s': %s; left in the inbox for the next run",
				 de->d_name, why);
			ig->counts->files_waiting++;
		}
	}
	closedir(d);
	if (nsettling)
		settle_wait(ig, settling, nsettling, &names, &nnames, &cap);
	for (size_t i = 0; i < nsettling; i++)
		free(settling[i]);
	free(settling);
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_names);
	*out = names;
	*nout = nnames;
	return 0;
}

static int
ingest_run(struct config *cfg, const char *home, struct registry *reg, const char *inbox, int own,
	   struct ingest_counts *counts)
{
	struct ingest ig = {.cfg = cfg, .reg = reg, .counts = counts, .photos_fd = -1};
	struct progress prog;
	char **names = NULL, *spool = NULL;
	size_t nnames = 0;
	long long threads, settle;
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
	ig.env.check_arrival = !own;
	photo_limits_from_config(cfg, &ig.env.photo);
	threads = config_int(cfg, "ingest.threads");
	settle = config_int(cfg, "ingest.settle_seconds");
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus < 1 ? 1 : cpus > INGEST_MAX_READERS ? INGEST_MAX_READERS : cpus;
	}
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
	ig.env.settle_seconds = settle;
	if (!own)
		ig.arrival = arrival_new(ig.inbox, ig.inbox_real, settle,
					 config_bool(cfg, "ingest.require_done_marker"));
	if ((!own && (r = retake_quarantined(&ig)) < 0) ||
	    (r = list_inbox(&ig, &names, &nnames)) < 0)
		goto out;

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
	if (r == 0)
		r = move_archived_photos(&ig);
	log_info("ingest",
		 "%ld file(s): %ld ingested, %ld seen before, %ld quarantined; %lld "
		 "records, %lld rejected by ingest; %lld photos stored; left in the inbox: "
		 "%ld still arriving, %ld unreadable",
		 counts->files, counts->files_ingested, counts->files_known,
		 counts->files_quarantined, counts->records, counts->rejected, counts->photos,
		 counts->files_waiting, counts->files_unreadable);
out:
	reader_pool_free(ig.readers); /* first: the readers use names and photos_fd */
	arrival_free(ig.arrival);
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

int
stage_ingest_run(const struct stage_ctx *ctx, const struct ingest_opts *opts,
		 struct stage_result *res)
{
	struct ingest_counts own = {0}, *c = opts && opts->detail ? opts->detail : &own;
	int r = ingest_run(ctx->cfg, ctx->home, ctx->reg, opts ? opts->inbox : NULL,
			   opts && opts->own_files, c);

	memset(res, 0, sizeof(*res));
	res->read = c->records;
	res->done = c->records - c->rejected;
	res->rejected = c->rejected;
	snprintf(res->note, sizeof(res->note),
		 "%ld files (%ld new, %ld already known, %ld quarantined), %lld records; %ld "
		 "still arriving",
		 c->files, c->files_ingested, c->files_known, c->files_quarantined, c->records,
		 c->files_waiting);
	return r;
}

int
ingest_needs_attention(const struct config *cfg, const struct ingest_counts *c)
{
	return c->files_quarantined > 0 || c->files_unreadable > 0 ||
	       stage_over_threshold(cfg, c->records, c->rejected);
}
