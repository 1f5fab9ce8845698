/* application.c - releasing an app_record (see application.h). */
#include "formats/application.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

void
app_record_release(struct app_record *rec)
{
	char **strs[] = { &rec->location, &rec->channel, &rec->channel_ref, &rec->submitted_at,
			  &rec->app_type, &rec->name, &rec->id_type, &rec->id_number, &rec->sex,
			  &rec->ethnicity, &rec->birth_date, &rec->nationality, &rec->mobile,
			  &rec->category, &rec->delivery, &rec->address, &rec->postal_code,
			  &rec->district, &rec->branch, &rec->bank, &rec->photo_ref,
			  &rec->confirmed_at, &rec->confirm_channel, &rec->guardian_name,
			  &rec->guardian_id_type, &rec->guardian_id_number, &rec->guardian_proof,
			  &rec->employer_name, &rec->employer_uscc, &rec->batch_id,
			  &rec->old_card_no, &rec->transport_balance };

	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	free(rec->photo);
	memset(rec, 0, sizeof(*rec));
}
