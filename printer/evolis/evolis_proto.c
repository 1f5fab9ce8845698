/*
 * evolis_proto.c - Evolis command framing, reply classification and parsing, Db panel
 * decoding (see evolis_proto.h for the orientation and bit layout).
 */
#include "printer/evolis/evolis_proto.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Every documented reply (docs/printer-reference.md §1.1) and its condition. */
static const struct {
	const char *text;
	enum printer_cond cond;
} replies[] = {
	{"OK", PRN_OK},
	{"ERROR", PRN_ERROR},
	{"ERROR CDE", PRN_ERROR_CDE},
	{"ERROR PARAMETRES", PRN_ERROR_PARAM},
	{"NEED CLEANING", PRN_NEED_CLEANING},
	{"ERROR TIME OUT", PRN_TIMEOUT},
	{"ERROR HOPPER", PRN_HOPPER_ERROR},
	{"HOPPER FULL", PRN_HOPPER_FULL},
	{"HOPPER DOOR", PRN_HOPPER_DOOR},
	{"ERROR HEAD", PRN_HEAD},
	{"COVER OPEN", PRN_COVER_OPEN},
	{"FEEDER EMPTY", PRN_FEEDER_EMPTY},
	{"CARD JAM", PRN_CARD_JAM},
	{"ERROR RIBBON", PRN_RIBBON},
	{"OPT NOT AVAILABLE", PRN_OPT_NA},
	{"ERROR MAG CHECKSUM", PRN_MAG_CHECKSUM},
	{"ERROR MAG DATA", PRN_MAG_DATA},
	{"ERROR MAG", PRN_MAG},
	{"ERROR UNKNOW", PRN_UNKNOWN},
};

int
evo_frame(struct buf *b, const char *cmd)
{
	if (strchr(cmd, EVO_CR))
		return cp_err(CP_ERR_INVALID, "evolis: command '%.20s' holds a CR", cmd);
	if (buf_putc(b, EVO_ESC) < 0 || buf_append(b, cmd, strlen(cmd)) < 0 ||
	    buf_putc(b, EVO_CR) < 0)
		return cp_err(CP_ERR_LIMIT, "evolis: command too long");
	return 0;
}

/* The reply without leading/trailing blanks into out. */
static void
trim(const char *in, char *out, size_t outsz)
{
	size_t n;

	while (*in && isspace((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n && isspace((unsigned char)in[n - 1]))
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

enum printer_cond
evo_reply_cond(const char *reply)
{
	char t[EVO_MAX_REPLY + 1];

	trim(reply, t, sizeof(t));
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++)
		if (!strcmp(t, replies[i].text))
			return replies[i].cond;
	if (!strncmp(t, "ERR", 3))
		return PRN_ERROR;
	return PRN_NCOND;
}

int
evo_parse_position(const char *reply, enum printer_card_pos *pos)
{
	char t[EVO_MAX_REPLY + 1];

	trim(reply, t, sizeof(t));
	if (!strcmp(t, "OK"))
		*pos = PRN_POS_NONE;
	else if (!strcmp(t, "CARD"))
		*pos = PRN_POS_PRINT;
	else if (!strcmp(t, "SMART CARD"))
		*pos = PRN_POS_CONTACT;
	else if (!strcmp(t, "CONTACTLESS CARD"))
		*pos = PRN_POS_CONTACTLESS;
	else
		return cp_err(CP_ERR_PROTOCOL,
			      "evolis: card position reply '%s' is none of OK, CARD, SMART CARD, "
			      "CONTACTLESS CARD",
			      t);
	return 0;
}

int
evo_parse_volts(const char *reply, double *volts)
{
	char t[EVO_MAX_REPLY + 1];
	const char *s;
	double v = 0, scale = 0.1;
	int digits = 0;

	trim(reply, t, sizeof(t));
	for (s = t; isdigit((unsigned char)*s); s++, digits++)
		v = v * 10 + (*s - '0');
	if (digits == 0 || digits > 3)
		goto bad;
	if (*s == ',' || *s == '.')
		for (s++; isdigit((unsigned char)*s); s++, scale /= 10)
			v += (*s - '0') * scale;
	while (*s == ' ')
		s++;
	if (strcmp(s, "Volts") && strcmp(s, "Volt") && strcmp(s, "V"))
		goto bad;
	*volts = v;
	return 0;
bad:
	return cp_err(CP_ERR_PROTOCOL,
		      "evolis: sensor reply '%s' is not a voltage like '5,00 Volts'", t);
}

int
evo_parse_count(const char *reply, long *n)
{
	char t[EVO_MAX_REPLY + 1];
	long v = 0;
	const char *s;

	trim(reply, t, sizeof(t));
	for (s = t; isdigit((unsigned char)*s); s++) {
		if (v > 100000000L)
			goto bad;
		v = v * 10 + (*s - '0');
	}
	if (s == t || *s)
		goto bad;
	*n = v;
	return 0;
bad:
	return cp_err(CP_ERR_PROTOCOL, "evolis: counter reply '%s' is not a decimal count", t);
}

int
evo_level_bits(int levels)
{
	switch (levels) {
	case 32: return 5;
	case 64: return 6;
	case 128: return 7;
	default: return 0;
	}
}

size_t
evo_panel_bytes(char colour, int levels)
{
	int bits =
		(colour == 'k' || colour == 'o') ? (levels == 2 ? 1 : 0) : evo_level_bits(levels);

	if (colour != 'y' && colour != 'm' && colour != 'c' && colour != 'k' && colour != 'o')
		return 0;
	return (size_t)EVO_LINES * EVO_DOTS * (size_t)bits / 8;
}

/* Landscape pixel index of dot j on line i (the rotation of evolis_proto.h). */
static inline size_t
dot_pixel(size_t i, size_t j)
{
	return (EVO_DOTS - 1 - j) * EVO_LINES + i;
}

unsigned
evo_expand_level(unsigned v, int bits)
{
	unsigned out = 0;
	int have = 0;

	/* replicate the n bits down into 8 so that full scale stays full scale */
	while (have < 8) {
		out = (out << bits) | v;
		have += bits;
	}
	return (out >> (have - 8)) & 0xff;
}

int
evo_decode_colour(int levels, const unsigned char *data, unsigned char *plane)
{
	int bits = evo_level_bits(levels);
	unsigned acc = 0, mask;
	int nacc = 0;
	size_t in = 0;

	if (!bits)
		return cp_err(CP_ERR_INVALID, "evolis: %d is not a colour level count", levels);
	mask = (1u << bits) - 1;
	for (size_t i = 0; i < EVO_LINES; i++)
		for (size_t j = 0; j < EVO_DOTS; j++) {
			while (nacc < bits) {
				acc = (acc << 8) | data[in++];
				nacc += 8;
			}
			plane[dot_pixel(i, j)] = (unsigned char)evo_expand_level(
				(acc >> (nacc - bits)) & mask, bits);
			nacc -= bits;
			acc &= (1u << nacc) - 1;
		}
	return 0;
}

void
evo_decode_mono(const unsigned char *data, unsigned char *mask)
{
	for (size_t i = 0; i < EVO_LINES; i++)
		for (size_t j = 0; j < EVO_DOTS; j++)
			mask[dot_pixel(i, j)] =
				(data[i * (EVO_DOTS / 8) + j / 8] >> (7 - j % 8)) & 1;
}
