/*
 * reg_held.h - applications held for a reason a later run can lift: calendar-missing (the
 * working-day calendar did not cover the due date). Count them, list them, and release one
 * to 'received' so that prepare judges it again.
 */
#ifndef CP_REG_HELD_H
#define CP_REG_HELD_H

#include <stddef.h>

struct registry;

struct held_app {
	long long id;
	char *submitted_at; /* NULL when the record had none */
};

/* Applications in state held with this reason code. */
int reg_held_count(struct registry *reg, const char *reason, long long *n);
/* Those applications, by id; app_id / file_id restrict the list when not 0. */
int reg_held_list(struct registry *reg, const char *reason, long long app_id, long long file_id,
		  struct held_app **v, size_t *n);
void held_apps_free(struct held_app *v, size_t n);
/* held -> received for an application held with reason (inside registry_begin/commit). The
 * audit row of the change names the reason it had been held for; the reason columns and
 * the due date are cleared after it. CP_ERR_NOTFOUND when it is not held with reason. */
int reg_held_release(struct registry *reg, long long app_id, const char *reason);

#endif
