/*
 * reasons.h - the stable reason codes of rejected and held records, with their messages in
 * Chinese and English. Codes are part of the rejects-file format that channels read:
 * never rename one; add new ones. Ingest's codes are in reasons_ingest.c, prepare's in
 * reasons_prepare.c.
 */
#ifndef CP_REASONS_H
#define CP_REASONS_H

struct reason {
	const char *code; /* "id-check-digit" */
	const char *zh;	  /* "身份证号码校验位错误" */
	const char *en;	  /* "ID number check character is wrong" */
};

extern const struct reason reasons_ingest[];
extern const struct reason reasons_prepare[];

/* Look a code up in both tables; NULL if unknown. */
const struct reason *reason_find(const char *code);

#endif
