/*
 * script.h - perso scripts (docs/perso-script-format.md): writing one card's script,
 * parsing it back command by command, and sealed batches of scripts for a production line.
 *
 * A script is text: scriptor-style plain APDUs (hex bytes separated by spaces), each
 * optionally followed by key=value words (sw=9000,6A88; sens=OFF:LEN; label=NAME), '#'
 * comments, and '#@' directive lines (format, card, line, transport-key, end). Key
 * material and the service password appear only as ciphertext under the line's transport
 * key (AES-256-CBC, zero IV, whole blocks) at the bytes sens= marks; the encoder decrypts
 * them and re-encrypts them under the chip's static DEK (SCP03) before sending.
 *
 * The encoder consumes a sealed batch: perso_batch_open() checks the seal (AES-256-GCM
 * under a key derived from the transport key), the manifest (card count, each script's
 * SHA-256) and every script, then hands out a card's commands (struct perso_cmd).
 */
#ifndef CP_PERSO_SCRIPT_H
#define CP_PERSO_SCRIPT_H

#include "core/buf.h"
#include "personalization/chip/chipdata.h"

#include <stddef.h>
#include <stdint.h>

#define PERSO_SCRIPT_FORMAT 1

/* One command, as the encoder runs it. */
struct perso_cmd {
	const unsigned char *apdu; /* plain command APDU (short) */
	size_t len;
	uint16_t sw[4]; /* acceptable status words; n_sw 0 means 9000 only */
	size_t n_sw;
	size_t sens_off, sens_len; /* data-field bytes under the transport key; 0 len: none */
	const char *label;	   /* "PBOC DGI 8000", may be NULL */
};

/* Append the script of card c to out (the derivations of chipdata.h, then the text). */
int perso_script_build(const struct perso_card *c, const struct perso_masters *m,
		       const struct perso_params *p, struct buf *out);

struct perso_script;

/* Parse and check a script (name for messages: "file:line: ..."). The end line must be
 * there and match (command count, SHA-256): CP_ERR_INTEGRITY otherwise. */
int perso_script_parse(const char *text, size_t len, const char *name, struct perso_script **out);
void perso_script_free(struct perso_script *s);
const char *perso_script_card_no(const struct perso_script *s);
int perso_script_line(const struct perso_script *s);
/* The transport key the sensitive values are under: name and KCV (hex). */
const char *perso_script_tk_name(const struct perso_script *s);
const char *perso_script_tk_kcv(const struct perso_script *s);
size_t perso_script_count(const struct perso_script *s);
const struct perso_cmd *perso_script_cmd(const struct perso_script *s, size_t i);

/* ---- sealed batches ---- */

struct perso_batch_writer;

/* Start a batch for a line under its transport key (32 bytes, named tk_name, KCV tk_kcv).
 * Scripts are added in memory; perso_batch_writer_commit() names the batch batch_id, seals
 * it, writes path atomically (0600) and gives the file's SHA-256 (hex). */
int perso_batch_writer_new(int line, const unsigned char *tk, const char *tk_name,
			   const char *tk_kcv, struct perso_batch_writer **out);
int perso_batch_writer_add(struct perso_batch_writer *w, const char *card_no,
			   const unsigned char *script, size_t len, char sha256_hex[65]);
int perso_batch_writer_commit(struct perso_batch_writer *w, const char *batch_id, const char *path,
			      char file_sha256_hex[65]);
void perso_batch_writer_free(struct perso_batch_writer *w);

struct perso_batch;

/* Read a batch's header only: line, transport key name and KCV (to fetch the key). */
int perso_batch_peek(const char *path, int *line, char tk_name[64], char tk_kcv[7]);
/* Open and verify a sealed batch with its transport key (32 bytes). CP_ERR_INTEGRITY with
 * a clear message for a changed, truncated or re-ordered file. */
int perso_batch_open(const char *path, const unsigned char *tk, struct perso_batch **out);
void perso_batch_free(struct perso_batch *b);
int perso_batch_line(const struct perso_batch *b);
const char *perso_batch_id(const struct perso_batch *b);
size_t perso_batch_count(const struct perso_batch *b);
const char *perso_batch_card_no(const struct perso_batch *b, size_t i);
int perso_batch_find(const struct perso_batch *b, const char *card_no,
		     const struct perso_script **out);
/* The script text of card i (for `perso show`). */
const char *perso_batch_text(const struct perso_batch *b, size_t i, size_t *len);

#endif
