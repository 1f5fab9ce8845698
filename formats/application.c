/* application.c - releasing an app_record and marking it rejected (see application.h). */
#include "formats/application.h"

#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
app_record_release(struct app_record *rec)
{
	char **strs[] = {&rec->location,
			 &rec->channel,
			 &rec->channel_ref,
			 &rec->outlet,
			 &rec->submitted_at,
			 &rec->app_type,
			 &rec->name,
			 &rec->id_type,
			 &rec->id_number,
			 &rec->sex,
			 &rec->ethnicity,
			 &rec->birth_date,
			 &rec->nationality,
			 &rec->mobile,
			 &rec->category,
			 &rec->delivery,
			 &rec->address,
			 &rec->postal_code,
			 &rec->district,
			 &rec->branch,
			 &rec->bank,
			 &rec->photo_ref,
			 &rec->confirmed_at,
			 &rec->confirm_channel,
			 &rec->guardian_name,
			 &rec->guardian_id_type,
			 &rec->guardian_id_number,
			 &rec->guardian_proof,
			 &rec->employer_name,
			 &rec->employer_uscc,
			 &rec->batch_id,
			 &rec->old_card_no,
			 &rec->transport_balance,
			 &rec->photo_sha256,
			 &rec->photo_check,
			 &rec->photo_loc,
			 &rec->reject_field,
			 &rec->reject_detail};

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	free(rec->photo);
	memset(rec, 0, sizeof(*rec));
}

void
app_record_reject(struct app_record *rec, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *detail = NULL;

	if (rec->reject_code)
		return; /* the first problem is the one reported */
	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	va_end(ap);
	rec->reject_code = code;
	rec->reject_field = field ? xstrdup(field) : NULL;
	rec->reject_detail = detail ? detail : xstrdup(code);
}
