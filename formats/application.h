/*
 * application.h - one application record as every input format yields it, before
 * the business rules run (ingest fills it, the registry stores it, prepare judges it).
 *
 * Every field is a UTF-8 string or NULL when the record did not carry it; parsers copy
 * what the file says (trimmed) and leave judging to prepare, except for what a schema
 * forbids outright. Field names follow the formats (the XSDs and counter-csv.md in formats/);
 * the HR/social-security data-dictionary code is given where one is known.
 */
#ifndef CP_APPLICATION_H
#define CP_APPLICATION_H

struct app_record {
	/* where it came from */
	long record_no;	    /* 1-based position in its file */
	char *location;	    /* "line 12" or "Employee[3] (line 40)" */
	char *channel;	    /* employer, website, rs-app, jingtong, minsheng, outlet, bank */
	char *channel_ref;  /* the channel's own reference for the record */
	char *outlet;	    /* counter CSV: the service point or bank branch that took it */
	char *submitted_at; /* ISO 8601 */
	char *app_type; /* new, upgrade, replace-lost, replace-damaged, change-info, change-bank */

	/* the person */
	char *name;	   /* AAC003 */
	char *id_type;	   /* citizen, hk, mo, tw, fpr (2023 18-digit), fpr-old (15-char) */
	char *id_number;   /* AAC002 */
	char *sex;	   /* AAC004: 1 male, 2 female (GB/T 2261.1) */
	char *ethnicity;   /* AAC005: GB 3304 two-digit code, 01 = Han */
	char *birth_date;  /* AAC006: YYYY-MM-DD */
	char *nationality; /* AAC161: ISO 3166-1 alpha-3 */
	char *mobile;	   /* AAE005 */
	char *category; /* insured, elderly-civil, elderly-nonlocal, assistance, veteran, other */

	/* delivery and bank */
	char *delivery;	   /* mail-person, mail-employer, pickup */
	char *address;	   /* AAE006 */
	char *postal_code; /* AAE007 */
	char *district;	   /* AAB301: 6-digit administrative code */
	char *branch;	   /* pickup branch code */
	char *bank;	   /* cooperating bank code (banks.cooperating) */

	/* photo: the JPEG bytes, decoded from base64 or read from a reference */
	unsigned char *photo;
	unsigned long photo_len;
	char *photo_ref; /* the reference as written, for messages */

	/* employee confirmation (employer batches, manual item 12) */
	char *confirmed_at;
	char *confirm_channel;

	/* minors (manual item 38) */
	char *guardian_name;
	char *guardian_id_type;
	char *guardian_id_number;
	char *guardian_proof;

	/* employer batches */
	char *employer_name;
	char *employer_uscc; /* unified social credit code, GB 32100 */
	char *batch_id;

	/* replacements and changes */
	char *old_card_no;	 /* AAZ500 of the card replaced */
	char *transport_balance; /* fen, damaged-card replacements (manual item 46) */

	/* set by ingest once the photo is stored: its SHA-256, and where it is, "PACK:OFFSET"
	 * (photo_store.h; NULL for a photo stored as a file by an earlier release) */
	char *photo_sha256;
	char *photo_loc;
	/* the photo's check as ingest's reader made it while it held the bytes
	 * (photo_result_encode()), for prepare; NULL when not checked at ingest */
	char *photo_check;

	/* A problem ingest can see in this one record (reasons_ingest.c): the record is
	 * recorded as rejected with this code, the file goes on. NULL when none. */
	const char *reject_code; /* static string from reasons_ingest[] */
	char *reject_field;	 /* element or column, e.g. "Photo" */
	char *reject_detail;	 /* "Employee[3] (line 40), field 'Photo': ..." */
};

/* Mark rec as rejected by ingest (the first problem wins). */
void app_record_reject(struct app_record *rec, const char *code, const char *field, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

void app_record_release(struct app_record *rec);

#endif
