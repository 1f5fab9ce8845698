/*
 * status_feed.c - one record of the status feed (formats/status-feed.md, status_feed.h):
 * the keys, their order, which are written when, and the masked ID number.
 */
#include "formats/status_feed.h"

#include "core/json.h"
#include "core/mask.h"

#include <string.h>

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* the new state of an audit event "a->b" is b; otherwise the event itself */
static const char *
new_state(const char *event)
{
	const char *arrow = strstr(nz(event), "->");

	return arrow ? arrow + 2 : nz(event);
}

int
status_feed_line(struct buf *b, const struct status_feed_record *e)
{
	char masked[64];
	struct json_writer w;
	int r;

	mask_id(nz(e->id_number), masked, sizeof(masked));
	json_writer_init(&w);
	json_obj_begin(&w);
	json_kv_int(&w, "seq", e->seq);
	json_kv_str(&w, "at", nz(e->at));
	if (e->app_id) {
		json_kv_int(&w, "application", e->app_id);
		json_kv_str(&w, "channel", nz(e->channel));
		json_kv_str(&w, "channel_ref", nz(e->channel_ref));
		json_kv_str(&w, "id_number", masked);
	}
	json_kv_str(&w, "entity", nz(e->entity));
	json_kv_str(&w, "event", nz(e->event));
	json_kv_str(&w, "state", new_state(e->event));
	if (e->card_no)
		json_kv_str(&w, "card_no", e->card_no);
	if (e->tracking_no)
		json_kv_str(&w, "tracking_no", e->tracking_no);
	/* the detail of an application event is its reason code, of a card going to 'held'
	 * its held reason: codes, never personal data */
	if (e->detail && e->detail[0] &&
	    (!strcmp(nz(e->entity), "application") || !strcmp(new_state(e->event), "held")))
		json_kv_str(&w, "reason", e->detail);
	json_obj_end(&w);
	r = buf_appendf(b, "%s\n", json_writer_str(&w));
	json_writer_release(&w);
	return r;
}
