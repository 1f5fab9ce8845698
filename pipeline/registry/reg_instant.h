/*
 * reg_instant.h - what instant issuance asks the registry about the one application it
 * carries through every stage.
 */
#ifndef CP_REG_INSTANT_H
#define CP_REG_INSTANT_H

struct registry;

struct instant_app {
	long long id;
	char state[16];	    /* received, accepted, rejected, duplicate, held */
	char reason[256];   /* reason code and message when rejected or held */
	char id_number[32]; /* for `cardpipe status`; never logged in full */
	long long duplicate_of;
};

/* The applications recorded from input file file_id: *count of them, the first in *app. */
int reg_instant_app_of_file(struct registry *reg, long long file_id, struct instant_app *app,
			    long *count);

#endif
