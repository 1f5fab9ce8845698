/*
 * jpeg.h - the one libjpeg-turbo decode wrapper: a JPEG in memory, libjpeg's fatal errors
 * brought back through longjmp as a return value (never exit()), its warnings counted
 * (the first one's text kept), and a DCT-scaled decode into RGB rows the caller provides.
 * The card face (photo.c) and the photo standard's check (pipeline/rules/photo_check.c)
 * both decode through it, each with its own checks and texts around it.
 *
 * Use: jpegd_open(), look at d.cinfo (image_width, image_height, num_components,
 * jpeg_color_space), jpegd_start() (then d.cinfo.output_width/height are the decoded
 * size), jpegd_read() into a buffer of output_width * 3 * output_height bytes, and always
 * jpegd_close(), whatever the others returned. Each call that can fail returns 0 or
 * CP_ERR_FORMAT with libjpeg's text in d.msg (cp_err() is not called: the callers word
 * their own messages). Nothing is copied: libjpeg reads the caller's bytes in place.
 */
#ifndef CP_FACE_JPEG_H
#define CP_FACE_JPEG_H

#include <stddef.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */

#include <jpeglib.h>
#include <setjmp.h>

/* Which libjpeg warnings count (d.warnings, d.msg). libjpeg "recovers" from a corrupt or
 * truncated entropy stream with a warning and grey fill. */
enum jpegd_warnings {
	JPEGD_WARN_ANY,	      /* every warning: the photo standard admits none */
	JPEGD_WARN_DATA_LOSS, /* only those that lose image data (truncated or corrupt
				 scan data); harmless ones (extraneous bytes before a
				 marker, an unknown JFIF version) do not count */
};

struct jpegd {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
	enum jpegd_warnings policy;
	int warnings;		   /* warnings counted so far */
	char msg[JMSG_LENGTH_MAX]; /* the fatal error's text, else the first counted warning's */
};

/* Read the header of len bytes at data (which must stay valid until jpegd_close()). */
int jpegd_open(struct jpegd *d, const unsigned char *data, size_t len, enum jpegd_warnings policy);
/* The smallest n/8 (n = 1..8) at which the image decodes to at least min_w x min_h (8 when
 * none does). */
int jpegd_fit_scale(struct jpegd *d, int min_w, int min_h, unsigned *num);
/* Start decoding into RGB at scale num/denom with the DCT method dct. */
int jpegd_start(struct jpegd *d, unsigned num, unsigned denom, J_DCT_METHOD dct);
/* Decode every row into rgb (rows of output_width * 3 bytes, top to bottom) and finish.
 * Data-losing damage is d.warnings > 0 afterwards, not an error here. */
int jpegd_read(struct jpegd *d, unsigned char *rgb);
void jpegd_close(struct jpegd *d);

#endif
