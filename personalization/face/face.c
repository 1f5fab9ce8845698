/*
 * face.c - one card's faces, end to end: photo, composition, panel split, PNG encoding,
 * crash-safe files, and the manifest written last (its presence with matching file sizes
 * is what "this card's outputs are complete" means to a resumed run). A side that is the
 * same on every card is encoded once per renderer and its files hard-linked to the first
 * copy (FACE_SYNC_BATCH). Per personal side one full-colour image is compressed (the
 * preview); the YMC panel file is a patch over it (docs/panel-format.md).
 */
#include "personalization/face/face.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/face/panels.h"
#include "personalization/face/photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <unistd.h>

#define MANIFEST "faces.txt"
#define NFILES 4		  /* per side: preview, ymc, k, o */
#define LINK_KEEP_MAX (64u << 10) /* a personal side's file kept to compare the next with */

static const char *const suffix[NFILES] = {"", "-ymc", "-k", "-o"};

struct face_renderer {
	struct composer *comp;
	struct png_opts png;
	const struct layout *lo;
	/* encoded files of sides without personal data; of a personal side, the last copy
	 * written (when small: LINK_KEEP_MAX) */
	struct buf cached[SIDE_COUNT][NFILES];
	int have_cached[SIDE_COUNT];
	char *link_src[SIDE_COUNT][NFILES]; /* last file written with cached[][]'s bytes */
	unsigned long cached_crc[SIDE_COUNT][NFILES];
	int cached_crc_ok[SIDE_COUNT][NFILES];
	struct side_image si[SIDE_COUNT];
	/* a personal side as a card with no data draws it, the reference of its files (its
	 * preview's rows, its panels), and the rows they share, kept: preview, ymc, k, o */
	int blank_state[SIDE_COUNT]; /* 0 not drawn yet, 1 drawn, -1 cannot be drawn */
	unsigned char *blank_preview[SIDE_COUNT];
	struct panel_set blank_panels[SIDE_COUNT];
	struct png_rowcache *rows[SIDE_COUNT][NFILES];
	struct buf own[NFILES]; /* a personal side's files, reused card after card */
	enum face_sync sync;
};

int
face_renderer_new(const struct layout *lo, const struct canvas_profile *prof, const char *card_font,
		  const struct png_opts *png, struct face_renderer **out)
{
	struct face_renderer *fr = xcalloc(1, sizeof(*fr));
	int r;

	*out = NULL;
	if ((r = composer_new(lo, prof, card_font, &fr->comp)) < 0) {
		free(fr);
		return r;
	}
	fr->png = *png;
	fr->png.scratch = png_scratch_new();
	fr->png.rows = NULL, fr->png.ref = NULL, fr->png.ref_stride = 0;
	fr->lo = lo;
	for (int s = 0; s < SIDE_COUNT; s++)
		for (int i = 0; i < NFILES; i++)
			buf_init(&fr->cached[s][i], BUF_UNLIMITED);
	for (int i = 0; i < NFILES; i++)
		buf_init(&fr->own[i], BUF_UNLIMITED);
	*out = fr;
	return 0;
}

void
face_renderer_free(struct face_renderer *fr)
{
	if (!fr)
		return;
	composer_free(fr->comp);
	for (int s = 0; s < SIDE_COUNT; s++) {
		for (int i = 0; i < NFILES; i++) {
			buf_release(&fr->cached[s][i]);
			free(fr->link_src[s][i]);
		}
		side_image_release(&fr->si[s]);
		for (int i = 0; i < NFILES; i++)
			png_rowcache_free(fr->rows[s][i]);
		free(fr->blank_preview[s]);
		panel_set_release(&fr->blank_panels[s]);
	}
	for (int i = 0; i < NFILES; i++)
		buf_release(&fr->own[i]);
	png_scratch_free(fr->png.scratch);
	free(fr);
}

struct composer *
face_renderer_composer(struct face_renderer *fr)
{
	return fr->comp;
}

int
face_format_date(const char *iso, char *out, size_t outsz)
{
	int y, m, d;

	if (!iso || cp_parse_date(iso, &y, &m, &d) < 0)
		return cp_err(CP_ERR_FORMAT, "issue date '%s' is not YYYY-MM-DD", iso ? iso : "");
	snprintf(out, outsz, "%d年%d月%d日", y, m, d);
	return 0;
}

void
face_format_pan(const char *pan, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; pan[i] && o + 2 < outsz; i++) {
		if (i && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = pan[i];
	}
	out[o] = '\0';
}

static int
compose_one(struct face_renderer *fr, int s, const struct face_card *card,
	    const struct rgb_image *photo, struct side_image *out)
{
	return composer_side(fr->comp, (enum layout_side_id)s, &card->fields, photo, out);
}

int
face_compose(struct face_renderer *fr, const struct face_card *card, const struct rgb_image *photo,
	     struct side_image out[SIDE_COUNT])
{
	int r;

	for (int s = 0; s < SIDE_COUNT; s++)
		if ((r = compose_one(fr, s, card, photo, &out[s])) < 0)
			return r;
	return 0;
}

static void
preview_row(void *ctx, int y, unsigned char *buf)
{
	composer_preview_row(ctx, y, buf);
}

/* Side s drawn for a card with no data (once), kept as its preview and its panels: the
 * reference of a personal side's files. 1 if there is one; 0 if the layout cannot draw a
 * card with no data (that side's files are then compressed whole), said once. */
static int
blank_side(struct face_renderer *fr, int s)
{
	struct side_image b = {0};
	size_t row;
	int r;

	if (fr->blank_state[s])
		return fr->blank_state[s] > 0;
	r = composer_side(fr->comp, (enum layout_side_id)s, &(struct face_fields){{0}}, NULL, &b);
	if (r == CP_ERR_INVALID || r == CP_ERR_FORMAT) {
		log_warn("render",
			 "the %s side cannot be drawn with no card's data (%s): its files "
			 "are compressed whole",
			 layout_side_name((enum layout_side_id)s), cp_errmsg());
		cp_err_clear();
		side_image_release(&b);
		fr->blank_state[s] = -1;
		return 0;
	}
	if (r < 0) {
		side_image_release(&b);
		return r;
	}
	row = (size_t)b.color.w * 3;
	fr->blank_preview[s] = xmalloc(row * (size_t)b.color.h + 1);
	for (int y = 0; y < b.color.h; y++)
		composer_preview_row(&b, y, fr->blank_preview[s] + row * (size_t)y);
	panels_from_side(&b, fr->png.dpi, &fr->blank_panels[s]);
	side_image_release(&b);
	for (int i = 0; i < NFILES; i++)
		fr->rows[s][i] = png_rowcache_new();
	fr->blank_state[s] = 1;
	return 1;
}

/*
 * Encode one side's four files into bufs. The preview is the one full-colour image; the
 * YMC panel file is a patch over it (panels_encode_side), since outside the K text and
 * the chip window the preview *is* the colour image: a second full deflate of the same
 * pixels would double the cost of a card for no information.
 */
static int
encode_side(struct face_renderer *fr, int s, struct side_image *si, struct buf bufs[NFILES],
	    unsigned long *preview_crc)
{
	struct png_opts po = fr->png;
	struct png_rowcache *const *rows = NULL;
	const struct panel_set *blank_ps = NULL;
	char base[32];
	int r;

	/* a personal side's files are mostly the same as a card's with no data: those rows
	 * are compressed once */
	if (fr->lo->side[s].personal && fr->png.filter == 0) {
		if ((r = blank_side(fr, s)) < 0)
			return r;
		if (r == 1 && fr->blank_panels[s].lines == si->color.w &&
		    fr->blank_panels[s].dots == si->color.h) {
			po.rows = fr->rows[s][0];
			po.ref = fr->blank_preview[s];
			po.ref_stride = (size_t)si->color.w * 3;
			blank_ps = &fr->blank_panels[s];
			rows = &fr->rows[s][1];
		}
	}
	if ((r = png_encode_rgb_rows(si->color.w, si->color.h, preview_row, si, &po, &bufs[0])) < 0)
		return r;
	snprintf(base, sizeof(base), "%s.png", layout_side_name((enum layout_side_id)s));
	*preview_crc = libdeflate_crc32(0, bufs[0].data, bufs[0].len);
	return panels_encode_side(si, base, *preview_crc, &fr->png, blank_ps, rows, &bufs[1]);
}

/*
 * FACE_SYNC_EACH: every file fsynced as it is renamed (fs_write_atomic). FACE_SYNC_BATCH:
 * temp name, write, close, rename, no fsync: the caller runs fs_sync_fs() once for
 * many cards before it records them as rendered. At ~3 ms per fsync and 9 files per card,
 * per-file fsyncs alone would cap render far below 150 cards/s; the manifest's CRC-32s
 * catch any file a crash left torn before the batch sync, and such a card is redone.
 */
/* The manifest's first lines: what drew these files (a change of any redraws the card). */
static void
manifest_head(struct face_renderer *fr, const char *card_no, struct buf *b)
{
	const struct canvas_profile *p = composer_profile(fr->comp);

	buf_appendf(b, "cardpipe-faces 1\ncard %s\nprofile %s %d %d %d\nlayout %08lx\n", card_no,
		    p->name, p->w, p->h, fr->png.dpi, fr->lo->crc);
}

static int
write_file(struct face_renderer *fr, const char *dir, const char *name, const struct buf *b)
{
	char *path = fs_join(dir, name);
	const void *data = b->data ? (const void *)b->data : "";
	int r;

	if (fr->sync == FACE_SYNC_EACH)
		r = fs_write_atomic(path, data, b->len, 0600);
	else
		r = fs_write_atomic_nosync(path, data, b->len, 0600);
	free(path);
	return r;
}

/*
 * A file of a side that is the same on every card, as a hard link to the copy written
 * for an earlier card of this run: no inode, no data written. Only with FACE_SYNC_BATCH
 * (the batch sync makes the links durable before the cards are recorded); a copy torn by
 * a crash fails the manifest CRC of every card linked to it, and each is redrawn. Files
 * are only ever replaced by rename, never rewritten in place, so a shared inode stays
 * as written. 0 = linked, 1 = not possible (write a copy instead).
 */
static int
link_file(const char *src, const char *dir, const char *name)
{
	char *path = fs_join(dir, name), *tmp = NULL;
	int ok = 0;

	if (link(src, path) == 0)
		ok = 1;
	else if (errno == EEXIST) {
		/* redrawn: replace atomically, under a temp name face_clean_stale knows */
		tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
		(void)unlink(tmp);
		if (link(src, tmp) == 0) {
			if (rename(tmp, path) == 0)
				ok = 1;
			else
				(void)unlink(tmp);
		}
	}
	free(tmp);
	free(path);
	return ok ? 0 : 1;
}

/*
 * One file of a card: linked to the copy written for an earlier card of this run when its
 * bytes are that copy's (link_file(), FACE_SYNC_BATCH only), else written. A side the same
 * on every card is always the same bytes; a personal side's file is compared with the last
 * one this renderer wrote (on the shipped layout the back's overlay panel, the same on
 * every card: one inode per worker and run instead of one per card). Copies larger than
 * LINK_KEEP_MAX are not kept: such files differ from card to card.
 */
static int
put_file(struct face_renderer *fr, int s, int i, const char *outdir, const char *name,
	 const struct buf *b)
{
	int personal = fr->lo->side[s].personal;
	struct buf *last = &fr->cached[s][i];
	int r;

	if (fr->sync == FACE_SYNC_BATCH && fr->link_src[s][i] &&
	    (!personal ||
	     (last->len == b->len && (b->len == 0 || memcmp(last->data, b->data, b->len) == 0))) &&
	    link_file(fr->link_src[s][i], outdir, name) == 0)
		return 0;
	if ((r = write_file(fr, outdir, name, b)) < 0)
		return r;
	free(fr->link_src[s][i]);
	fr->link_src[s][i] = NULL;
	if (personal) {
		if (fr->sync != FACE_SYNC_BATCH || b->len > LINK_KEEP_MAX)
			return 0;
		buf_reset(last);
		if (b->len && (r = buf_append(last, b->data, b->len)) < 0)
			return r;
	}
	fr->link_src[s][i] = fs_join(outdir, name);
	return 0;
}

void
face_renderer_rows_kept(const struct face_renderer *fr, int s, int i, unsigned long *images,
			unsigned long *rows)
{
	*images = *rows = 0;
	if (fr->rows[s][i])
		png_rowcache_counts(fr->rows[s][i], images, rows);
}

void
face_renderer_set_sync(struct face_renderer *fr, enum face_sync sync)
{
	fr->sync = sync;
}

int
face_render_card(struct face_renderer *fr, const struct face_card *card, const char *outdir,
		 char **reason)
{
	struct rgb_image photo = {0};
	struct buf *own = fr->own, manifest = BUF_INIT(BUF_UNLIMITED);
	unsigned char *jpeg = NULL;
	size_t jlen = 0;
	int r, bw, bh;

	*reason = NULL;
	if (composer_photo_box(fr->comp, &bw, &bh)) {
		if (!card->photo && !card->photo_path) {
			*reason = xstrdup("no photo on record");
			r = 1;
			goto out;
		}
		if ((!card->photo &&
		     (r = fs_read_file(card->photo_path, FACE_PHOTO_MAX, &jpeg, &jlen)) < 0) ||
		    (r = photo_decode_for_box(card->photo ? card->photo : jpeg,
					      card->photo ? card->photo_len : jlen, bw, bh,
					      &photo)) < 0) {
			if (r == CP_ERR_IO || r == CP_ERR_NOMEM)
				goto out;
			*reason = xasprintf("photo: %s", cp_errmsg());
			r = 1;
			goto out;
		}
	}
	/* a side the same on every card is composed once, when its files are first encoded */
	r = 0;
	for (int s = 0; s < SIDE_COUNT && r == 0; s++)
		if (fr->lo->side[s].personal || !fr->have_cached[s])
			r = compose_one(fr, s, card, photo.px ? &photo : NULL, &fr->si[s]);
	if (r < 0) {
		if (r != CP_ERR_INVALID && r != CP_ERR_FORMAT)
			goto out;
		*reason = xstrdup(cp_errmsg());
		r = 1;
		goto out;
	}
	if ((r = fs_mkdirs(outdir, 0700)) < 0)
		goto out;
	manifest_head(fr, card->card_no, &manifest);
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct buf *bufs = own;
		unsigned long preview_crc = 0;

		if (!fr->lo->side[s].personal) {
			bufs = fr->cached[s];
			if (!fr->have_cached[s]) {
				if ((r = encode_side(fr, s, &fr->si[s], bufs, &preview_crc)) < 0)
					goto out;
				fr->have_cached[s] = 1;
			}
		} else {
			for (int i = 0; i < NFILES; i++)
				buf_reset(&own[i]);
			if ((r = encode_side(fr, s, &fr->si[s], own, &preview_crc)) < 0)
				goto out;
		}
		for (int i = 0; i < NFILES; i++) {
			char name[32];
			int shared = !fr->lo->side[s].personal;

			snprintf(name, sizeof(name), "%s%s.png",
				 layout_side_name((enum layout_side_id)s), suffix[i]);
			if ((r = put_file(fr, s, i, outdir, name, &bufs[i])) < 0)
				goto out;
			if (shared && !fr->cached_crc_ok[s][i]) {
				fr->cached_crc[s][i] =
					libdeflate_crc32(0, bufs[i].data, bufs[i].len);
				fr->cached_crc_ok[s][i] = 1;
			}
			buf_appendf(&manifest, "file %s %zu %08lx\n", name, bufs[i].len,
				    shared   ? fr->cached_crc[s][i]
				    : i == 0 ? preview_crc /* computed for the YMC patch's note */
					     : libdeflate_crc32(0, bufs[i].data, bufs[i].len));
		}
	}
	/* last: its presence says the card is complete */
	r = write_file(fr, outdir, MANIFEST, &manifest);
out:
	free(jpeg);
	rgb_release(&photo);
	buf_release(&manifest);
	return r;
}

static int
outputs_check(const char *outdir, const char *head)
{
	char *path = fs_join(outdir, MANIFEST);
	unsigned char *data = NULL;
	size_t len = 0;
	int ok = 0, files = 0;

	if (fs_read_file(path, 1 << 16, &data, &len) < 0) {
		cp_err_clear();
		goto out;
	}
	if (strncmp((char *)data, "cardpipe-faces 1\n", 17) != 0 ||
	    (head && strncmp((char *)data, head, strlen(head)) != 0))
		goto out;
	ok = 1;
	for (char *save = NULL, *line = strtok_r((char *)data, "\n", &save); line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		size_t size, flen = 0;
		unsigned long crc;
		unsigned char *fdata = NULL;

		if (strncmp(line, "file ", 5) != 0)
			continue;
		if (sscanf(line, "file %63s %zu %lx", name, &size, &crc) != 3 ||
		    strchr(name, '/')) {
			ok = 0;
			break;
		}
		char *fp = fs_join(outdir, name);

		/* size and CRC-32: a file torn by a crash before the batch sync fails here */
		ok = fs_read_file(fp, size + 1, &fdata, &flen) == 0 && flen == size &&
		     libdeflate_crc32(0, fdata, flen) == crc;
		cp_err_clear();
		free(fdata);
		free(fp);
		files++;
	}
	if (files != SIDE_COUNT * NFILES)
		ok = 0;
out:
	free(data);
	free(path);
	return ok;
}

int
face_clean_stale(const char *outdir)
{
	DIR *d = opendir(outdir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		/* fs_atomic temp names end in ".tmp.<pid>" */
		const char *t = strstr(e->d_name, ".tmp.");
		char *end;
		long pid;

		if (!t)
			continue;
		pid = strtol(t + 5, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue; /* not a temp name, or its writer may still be running */
		char *p = fs_join(outdir, e->d_name);

		if (unlink(p) == 0)
			n++;
		free(p);
	}
	closedir(d);
	return n;
}

int
face_outputs_current(struct face_renderer *fr, const char *card_no, const char *outdir)
{
	struct buf head = BUF_INIT(BUF_UNLIMITED);
	int ok;

	manifest_head(fr, card_no, &head);
	ok = outputs_check(outdir, buf_str(&head));
	buf_release(&head);
	return ok;
}
