/*
 * holiday_notice.h - the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日
 * 安排的通知) as published, plain UTF-8 text, read into the days off and make-up working days
 * of the working-day calendar (docs/calendar-format.md, "Importing a notice").
 *
 * The reader knows the notice's grammar, not one year's wording: numbered items
 * ("一、元旦：..."), ranges with or without the month or year of their end ("10月1日至8日",
 * "2022年12月31日至2023年1月2日", "12月30日至1月1日"), weekday notes ("（周三）", "（星期六）",
 * "（农历除夕、周二）") that it checks against the date, "共N天" and "放假N天" that it checks
 * against the range, "上班" (make-up working days), "补休" (a day off in lieu), "与周末连休",
 * full-width digits and punctuation. A sentence it cannot read is an error naming the line;
 * sentences of advice ("鼓励...") are listed as not applied.
 */
#ifndef CP_HOLIDAY_NOTICE_H
#define CP_HOLIDAY_NOTICE_H

#include "core/buf.h"

#include <stddef.h>

struct notice_entry {
	char kind;	  /* 'H' days off from..to, 'W' a make-up working day (from == to) */
	long from, to;	  /* cp_days_from_civil() numbers */
	int line;	  /* line of the notice */
	const char *name; /* the item's holiday name ("国庆节、中秋节") */
};

struct holiday_notice {
	int year;
	char *title;  /* 国务院办公厅关于YYYY年部分节假日安排的通知 */
	char *docno;  /* 国办发明电〔2024〕12号, or NULL when the copy has none */
	long issued;  /* date of issue (the line under 国务院办公厅), or -1 when absent */
	char **names; /* one per item, in order */
	size_t nitems;
	struct notice_entry *entries; /* per item: its days off, then its make-up days */
	size_t nentries;
	char **notes; /* "line 9: 鼓励..." sentences of advice, not applied */
	size_t nnotes;
};

/* Read a notice (name is used in messages: "name:line: ..."). CP_ERR_FORMAT for text that
 * is not UTF-8 or not a yearly holiday notice, CP_ERR_INVALID for a sentence it cannot read
 * or dates that contradict the notice's own weekdays or day counts. */
int holiday_notice_parse(const char *text, size_t len, const char *name,
			 struct holiday_notice **out);
void holiday_notice_free(struct holiday_notice *n);

/* The calendar file's block for the year (docs/calendar-format.md): the `year` line (source:
 * the document number, else the title, then the date of issue), then `holiday` and `workday`
 * lines item by item. No trailing blank line. CP_ERR_INVALID when the date of issue is
 * unknown (n->issued < 0). */
int holiday_notice_block(const struct holiday_notice *n, struct buf *out);

#endif
