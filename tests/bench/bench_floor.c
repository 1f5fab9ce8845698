/*
 * bench_floor.c - make bench's floor: the CPU that the essential work of ingest and prepare
 * costs in the libraries alone, measured on the benchmark's own data in the same run, so
 * that the distance of cardpipe's CPU per application to it shows in every run.
 *
 * Usage: bench-floor ARCHIVE MAX_APPS < list
 * where each line of the list is "SHA RECORDS" for an ingested file (archive/SHA, its
 * photos by reference under archive/SHA.photos/). Files are taken in order until MAX_APPS
 * records are covered. For each file: gzip inflate (zlib) when it is gzip, SHA-256 of its
 * bytes; for each photo (inline base64 in XML or CSV, or a file by reference): base64
 * decode (OpenSSL EVP_DecodeBlock, whitespace removed first), SHA-256, and the photo
 * check's libjpeg decode at 1/8 scale (photo_check(): every Huffman code decoded). Prints
 *   floor APPS TOTAL_US jpeg US inflate US sha256 US base64 US
 * with each figure in CPU microseconds per application, on one core.
 *
 * Usage: bench-floor --render FACES PHOTOS MAX_CARDS < list
 * render's floor, for lines "CARD_NO PHOTO_SHA [PHOTO_LOC]" of rendered cards (PHOTO_LOC:
 * the application's photo_loc, absent for a photo stored as a file): the photo's libjpeg
 * decode DCT-scaled for the layout's photo box (photo_decode_for_box(), as render does),
 * and the deflate (libdeflate, zlib format, at render.png_level) of the scan lines of
 * every PNG file the card has alone under FACES/CARD_NO (files of a side that is the same
 * on every card are hard links, encoded once per renderer: not per-card work). Prints
 *   floor-render CARDS TOTAL_US jpeg US deflate US
 * in CPU microseconds per card, on one core. CARDPIPE_HOME's configuration (layout,
 * printer.profile, card.font, render.png_level) is the one render used.
 */
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/crypto/hash.h"
#include "personalization/face/compose.h"
#include "personalization/face/photo.h"
#include "pipeline/rules/photo_check.h"
#include "pipeline/stages/photo_store.h"
#include "personalization/face/layout.h"
#include "pipeline/stages/render.h"

#include <dirent.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

enum { T_JPEG, T_INFLATE, T_SHA, T_B64, T_N };
static double spent[T_N];	/* CPU seconds */
static struct photo_limits lim; /* photo.* as configured (CARDPIPE_HOME's, else defaults) */

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
photo_work(const unsigned char *jpeg, size_t len)
{
	unsigned char md[32];
	struct photo_result res;
	double t = cpu_now(), u;

	cp_sha256(jpeg, len, md);
	u = cpu_now();
	spent[T_SHA] += u - t;
	photo_check(jpeg, len, &lim, &res);
	spent[T_JPEG] += cpu_now() - u;
}

/* Base64 text [s, e) with whitespace: decoded, then the photo's work. */
static void
b64_photo(const char *s, const char *e)
{
	size_t n = 0;
	char *flat = xmalloc((size_t)(e - s) + 1);
	unsigned char *out;
	double t;
	int k;

	for (const char *p = s; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			flat[n++] = *p;
	out = xmalloc(n / 4 * 3 + 3);
	t = cpu_now();
	k = EVP_DecodeBlock(out, (unsigned char *)flat, (int)n);
	spent[T_B64] += cpu_now() - t;
	if (k > 0) {
		k -= n >= 2 && flat[n - 1] == '=' ? (flat[n - 2] == '=' ? 2 : 1) : 0;
		photo_work(out, (size_t)k);
	}
	free(out);
	free(flat);
}

/* The inline photos of an application file's text. */
static void
inline_photos(const char *text, size_t len)
{
	const char *end = text + len, *p = text;
	static const char xml_open[] = "<Photo encoding=\"base64\">", csv_open[] = "base64:";

	while (p < end) {
		const char *x = memmem(p, (size_t)(end - p), xml_open, sizeof(xml_open) - 1);
		const char *c = memmem(p, (size_t)(end - p), csv_open, sizeof(csv_open) - 1);
		const char *s, *e;

		if (x && (!c || x < c)) {
			s = x + sizeof(xml_open) - 1;
			e = memmem(s, (size_t)(end - s), "</Photo>", 8);
		} else if (c) {
			s = c + sizeof(csv_open) - 1;
			e = s + strcspn(s, ",\r\n\"");
		} else {
			break;
		}
		if (!e)
			break;
		b64_photo(s, e);
		p = e;
	}
}

static unsigned char *
inflate_all(const unsigned char *in, size_t len, size_t *outlen)
{
	z_stream z = {0};
	size_t cap = len * 4 + 4096, n = 0;
	unsigned char *out;
	int rc = Z_OK;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return NULL;
	out = xmalloc(cap + 1);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	while (rc != Z_STREAM_END) {
		if (cap - n < 65536) {
			cap *= 2;
			out = xrealloc(out, cap + 1);
		}
		z.next_out = out + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (rc == Z_STREAM_END && z.avail_in > 0) /* another gzip member */
			rc = inflateReset(&z);
		else if (rc != Z_OK && rc != Z_STREAM_END)
			break;
	}
	inflateEnd(&z);
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Every regular file below dir: a photo by reference. */
static void
ref_photos(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *path;
		unsigned char *data;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		path = fs_join(dir, de->d_name);
		if (de->d_type == DT_DIR)
			ref_photos(path);
		else if (fs_read_file(path, 64u << 20, &data, &len) == 0) {
			photo_work(data, len);
			free(data);
		}
		free(path);
	}
	if (d)
		closedir(d);
}

static void
one_file(const char *archive, const char *sha)
{
	char *path = fs_join(archive, sha), *photos;
	unsigned char *raw, *text = NULL, md[32];
	size_t len, tlen;
	double t;

	if (fs_read_file(path, 1u << 30, &raw, &len) < 0) {
		free(path);
		return;
	}
	t = cpu_now();
	cp_sha256(raw, len, md);
	spent[T_SHA] += cpu_now() - t;
	if (len > 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		t = cpu_now();
		text = inflate_all(raw, len, &tlen);
		spent[T_INFLATE] += cpu_now() - t;
	}
	if (text)
		inline_photos((char *)text, tlen);
	else
		inline_photos((char *)raw, len);
	photos = xasprintf("%s.photos", path);
	ref_photos(photos);
	free(photos);
	free(text);
	free(raw);
	free(path);
}

/* ---- render's floor ---- */

/* The scan lines a PNG file's IDAT chunks hold (what its encoder deflated), or NULL. */
static unsigned char *
png_scanlines(const unsigned char *png, size_t len, size_t *outlen)
{
	struct buf z = BUF_INIT(BUF_UNLIMITED);
	unsigned char *raw = NULL;

	for (size_t at = 8; at + 12 <= len;) {
		size_t n = (size_t)png[at] << 24 | (size_t)png[at + 1] << 16 |
			   (size_t)png[at + 2] << 8 | png[at + 3];

		if (n > len - at - 12)
			break;
		if (!memcmp(png + at + 4, "IDAT", 4))
			buf_append(&z, png + at + 8, n);
		at += 12 + n;
	}
	if (z.len)
		raw = inflate_all((const unsigned char *)z.data, z.len, outlen);
	buf_release(&z);
	return raw;
}

struct render_floor {
	const char *faces, *photos;
	int bw, bh;
	struct libdeflate_compressor *zc;
	double jpeg, deflate; /* CPU seconds */
};

static void
render_card(struct render_floor *rf, const char *card_no, const char *sha, const char *loc)
{
	char *dir = fs_join(rf->faces, card_no);
	unsigned char *data;
	size_t len;
	DIR *d;
	struct dirent *de;

	if (photo_store_read_at(rf->photos, loc, sha, 64u << 20, &data, &len) == 0) {
		struct rgb_image im = {0};
		double t = cpu_now();

		if (photo_decode_for_box(data, len, rf->bw, rf->bh, &im) == 0)
			rgb_release(&im);
		rf->jpeg += cpu_now() - t;
		free(data);
	}
	for (d = opendir(dir); d && (de = readdir(d));) {
		char *path;
		struct stat st;
		size_t n = strlen(de->d_name), rawlen;
		unsigned char *raw, *out;

		if (n < 5 || strcmp(de->d_name + n - 4, ".png"))
			continue;
		path = fs_join(dir, de->d_name);
		if (stat(path, &st) == 0 && st.st_nlink == 1 &&
		    fs_read_file(path, 64u << 20, &data, &len) == 0) {
			if ((raw = png_scanlines(data, len, &rawlen))) {
				size_t cap = libdeflate_zlib_compress_bound(rf->zc, rawlen);
				double t;

				out = xmalloc(cap);
				t = cpu_now();
				libdeflate_zlib_compress(rf->zc, raw, rawlen, out, cap);
				rf->deflate += cpu_now() - t;
				free(out);
				free(raw);
			}
			free(data);
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

static int
render_floor(struct config *cfg, const char *home, char **argv)
{
	struct render_floor rf = {.faces = argv[0], .photos = argv[1]};
	const struct canvas_profile *prof;
	struct layout *lo = NULL;
	struct composer *comp = NULL;
	long long cards = 0, max = atoll(argv[2]);
	char line[512], card_no[64], sha[128], loc[256];

	if (canvas_profile_lookup(config_str(cfg, "printer.profile"), &prof) < 0 ||
	    render_load_layout(cfg, home, &lo) < 0 ||
	    composer_new(lo, prof, config_str(cfg, "card.font"), &comp) < 0) {
		fprintf(stderr, "bench-floor: %s\n", cp_errmsg());
		layout_free(lo);
		return 1;
	}
	composer_photo_box(comp, &rf.bw, &rf.bh);
	rf.zc = libdeflate_alloc_compressor((int)config_int(cfg, "render.png_level"));
	while (cards < max && fgets(line, sizeof(line), stdin)) {
		int k = sscanf(line, "%63s %127s %255s", card_no, sha, loc);

		if (k < 2 || strchr(card_no, '/') || strchr(sha, '/'))
			continue;
		render_card(&rf, card_no, sha, k == 3 ? loc : NULL);
		cards++;
	}
	libdeflate_free_compressor(rf.zc);
	composer_free(comp);
	layout_free(lo);
	if (cards == 0) {
		fprintf(stderr, "bench-floor: no cards\n");
		return 1;
	}
	printf("floor-render %lld %.0f jpeg %.0f deflate %.0f\n", cards,
	       (rf.jpeg + rf.deflate) * 1e6 / (double)cards, rf.jpeg * 1e6 / (double)cards,
	       rf.deflate * 1e6 / (double)cards);
	return 0;
}

int
main(int argc, char **argv)
{
	char sha[128];
	long long recs, apps = 0, max;
	double total = 0;
	struct config *cfg = config_new();
	const char *home = getenv("CARDPIPE_HOME");
	int r;

	{
		char *file = home ? fs_join(home, "cardpipe.conf") : NULL;

		if (file && fs_exists(file))
			config_load_file(cfg, file);
		config_load_env(cfg);
		photo_limits_from_config(cfg, &lim);
		free(file);
	}
	if (argc == 5 && !strcmp(argv[1], "--render")) {
		r = render_floor(cfg, home ? home : ".", argv + 2);
		config_free(cfg);
		return r;
	}
	config_free(cfg);
	if (argc != 3) {
		fprintf(stderr, "usage: bench-floor ARCHIVE MAX_APPS < 'SHA RECORDS' lines\n"
				"       bench-floor --render FACES PHOTOS MAX_CARDS < 'CARD_NO "
				"PHOTO_SHA [PHOTO_LOC]' lines\n");
		return 2;
	}
	max = atoll(argv[2]);
	while (apps < max && scanf("%127s %lld", sha, &recs) == 2) {
		if (strchr(sha, '/'))
			continue;
		one_file(argv[1], sha);
		apps += recs;
	}
	if (apps == 0) {
		fprintf(stderr, "bench-floor: no application files\n");
		return 1;
	}
	for (int i = 0; i < T_N; i++)
		total += spent[i];
	printf("floor %lld %.0f jpeg %.0f inflate %.0f sha256 %.0f base64 %.0f\n", apps,
	       total * 1e6 / (double)apps, spent[T_JPEG] * 1e6 / (double)apps,
	       spent[T_INFLATE] * 1e6 / (double)apps, spent[T_SHA] * 1e6 / (double)apps,
	       spent[T_B64] * 1e6 / (double)apps);
	return 0;
}
