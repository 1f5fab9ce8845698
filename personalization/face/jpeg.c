/*
 * jpeg.c - libjpeg-turbo decoding from memory (jpeg.h). libjpeg reports a fatal error
 * through error_exit, which must not return: ours formats the text and longjmps back into
 * the wrapper call that was running. Every call below that enters libjpeg arms d->jb first,
 * so a longjmp never lands in a frame that has returned.
 */
#include "personalization/face/jpeg.h"

#include "core/err.h"

#include <jerror.h> /* the JWRN_* warning codes */
#include <stddef.h>
#include <string.h>

/* The decoder whose error manager libjpeg calls. */
static struct jpegd *
of(j_common_ptr cinfo)
{
	return (struct jpegd *)((char *)cinfo->err - offsetof(struct jpegd, mgr));
}

static void
on_error_exit(j_common_ptr cinfo)
{
	struct jpegd *d = of(cinfo);

	(*cinfo->err->format_message)(cinfo, d->msg);
	longjmp(d->jb, 1);
}

/* The warnings that mean image data was lost. */
static int
loses_data(int code)
{
	switch (code) {
	case JWRN_JPEG_EOF:
	case JWRN_HIT_MARKER:
	case JWRN_MUST_RESYNC:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
	case JWRN_NOT_SEQUENTIAL:
	case JWRN_BOGUS_PROGRESSION: return 1;
	default: return 0;
	}
}

static void
on_emit_message(j_common_ptr cinfo, int level)
{
	struct jpegd *d = of(cinfo);

	if (level >= 0)
		return; /* trace messages */
	if (d->policy == JPEGD_WARN_DATA_LOSS && !loses_data(cinfo->err->msg_code))
		return;
	if (d->warnings++ == 0)
		(*cinfo->err->format_message)(cinfo, d->msg);
}

static void
on_output_message(j_common_ptr cinfo)
{
	(void)cinfo; /* never print: texts go back to the caller */
}

int
jpegd_open(struct jpegd *d, const unsigned char *data, size_t len, enum jpegd_warnings policy)
{
	d->cinfo.err = jpeg_std_error(&d->mgr);
	d->mgr.error_exit = on_error_exit;
	d->mgr.emit_message = on_emit_message;
	d->mgr.output_message = on_output_message;
	d->policy = policy;
	d->warnings = 0;
	d->msg[0] = '\0';
	if (setjmp(d->jb))
		return CP_ERR_FORMAT;
	jpeg_create_decompress(&d->cinfo);
	jpeg_mem_src(&d->cinfo, data, (unsigned long)len);
	/* with an image required and a memory source, anything but a header is error_exit */
	if (jpeg_read_header(&d->cinfo, TRUE) != JPEG_HEADER_OK) {
		snprintf(d->msg, sizeof(d->msg), "the JPEG has no image");
		return CP_ERR_FORMAT;
	}
	return 0;
}

int
jpegd_fit_scale(struct jpegd *d, int min_w, int min_h, unsigned *num)
{
	if (setjmp(d->jb))
		return CP_ERR_FORMAT;
	d->cinfo.out_color_space = JCS_RGB;
	d->cinfo.scale_denom = 8;
	for (*num = 1; *num <= 8; (*num)++) {
		d->cinfo.scale_num = *num;
		jpeg_calc_output_dimensions(&d->cinfo);
		if ((int)d->cinfo.output_width >= min_w && (int)d->cinfo.output_height >= min_h)
			return 0;
	}
	*num = 8;
	return 0;
}

int
jpegd_start(struct jpegd *d, unsigned num, unsigned denom, J_DCT_METHOD dct)
{
	if (setjmp(d->jb))
		return CP_ERR_FORMAT;
	d->cinfo.out_color_space = JCS_RGB;
	d->cinfo.scale_num = num;
	d->cinfo.scale_denom = denom;
	d->cinfo.dct_method = dct;
	jpeg_start_decompress(&d->cinfo);
	return 0;
}

int
jpegd_read(struct jpegd *d, unsigned char *rgb)
{
	size_t stride = (size_t)d->cinfo.output_width * 3;

	if (setjmp(d->jb))
		return CP_ERR_FORMAT;
	while (d->cinfo.output_scanline < d->cinfo.output_height) {
		JSAMPROW row = rgb + stride * d->cinfo.output_scanline;

		jpeg_read_scanlines(&d->cinfo, &row, 1);
	}
	jpeg_finish_decompress(&d->cinfo);
	return 0;
}

void
jpegd_close(struct jpegd *d)
{
	jpeg_destroy_decompress(&d->cinfo); /* frees whatever state the decode reached */
}
