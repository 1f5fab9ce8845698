/*
 * emu_status_fixture.h - the printer emulator's figures as its STATUS control command
 * reports them ("OK fed=.. printed=.. ejected=.. rejected=.. feeder=.. ribbon=..
 * cover=open|closed position=.. settle-waits=.."), parsed into a struct for assertions.
 * Header-only, for cmocka tests that include <cmocka.h> first.
 */
#ifndef EMU_STATUS_FIXTURE_H
#define EMU_STATUS_FIXTURE_H

#include "core/buf.h"
#include "emulator/printer/emu.h"

#include <stdio.h>
#include <string.h>

struct emu_stats {
	long fed, printed, ejected, rejected, feeder, ribbon;
	int pos; /* enum printer_card_pos */
	int cover_open;
};

static inline void
emu_stats(struct emu *e, struct emu_stats *st)
{
	struct buf reply = BUF_INIT(BUF_UNLIMITED);
	char cover[8] = "";

	memset(st, 0, sizeof(*st));
	assert_int_equal(emu_control(e, "STATUS", &reply), 0);
	assert_int_equal(sscanf(buf_str(&reply),
				"OK fed=%ld printed=%ld ejected=%ld rejected=%ld feeder=%ld "
				"ribbon=%ld cover=%7s position=%d",
				&st->fed, &st->printed, &st->ejected, &st->rejected, &st->feeder,
				&st->ribbon, cover, &st->pos),
			 8);
	assert_true(!strcmp(cover, "open") || !strcmp(cover, "closed"));
	st->cover_open = !strcmp(cover, "open");
	buf_release(&reply);
}

#endif
