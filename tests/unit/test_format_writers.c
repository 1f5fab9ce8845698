/*
 * test_format_writers.c - the output writers in formats/ on plain structs, without a
 * registry: the status feed record (formats/status-feed.md), the rejects file
 * (formats/rejects-csv.md), the mail manifest (formats/mail-manifest.xsd, docs/dispatch.md)
 * and the bank reconciliation report (formats/bank-reconciliation.xsd), byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/bank_reconciliation.h"
#include "formats/mail_manifest.h"
#include "formats/rejects_csv.h"
#include "formats/status_feed.h"

static void
test_status_feed_records(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	const struct status_feed_record app = {.seq = 7,
					       .at = "2026-11-26T12:00:00Z",
					       .app_id = 3,
					       .channel = "website",
					       .channel_ref = "W-1",
					       .id_number = "110101199001011234",
					       .entity = "application",
					       .event = "received->rejected",
					       .detail = "id-check-digit"};
	/* a card that is not held: its detail is no reason; no application known */
	const struct status_feed_record card = {.seq = 8,
						.at = "2026-11-26T12:00:01Z",
						.entity = "card",
						.event = "allocated",
						.card_no = "B0000001V",
						.detail = "whatever"};
	const struct status_feed_record held = {.seq = 9,
						.entity = "card",
						.event = "produced->held",
						.card_no = "B0000001V",
						.detail = "name-font"};

	(void)state;
	assert_int_equal(status_feed_line(&b, &app), 0);
	assert_int_equal(status_feed_line(&b, &card), 0);
	assert_int_equal(status_feed_line(&b, &held), 0);
	assert_string_equal(
		buf_str(&b),
		"{\"seq\":7,\"at\":\"2026-11-26T12:00:00Z\",\"application\":3,\"channel\":"
		"\"website\",\"channel_ref\":\"W-1\",\"id_number\":\"110101********1234\","
		"\"entity\":\"application\",\"event\":\"received->rejected\",\"state\":"
		"\"rejected\",\"reason\":\"id-check-digit\"}\n"
		"{\"seq\":8,\"at\":\"2026-11-26T12:00:01Z\",\"entity\":\"card\",\"event\":"
		"\"allocated\",\"state\":\"allocated\",\"card_no\":\"B0000001V\"}\n"
		"{\"seq\":9,\"at\":\"\",\"entity\":\"card\",\"event\":\"produced->held\","
		"\"state\":\"held\",\"card_no\":\"B0000001V\",\"reason\":\"name-font\"}\n");
	assert_null(strstr(buf_str(&b), "1990"));
	buf_release(&b);
}

static void
test_rejects_csv_lines(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct rejects_csv w;
	const struct rejects_csv_row rows[] = {
		{2, "REF-2", "line 3", "id-check-digit", "id_number", "证件号码校验位错误",
		 "id_number '110101********1235': wrong check digit"},
		/* a cell that a spreadsheet would evaluate, a comma, no channel reference */
		{5, NULL, "Employee[5] (line 40)", "field-charset", "name", "=1+1", "a, b"},
	};

	(void)state;
	assert_int_equal(rejects_csv_begin(&w, &b, "batch\n1.xml"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(rejects_csv_add(&w, &rows[i]), 0);
	rejects_csv_release(&w);
	assert_string_equal(
		buf_str(&b),
		"\xEF\xBB\xBF"
		"record_no,channel_ref,location,reason_code,field,message_zh,message_en,input_"
		"file\n"
		"2,REF-2,line 3,id-check-digit,id_number,证件号码校验位错误,id_number "
		"'110101********1235': wrong check digit,batch\\n1.xml\n"
		"5,,Employee[5] (line 40),field-charset,name,\"'=1+1\",\"a, b\",batch\\n1.xml\n");
	buf_release(&b);

	/* a file with no rejected record: the header only */
	assert_int_equal(rejects_csv_begin(&w, &b, NULL), 0);
	rejects_csv_release(&w);
	assert_string_equal(buf_str(&b), "\xEF\xBB\xBF"
					 "record_no,channel_ref,location,reason_code,field,"
					 "message_zh,message_en,input_file\n");
	buf_release(&b);
}

/* Three items: two in one bag of district 110101 (one to an employer), one in 110229,
 * which has no name. */
static const struct mail_item items[] = {
	{"100010-01", "EK000000014CN", "100010", "110101", "东城区", "B00000017", "张三", "",
	 "110101199001011234", "13812345678", "北京市东城区1号", "2026-12-26"},
	{"100010-01", "EK000000028CN", "100010", "110101", "东城区", "B00000025", "李四",
	 "测试公司", "110101199001015678", "138****5678", "北京市东城区2号", "2026-12-27"},
	{"102100-01", "EK000000031CN", "102100", "110229", NULL, "B00000033", "王五", "",
	 "110229199001019999", NULL, "北京市延庆区3号", "2026-12-28"},
};

static void
test_mail_manifest_csvs(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct mail_district *d;
	size_t nd;

	(void)state;
	assert_int_equal(mail_manifest_csv(items, ARRAY_SIZE(items), &b), 0);
	assert_string_equal(
		buf_str(&b),
		"seq,bag,tracking_no,postal_code,district,recipient,organisation,address,mobile,"
		"card_no,id_number_masked,sla_due_date\r\n"
		"1,100010-01,EK000000014CN,100010,110101,张三,,北京市东城区1号,13812345678,"
		"B00000017,110101********1234,2026-12-26\r\n"
		"2,100010-01,EK000000028CN,100010,110101,李四,测试公司,北京市东城区2号,"
		"138****5678,B00000025,110101********5678,2026-12-27\r\n"
		"3,102100-01,EK000000031CN,102100,110229,王五,,北京市延庆区3号,,B00000033,"
		"110229********9999,2026-12-28\r\n");
	buf_release(&b);

	assert_int_equal(mail_districts_csv(items, ARRAY_SIZE(items), &b), 0);
	assert_string_equal(buf_str(&b), "district,district_name,items,bags\r\n"
					 "110101,东城区,2,1\r\n"
					 "110229,,1,1\r\n");
	buf_release(&b);

	mail_districts(items, ARRAY_SIZE(items), &d, &nd);
	assert_int_equal(nd, 2);
	assert_string_equal(d[0].district, "110101");
	assert_int_equal(d[0].items, 2);
	assert_null(d[1].name);
	free(d);
}

static void
test_mail_manifest_xml(void **state)
{
	const struct mail_manifest_head head = {"20261126-01", "2026-11-26T12:00:00Z", "测试"};
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	const char *x;

	(void)state;
	assert_int_equal(mail_manifest_xml(&head, items, ARRAY_SIZE(items), &b), 0);
	x = buf_str(&b);
	assert_non_null(strstr(
		x, "<MailManifest version=\"1\" batch=\"20261126-01\" "
		   "created=\"2026-11-26T12:00:00Z\" sender=\"测试\" items=\"3\" "
		   "bags=\"2\" xmlns=\"urn:cardpipe:mail-manifest:1\">\n"
		   "  <Bag id=\"100010-01\" postalCode=\"100010\">\n"
		   "    <Item seq=\"1\">\n"
		   "      <TrackingNo>EK000000014CN</TrackingNo>\n"
		   "      <CardNo code=\"AAZ500\">B00000017</CardNo>\n"
		   "      <Recipient code=\"AAC003\">张三</Recipient>\n"
		   "      <IdNumberMasked code=\"AAC002\">110101********1234</IdNumberMasked>\n"));
	/* the organisation only for the card mailed to the employer */
	assert_non_null(strstr(x, "<Recipient code=\"AAC003\">李四</Recipient>\n"
				  "      <Organisation>测试公司</Organisation>\n"));
	assert_null(strstr(x, "<Organisation></Organisation>"));
	assert_non_null(strstr(x, "<Item seq=\"3\">"));
	assert_non_null(strstr(x, "<Mobile code=\"AAE005\"></Mobile>"));
	assert_non_null(
		strstr(x, "  <Summary>\n"
			  "    <District code=\"110101\" name=\"东城区\" items=\"2\" bags=\"1\"/>\n"
			  "    <District code=\"110229\" items=\"1\" bags=\"1\"/>\n"
			  "  </Summary>\n"
			  "</MailManifest>\n"));
	assert_null(strstr(x, "1990"));
	buf_release(&b);
}

static void
test_bank_recon_round_trip(void **state)
{
	/* the report's strings are char *: a report read back owns them */
	char chip[] = "chip", jam[] = "jam", pan[] = "6212260000000000017", no[] = "B00000017",
	     at[] = "2026-11-26T01:00:00Z", ref[] = "R,1", b1[] = "B1", b2[] = "B2",
	     req[] = "2026-11-26", bank[] = "ICBC", day[] = "2026-11-26";
	struct bank_recon_spoil sp[] = {{chip, "card", 2}, {jam, "line", 1}};
	struct bank_recon_card cards[] = {{pan, no, at}};
	struct bank_recon_refund rf[] = {{12, 1234, ref, b1, b2, req}};
	struct bank_recon rep = {.bank = bank,
				 .day = day,
				 .issuer = "测试",
				 .c = {5, 1, 3, 1, 0},
				 .spoiled = sp,
				 .nspoiled = 2,
				 .cards = cards,
				 .ncards = 1,
				 .refunds = rf,
				 .nrefunds = 1,
				 .refund_days = 2};
	struct buf xml, csv;
	struct bank_recon a, c;

	(void)state;
	assert_int_equal(bank_recon_write_xml(&rep, &xml), 0);
	assert_int_equal(bank_recon_write_csv(&rep, &csv), 0);
	assert_non_null(strstr(buf_str(&xml), "<Reason code=\"jam\" fault=\"line\" count=\"1\"/>"));
	assert_non_null(strstr(buf_str(&xml),
			       "<TransportRefunds count=\"1\" totalFen=\"1234\" dueDays=\"2\">"));
	assert_non_null(strstr(buf_str(&xml), "requested=\"2026-11-26\" due=\"2026-11-28\"/>"));
	assert_non_null(strstr(buf_str(&xml), "issuer=\"测试\""));
	assert_non_null(strstr(buf_str(&csv), "\r\nspoiled,,,,,chip,card,2,,,,,,,,,\r\n"));
	assert_non_null(strstr(buf_str(&csv), "\r\nrefund,,,,,,,,,,,12,\"R,1\",B1,B2,1234,"
					      "2026-11-28\r\n"));

	assert_int_equal(bank_recon_parse_xml(xml.data, xml.len, &a), 0);
	assert_int_equal(bank_recon_parse_csv(csv.data, csv.len, &c), 0);
	for (struct bank_recon *r = &a; r; r = r == &a ? &c : NULL) {
		assert_string_equal(r->bank, "ICBC");
		assert_string_equal(r->day, "2026-11-26");
		assert_int_equal(r->c.ordered, 5);
		assert_int_equal(r->c.spoiled, 3);
		assert_int_equal(r->nspoiled, 2);
		assert_string_equal(r->spoiled[1].code, "jam");
		assert_int_equal(r->spoiled[1].count, 1);
		assert_null(r->spoiled[1].fault);
		assert_int_equal(r->ncards, 1);
		assert_string_equal(r->cards[0].pan, "6212260000000000017");
		assert_int_equal(r->nrefunds, 1);
		assert_string_equal(r->refunds[0].channel_ref, "R,1");
		assert_int_equal(r->refunds[0].amount_fen, 1234);
		assert_int_equal(r->total_fen, 1234);
	}
	assert_int_equal(a.stated_count, 1);
	assert_int_equal(c.stated_count, -1);
	bank_recon_release(&a);
	bank_recon_release(&c);
	assert_null(a.bank);
	buf_release(&xml);
	buf_release(&csv);

	/* a negative refund is never written */
	rf[0].amount_fen = -1;
	assert_int_equal(bank_recon_write_xml(&rep, &xml), CP_ERR_INTEGRITY);
	buf_release(&xml);
	/* a bad count read back leaves nothing behind */
	assert_int_equal(bank_recon_parse_csv((const unsigned char *)"record,a,b,c,d,e,f\r\n"
								     "count,ordered,-1\r\n",
					      38, &c),
			 CP_ERR_FORMAT);
	assert_null(c.bank);
	assert_int_equal(c.nspoiled, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_feed_records),
		cmocka_unit_test(test_rejects_csv_lines),
		cmocka_unit_test(test_mail_manifest_csvs),
		cmocka_unit_test(test_mail_manifest_xml),
		cmocka_unit_test(test_bank_recon_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
