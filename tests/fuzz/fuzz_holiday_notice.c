/*
 * fuzz_holiday_notice.c - libFuzzer target for the State Council holiday notice reader
 * (formats/holiday_notice.c): whatever text an operator pastes, holiday_notice_parse()
 * returns a notice or an error, never crashes, never reads outside its input, never leaks;
 * a notice it accepts renders a block the calendar parser accepts. Seeds:
 * tests/fuzz/corpus/holiday_notice/ (the published notices of tests/data/holiday-notices).
 */
#include "core/buf.h"
#include "core/err.h"
#include "formats/holiday_notice.h"
#include "pipeline/rules/calendar.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct holiday_notice *n = NULL;
	struct buf block = BUF_INIT(1 << 20);
	struct calendar *cal = NULL;

	if (holiday_notice_parse((const char *)data, size, "fuzz", &n) == 0) {
		if (n->issued < 0)
			n->issued = 0;
		if (holiday_notice_block(n, &block) < 0 ||
		    calendar_parse(buf_str(&block), block.len, "block", &cal) < 0)
			abort(); /* an accepted notice always makes a valid calendar block */
	}
	calendar_free(cal);
	buf_release(&block);
	holiday_notice_free(n);
	cp_err_clear();
	return 0;
}
