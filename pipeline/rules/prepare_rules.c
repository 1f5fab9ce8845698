/*
 * prepare_rules.c - the business rules prepare applies to one record (see prepare_rules.h).
 * The order of the checks is the order of the reasons a channel sees: the first failure is
 * the one reported, so a record is fixed one problem at a time, most basic first.
 */
#include "pipeline/rules/prepare_rules.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/mask.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "personalization/face/fonts.h"
#include "pipeline/rules/eligibility.h"
#include "pipeline/rules/fields.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/rules/money.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const app_types[] = {
	"new", "upgrade", "replace-lost", "replace-damaged", "change-info", "change-bank"};
static const char *const deliveries[] = {"mail-person", "mail-employer", "pickup"};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int
empty(const char *s)
{
	return !s || !s[0];
}

int
app_type_is_replacement(const char *app_type)
{
	return app_type && (!strncmp(app_type, "replace-", 8) || !strncmp(app_type, "change-", 7));
}

static int fail(struct verdict *v, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct verdict *v, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;

	v->code = code;
	v->field = field;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- configuration ---------------------------------------------------------------- */

static void
free_banks(struct rules_ctx *rc)
{
	for (size_t i = 0; i < rc->nbanks; i++)
		free(rc->banks[i]);
	free(rc->banks);
	rc->banks = NULL;
	rc->nbanks = 0;
	for (size_t i = 0; i < rc->nbranches; i++)
		free(rc->branches[i]);
	free(rc->branches);
	rc->branches = NULL;
	rc->nbranches = 0;
}

static int branch_shaped(const struct rules_ctx *rc, const char *branch);

/* banks.branches: the configured pickup branches, each of the form check_branch() wants. */
static int
load_branches(struct rules_ctx *rc, const struct config *cfg)
{
	char *copy = xstrdup(config_str(cfg, "banks.branches")), *tok, *save = NULL;
	int r = 0;

	for (tok = strtok_r(copy, ", ", &save); tok && r == 0; tok = strtok_r(NULL, ", ", &save)) {
		if (!branch_shaped(rc, tok)) {
			r = cp_err(CP_ERR_CONFIG,
				   "banks.branches: '%.40s' is not BANK-DISTRICT-NNN of a bank in "
				   "banks.cooperating and one of Beijing's 16 districts",
				   tok);
			break;
		}
		rc->branches = xrealloc(rc->branches, (rc->nbranches + 1) * sizeof(*rc->branches));
		rc->branches[rc->nbranches++] = xstrdup(tok);
	}
	free(copy);
	return r;
}

int
rules_init(struct rules_ctx *rc, const struct config *cfg, long today)
{
	const char *list = config_str(cfg, "banks.cooperating"), *mode;
	char *copy, *tok, *save = NULL;
	const char *chain;
	iconv_t cd;
	int r;

	memset(rc, 0, sizeof(*rc));
	rc->today = today;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		rc->banks = xrealloc(rc->banks, (rc->nbanks + 1) * sizeof(*rc->banks));
		rc->banks[rc->nbanks++] = xstrdup(tok);
	}
	free(copy);
	if (rc->nbanks == 0)
		return cp_err(CP_ERR_CONFIG, "banks.cooperating is empty");

	/* the table bounds each photo.* key; that the two sizes agree is a rule of two keys */
	photo_limits_from_config(cfg, &rc->photo);
	if (rc->photo.max_bytes < rc->photo.min_bytes) {
		r = cp_err(CP_ERR_CONFIG, "photo.max_bytes %ld is below photo.min_bytes %ld",
			   rc->photo.max_bytes, rc->photo.min_bytes);
		goto fail;
	}
	mode = config_str(cfg, "photo.on_failure");
	rc->photo_warn = !strcmp(mode, "warn");
	rc->minor_years = (int)config_int(cfg, "prepare.minor_age");
	rc->change_months = (int)config_int(cfg, "banks.change_months");

	if ((r = load_branches(rc, cfg)) < 0)
		goto fail;
	rc->max_refund_fen = config_int(cfg, "reconcile.max_refund_fen");

	cd = iconv_open("GB18030", "UTF-8");
	if (cd == (iconv_t)-1) {
		r = cp_err(CP_ERR_UNSUPPORTED, "iconv cannot convert UTF-8 to GB18030: %s",
			   strerror(errno));
		goto fail;
	}
	rc->gb18030 = cd;

	chain = config_str(cfg, "card.font");
	if ((r = fontset_open(chain, &rc->fonts)) < 0) {
		r = cp_err_wrap(CP_ERR_CONFIG, "card.font: ");
		goto fail;
	}
	return 0;
fail:
	rules_release(rc);
	return r;
}

void
rules_release(struct rules_ctx *rc)
{
	free_banks(rc);
	if (rc->gb18030)
		iconv_close((iconv_t)rc->gb18030);
	rc->gb18030 = NULL;
	fontset_free(rc->fonts);
	rc->fonts = NULL;
}

/* ---- dates ------------------------------------------------------------------------ */

static int
parse_2(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int
rules_app_time(const char *iso, long long *epoch)
{
	char date[11];
	int y, m, d, hh = 0, mm = 0, ss = 0, oh = 8, om = 0, sign = 1;
	const char *p;
	long long t;

	if (!iso || strlen(iso) < 10)
		return cp_err(CP_ERR_FORMAT, "'%s' is not an ISO 8601 date", iso ? iso : "");
	memcpy(date, iso, 10);
	date[10] = '\0';
	if (cp_parse_date(date, &y, &m, &d) < 0)
		return cp_err(CP_ERR_FORMAT, "'%.40s' does not start with a real YYYY-MM-DD date",
			      iso);
	p = iso + 10;
	if (*p == 'T' || *p == ' ') {
		if (parse_2(p + 1, &hh) < 0 || p[3] != ':' || parse_2(p + 4, &mm) < 0 || hh > 23 ||
		    mm > 59)
			return cp_err(CP_ERR_FORMAT, "'%.40s': the time is not HH:MM[:SS]", iso);
		p += 6;
		if (*p == ':') {
			if (parse_2(p + 1, &ss) < 0 || ss > 60)
				return cp_err(CP_ERR_FORMAT, "'%.40s': bad seconds", iso);
			p += 3;
			if (*p == '.' || *p == ',')
				for (p++; isdigit((unsigned char)*p); p++)
					;
		}
		if (*p == 'Z') {
			oh = 0;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (parse_2(p + 1, &oh) < 0 || oh > 14)
				return cp_err(CP_ERR_FORMAT, "'%.40s': bad zone offset", iso);
			p += 3;
			if (*p == ':')
				p++;
			if (*p && (parse_2(p, &om) < 0 || om > 59))
				return cp_err(CP_ERR_FORMAT, "'%.40s': bad zone offset", iso);
			if (*p)
				p += 2;
		}
	}
	if (*p)
		return cp_err(CP_ERR_FORMAT, "'%.40s' has trailing characters after the date/time",
			      iso);
	/* a date alone, or a time without a zone, is Beijing time (UTC+8, no DST) */
	t = (long long)cp_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss -
	    sign * (oh * 3600 + om * 60);
	*epoch = t;
	return 0;
}

int
rules_app_date(const char *iso, long *day)
{
	long long t;
	int r;

	if ((r = rules_app_time(iso, &t)) < 0)
		return r;
	t += cp_utc_offset((time_t)t); /* the date in the bureau's zone */
	*day = (long)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
	return 0;
}

static int
parse_day(const char *s, long *day)
{
	int y, m, d;

	if (!s || cp_parse_date(s, &y, &m, &d) < 0)
		return -1;
	*day = cp_days_from_civil(y, m, d);
	return 0;
}

/* ---- the record ------------------------------------------------------------------- */

static int
all_digits(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* mainland mobile: 11 digits, 1 then 3-9 */
static int
mobile_valid(const char *s)
{
	return all_digits(s, 11) && s[0] == '1' && s[1] >= '3' && s[1] <= '9';
}

/* any phone number (the XSDs' MobileValue): +?[0-9][0-9 -]{0,23} */
static int
phone_shaped(const char *s)
{
	size_t n;

	s += *s == '+';
	n = strlen(s);
	if (n < 1 || n > 24 || !isdigit((unsigned char)*s))
		return 0;
	return strspn(s, "0123456789 -") == n;
}

static int
bank_known(const struct rules_ctx *rc, const char *bank)
{
	for (size_t i = 0; i < rc->nbanks; i++)
		if (!strcmp(rc->banks[i], bank))
			return 1;
	return 0;
}

/* The ID number of kind/number is valid; otherwise the verdict says why. field names the
 * field for messages ("id_number", "guardian_id_number"). */
static int
check_id(const struct rules_ctx *rc, const char *type, const char *number, const char *type_field,
	 const char *field, const char *code_override, struct id_info *info, struct verdict *v)
{
	enum id_kind kind;
	const char *reason = NULL;
	char masked[40];

	if (id_kind_parse(type, &kind) < 0)
		return fail(v, code_override ? code_override : "id-type-unknown", type_field,
			    "%s '%.20s' is not one of citizen, hk, mo, tw, fpr, fpr-old",
			    type_field, type);
	if (id_validate_reason(kind, number, rc->today, info, &reason) < 0) {
		mask_id(number, masked, sizeof(masked));
		return fail(v,
			    code_override ? code_override
			    : reason	  ? reason
					  : "id-format",
			    field, "%s %s: %s", field, masked, cp_errmsg());
	}
	return 0;
}

/* The name must be non-empty UTF-8 that converts to GB18030 (the chip's EF06 and the
 * bank's systems carry GBK/GB18030). */
static int
check_name_encoding(const struct rules_ctx *rc, const char *name, struct verdict *v)
{
	char out[512], *in = (char *)name, *o = out;
	size_t inleft = strlen(name), outleft = sizeof(out);
	iconv_t cd = (iconv_t)rc->gb18030;

	iconv(cd, NULL, NULL, NULL, NULL);
	if (inleft > 200)
		return fail(v, "field-invalid", "name", "name is %zu bytes long; at most 200",
			    inleft);
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
		size_t at = (size_t)(in - name);

		return fail(v, "name-encoding", "name",
			    "name cannot be encoded in GB18030 at byte %zu (%s)", at + 1,
			    errno == EILSEQ   ? "invalid UTF-8 or a character GB18030 lacks"
			    : errno == EINVAL ? "truncated UTF-8 sequence"
					      : strerror(errno));
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return fail(v, "field-invalid", "name",
				    "name holds control character 0x%02X at byte %zu", *p,
				    (size_t)(p - (const unsigned char *)name) + 1);
	return 0;
}

/* ---- field bounds and character sets (formats/counter-csv.md "Field bounds") ---------- */

static const struct text_field {
	const char *name;
	size_t off;
	enum text_class cls;
	size_t max; /* characters */
} text_fields[] = {
	{"channel_ref", offsetof(struct app_record, channel_ref), TEXT_LINE, 64},
	{"outlet", offsetof(struct app_record, outlet), TEXT_CODE, 32},
	{"name", offsetof(struct app_record, name), TEXT_NAME, 50},
	{"address", offsetof(struct app_record, address), TEXT_LINE, 100},
	{"guardian_name", offsetof(struct app_record, guardian_name), TEXT_NAME, 50},
	{"guardian_id_type", offsetof(struct app_record, guardian_id_type), TEXT_CODE, 16},
	{"guardian_id_number", offsetof(struct app_record, guardian_id_number), TEXT_CODE, 32},
	{"guardian_proof", offsetof(struct app_record, guardian_proof), TEXT_LINE, 100},
	{"employer_name", offsetof(struct app_record, employer_name), TEXT_LINE, 100},
};

static int
check_text(const struct text_field *tf, const char *val, struct verdict *v)
{
	struct text_problem tp;
	char q[200];

	if (text_check(val, tf->cls, tf->max, &tp) == 0)
		return 0;
	if (tp.too_long)
		return fail(v, "field-too-long", tf->name,
			    "%s is %s%zu characters long; at most %zu", tf->name,
			    tp.nchars >= 100000 ? "over " : "", tp.nchars, tf->max);
	if (tp.bad_utf8)
		return fail(v, !strcmp(tf->name, "name") ? "name-encoding" : "field-charset",
			    tf->name, "%s is not valid UTF-8 at character %zu", tf->name, tp.at);
	text_shown(val, q, sizeof(q));
	return fail(v, tf->cls == TEXT_NAME ? "name-charset" : "field-charset", tf->name,
		    "%s '%s' %s: U+%04X at character %zu", tf->name, q, tp.why, tp.cp, tp.at);
}

/* 1 when s has the shape of pattern: 'A' a capital letter, '9' a digit, else itself. */
static int
code_shaped(const char *s, const char *pattern)
{
	for (; *pattern; s++, pattern++) {
		if (*pattern == '9'   ? !isdigit((unsigned char)*s)
		    : *pattern == 'A' ? !(*s >= 'A' && *s <= 'Z')
				      : *s != *pattern)
			return 0;
	}
	return *s == '\0';
}

/* Every field with a bound, a character set or a table, as far as the record alone tells. */
static int
check_fields(const struct rules_ctx *rc, const struct app_record *rec, struct verdict *v)
{
	char q[200];
	long long fen;

	for (size_t i = 0; i < ARRAY_SIZE(text_fields); i++) {
		const char *val = *(char *const *)((const char *)rec + text_fields[i].off);

		if (val && (check_text(&text_fields[i], val, v) < 0 || v->code))
			return 0;
	}
	if (rec->district && !beijing_district(rec->district)) {
		text_shown(rec->district, q, sizeof(q));
		return fail(v, "district-unknown", "district",
			    "district '%s' is not the GB/T 2260 code of one of Beijing's 16 "
			    "districts (110101 ... 110119)",
			    q);
	}
	if (rec->ethnicity &&
	    !(code_shaped(rec->ethnicity, "99") &&
	      ((strcmp(rec->ethnicity, "01") >= 0 && strcmp(rec->ethnicity, "56") <= 0) ||
	       !strcmp(rec->ethnicity, "97") || !strcmp(rec->ethnicity, "98")))) {
		text_shown(rec->ethnicity, q, sizeof(q));
		return fail(v, "field-invalid", "ethnicity",
			    "ethnicity '%s' is not a GB 3304 code (01-56, 97, 98)", q);
	}
	if (rec->nationality && id_country_numeric(rec->nationality) < 0) {
		text_shown(rec->nationality, q, sizeof(q));
		return fail(v, "field-invalid", "nationality",
			    "nationality '%s' is not an ISO 3166-1 alpha-3 code", q);
	}
	if (rec->old_card_no && cardno_validate_an9(rec->old_card_no) < 0) {
		text_shown(rec->old_card_no, q, sizeof(q));
		return fail(v, "old-card-invalid", "old_card_no", "old card number '%s': %s", q,
			    cp_errmsg());
	}
	if (rec->transport_balance) {
		int r = money_parse_fen(rec->transport_balance, rc->max_refund_fen, &fen);

		if (r < 0)
			return fail(v, r == CP_ERR_LIMIT ? "amount-too-large" : "amount-invalid",
				    "transport_balance",
				    "transport_balance %s (reconcile.max_refund_fen %lld)",
				    cp_errmsg(), rc->max_refund_fen);
	}
	return 0;
}

/* 1 for BANK-DISTRICT-NNN: a cooperating bank's outlet 001-999 in a Beijing district. */
static int
branch_shaped(const struct rules_ctx *rc, const char *branch)
{
	const char *d1 = strchr(branch, '-'), *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	char bank[17], dist[8];
	size_t bl = d1 ? (size_t)(d1 - branch) : 0;

	if (!d1 || !d2 || bl == 0 || bl >= sizeof(bank) || d2 - d1 - 1 != 6 ||
	    !code_shaped(d2 + 1, "999") || !strcmp(d2 + 1, "000"))
		return 0;
	memcpy(bank, branch, bl);
	bank[bl] = '\0';
	memcpy(dist, d1 + 1, 6);
	dist[6] = '\0';
	return bank_known(rc, bank) && beijing_district(dist);
}

/* A pickup branch: one of banks.branches when that table is configured, else any code of
 * the branch form. */
static int
check_branch(const struct rules_ctx *rc, const char *branch, struct verdict *v)
{
	char q[200];

	if (rc->nbranches ? in_list(branch, (const char *const *)rc->branches, rc->nbranches)
			  : branch_shaped(rc, branch))
		return 0;
	text_shown(branch, q, sizeof(q));
	if (rc->nbranches)
		return fail(v, "branch-unknown", "branch",
			    "branch '%s' is not one of the %zu branches of banks.branches", q,
			    rc->nbranches);
	return fail(v, "branch-unknown", "branch",
		    "branch '%s' is not BANK-DISTRICT-NNN (e.g. ICBC-110101-001) of a bank in "
		    "banks.cooperating and one of Beijing's 16 districts",
		    q);
}

int
rules_judge_record(const struct rules_ctx *rc, const struct app_record *rec, int insured,
		   const unsigned char *photo, size_t photo_len, struct verdict *v)
{
	struct photo_result pr;

	if (!photo || photo_len == 0)
		return rules_judge_checked(rc, rec, insured, NULL, v);
	photo_check(photo, photo_len, &rc->photo, &pr);
	return rules_judge_checked(rc, rec, insured, &pr, v);
}

/* ---- rules_judge_checked: one check after another, the first failure reported ---------- */

/* What a check of the record sees. */
struct judge_in {
	const struct app_record *rec;
	int insured;
	const struct photo_result *photo;
};

/* Each check leaves v->code NULL when the record passes it (and may fill v's facts:
 * app_date, birth, minor, the photo warning for the checks that follow). */
typedef int (*judge_check)(const struct rules_ctx *rc, const struct judge_in *in,
			   struct verdict *v);

/* required fields, in the order a form lists them; then the application type */
static int
judge_required(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	static const struct {
		const char *name;
		size_t off;
	} required[] = {
		{"app_type", offsetof(struct app_record, app_type)},
		{"name", offsetof(struct app_record, name)},
		{"id_type", offsetof(struct app_record, id_type)},
		{"id_number", offsetof(struct app_record, id_number)},
		{"bank", offsetof(struct app_record, bank)},
		{"delivery", offsetof(struct app_record, delivery)},
	};
	const struct app_record *rec = in->rec;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *val = *(char *const *)((const char *)rec + required[i].off);

		if (empty(val))
			return fail(v, "field-missing", required[i].name,
				    "required field '%s' is missing or empty", required[i].name);
	}
	if (!in_list(rec->app_type, app_types, sizeof(app_types) / sizeof(app_types[0])))
		return fail(v, "app-type-unknown", "app_type",
			    "app_type '%.40s' is not one of new, upgrade, replace-lost, "
			    "replace-damaged, change-info, change-bank",
			    rec->app_type);
	return 0;
}

static int
judge_fields(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	return check_fields(rc, in->rec, v);
}

/* the application date: every age and due date is counted from it */
static int
judge_app_date(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;

	if (empty(rec->submitted_at)) {
		v->app_date = rc->today;
	} else if (rules_app_date(rec->submitted_at, &v->app_date) < 0) {
		return fail(v, "field-invalid", "submitted_at", "submitted_at: %s", cp_errmsg());
	} else if (v->app_date > rc->today) {
		return fail(v, "field-invalid", "submitted_at",
			    "submitted_at '%.40s' is after today", rec->submitted_at);
	}
	return 0;
}

/* the declared sex against the ID number's */
static int
judge_sex(const struct app_record *rec, const struct id_info *info, struct verdict *v)
{
	int sex;

	if (empty(rec->sex))
		return 0;
	if (!strcmp(rec->sex, "1"))
		sex = 1;
	else if (!strcmp(rec->sex, "2"))
		sex = 2;
	else
		return fail(v, "field-invalid", "sex",
			    "sex '%.20s' is not 1 (male) or 2 (female) (GB/T 2261.1)", rec->sex);
	if (sex != info->sex)
		return fail(v, "id-sex-mismatch", "sex",
			    "declared sex %d (%s) but the ID number's sex digit says %d "
			    "(%s)",
			    sex, sex == 1 ? "male" : "female", info->sex,
			    info->sex == 1 ? "male" : "female");
	return 0;
}

/* the ID number, then what the record declares against it */
static int
judge_identity(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;
	struct id_info info;
	long declared;

	if (check_id(rc, rec->id_type, rec->id_number, "id_type", "id_number", NULL, &info, v) <
		    0 ||
	    v->code)
		return 0;
	if (parse_day(info.birth_date, &v->birth) < 0)
		return fail(v, "id-birth-date", "id_number",
			    "birth date in the ID number unreadable");
	if (judge_sex(rec, &info, v) < 0 || v->code)
		return 0;
	if (!empty(rec->birth_date)) {
		if (parse_day(rec->birth_date, &declared) < 0)
			return fail(v, "field-invalid", "birth_date",
				    "birth_date '%.20s' is not a real YYYY-MM-DD date",
				    rec->birth_date);
		if (declared != v->birth)
			return fail(v, "birth-date-mismatch", "birth_date",
				    "declared birth date %s but the ID number says %s",
				    rec->birth_date, info.birth_date);
	}
	if (v->birth > v->app_date)
		return fail(v, "id-birth-date", "id_number",
			    "birth date %s is after the application date", info.birth_date);
	return 0;
}

/* eligibility (item 4) */
static int
judge_eligibility(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	char detail[200];
	const char *why;

	if ((why = eligibility_check(in->rec->category, in->insured, v->birth, v->app_date, detail,
				     sizeof(detail))) != NULL)
		return fail(v, why, "category", "%s", detail);
	return 0;
}

/* minors (item 38): a guardian with a valid ID and proof of guardianship */
static int
judge_minor(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;
	struct id_info ginfo;
	const char *missing;
	long gbirth;

	v->minor = is_minor(v->birth, v->app_date, rc->minor_years);
	if (!v->minor)
		return 0;
	missing = empty(rec->guardian_name)	   ? "guardian_name"
		  : empty(rec->guardian_id_type)   ? "guardian_id_type"
		  : empty(rec->guardian_id_number) ? "guardian_id_number"
		  : empty(rec->guardian_proof)	   ? "guardian_proof"
						   : NULL;
	if (missing)
		return fail(v, "minor-no-guardian", missing,
			    "the applicant is under %d on the application date and needs a "
			    "guardian's name, ID type, ID number and proof of guardianship; "
			    "'%s' is missing",
			    rc->minor_years, missing);
	if (check_id(rc, rec->guardian_id_type, rec->guardian_id_number, "guardian_id_type",
		     "guardian_id_number", "guardian-id-invalid", &ginfo, v) < 0 ||
	    v->code)
		return 0;
	if (!strcmp(rec->guardian_id_type, rec->id_type) &&
	    !strcmp(rec->guardian_id_number, rec->id_number))
		return fail(v, "guardian-id-invalid", "guardian_id_number",
			    "the guardian's ID number is the applicant's own");
	if (parse_day(ginfo.birth_date, &gbirth) == 0 &&
	    is_minor(gbirth, v->app_date, rc->minor_years))
		return fail(v, "guardian-id-invalid", "guardian_id_number",
			    "the guardian's ID number gives birth date %s: the guardian is "
			    "under %d",
			    ginfo.birth_date, rc->minor_years);
	return 0;
}

/* employer batches: the employee must have confirmed (item 12) */
static int
judge_employer(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;
	long cday;

	if (!rec->channel || strcmp(rec->channel, "employer"))
		return 0;
	if (empty(rec->confirmed_at))
		return fail(v, "employee-unconfirmed", "confirmed_at",
			    "the employee has not confirmed this application (no "
			    "confirmed_at)");
	if (rules_app_date(rec->confirmed_at, &cday) < 0)
		return fail(v, "employee-unconfirmed", "confirmed_at", "confirmed_at: %s",
			    cp_errmsg());
	if (cday > rc->today)
		return fail(v, "employee-unconfirmed", "confirmed_at",
			    "confirmed_at '%.40s' is after today", rec->confirmed_at);
	return 0;
}

/* the bank (item 6) */
static int
judge_bank(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	if (!bank_known(rc, in->rec->bank))
		return fail(v, "bank-unknown", "bank", "bank '%.20s' is not in banks.cooperating",
			    in->rec->bank);
	return 0;
}

/* delivery: mailed cards need an address, a postal code and a mobile (item 13) */
static int
judge_delivery(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;
	int mail;

	if (!in_list(rec->delivery, deliveries, sizeof(deliveries) / sizeof(deliveries[0])))
		return fail(v, "delivery-unknown", "delivery",
			    "delivery '%.30s' is not mail-person, mail-employer or pickup",
			    rec->delivery);
	mail = !strncmp(rec->delivery, "mail-", 5);
	if (mail) {
		if (empty(rec->address))
			return fail(v, "mail-no-address", "address",
				    "delivery '%s' needs an address", rec->delivery);
		if (!all_digits(rec->postal_code, 6))
			return fail(v, "postal-code-invalid", "postal_code",
				    "postal code '%.20s' is not 6 digits",
				    rec->postal_code ? rec->postal_code : "");
		if (!mobile_valid(rec->mobile)) {
			char mm[32];

			mask_mobile(rec->mobile ? rec->mobile : "", mm, sizeof(mm));
			return fail(v, "mobile-invalid", "mobile",
				    "mobile '%s' is not a mainland mobile number (11 digits, "
				    "1 then 3-9)",
				    mm);
		}
	} else if (empty(rec->branch)) {
		return fail(v, "field-missing", "branch",
			    "delivery 'pickup' needs the branch where the card is collected");
	}
	if (!empty(rec->branch) && (check_branch(rc, rec->branch, v) < 0 || v->code))
		return 0;
	/* given though not needed, they are still printed: the same shapes */
	if (!mail && rec->postal_code && !all_digits(rec->postal_code, 6))
		return fail(v, "postal-code-invalid", "postal_code", "postal code is not 6 digits");
	if (!mail && rec->mobile && !phone_shaped(rec->mobile))
		return fail(v, "mobile-invalid", "mobile",
			    "mobile is not a phone number (digits, spaces and '-', an optional "
			    "leading '+', at most 24 characters)");
	return 0;
}

/* the name: GB18030 (drawability is a hold, rules_judge_hold) */
static int
judge_name(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	return check_name_encoding(rc, in->rec->name, v);
}

/* the photo (docs/domain-facts.md §3) */
static int
judge_photo(const struct rules_ctx *rc, const struct judge_in *in, struct verdict *v)
{
	const struct app_record *rec = in->rec;
	const struct photo_result *photo = in->photo;

	if (!photo)
		return fail(v, "photo-missing", "photo", "the application has no photo%s%.80s%s",
			    rec->photo_ref ? " (reference '" : "",
			    rec->photo_ref ? rec->photo_ref : "", rec->photo_ref ? "')" : "");
	if (photo->reason) {
		if (!rc->photo_warn || !strcmp(photo->reason, "photo-missing") ||
		    !strcmp(photo->reason, "photo-not-jpeg") ||
		    !strcmp(photo->reason, "photo-corrupt"))
			return fail(v, photo->reason, "photo", "%s", photo->detail);
		/* warn: a JPEG that decodes but misses the standard is let through */
		v->photo_warning = photo->reason;
		snprintf(v->photo_detail, sizeof(v->photo_detail), "%s", photo->detail);
	}
	return 0;
}

/* The prepare rules in the order their reasons are reported. */
static const judge_check judge_checks[] = {
	judge_required,	   judge_fields, judge_app_date, judge_identity,
	judge_eligibility, judge_minor,	 judge_employer, judge_bank,
	judge_delivery,	   judge_name,	 judge_photo,
};

int
rules_judge_checked(const struct rules_ctx *rc, const struct app_record *rec, int insured,
		    const struct photo_result *photo, struct verdict *v)
{
	const struct judge_in in = {.rec = rec, .insured = insured, .photo = photo};

	memset(v, 0, sizeof(*v));
	v->birth = -1;
	for (size_t i = 0; i < ARRAY_SIZE(judge_checks); i++)
		if (judge_checks[i](rc, &in, v) < 0 || v->code)
			return 0;
	return 0;
}

int
rules_judge_history(const struct rules_ctx *rc, const struct app_record *rec,
		    const struct person_facts *pf, struct verdict *v)
{
	/* the card a replacement or change names must be this person's own, not yet replaced;
	 * when the registry holds cards of theirs the old card must be named (item 22: only
	 * the card replaced is blocked for good, so it must be the right one) */
	if (app_type_is_replacement(rec->app_type)) {
		if (!empty(rec->old_card_no)) {
			if (!pf->old_found && pf->ncards > 0)
				return fail(
					v, "old-card-unknown", "old_card_no",
					"old card '%.20s' is not in the registry; the applicant "
					"has %d card(s) there",
					rec->old_card_no, pf->ncards);
			/* a change of ID number (item 24) names the card issued under the
			 * former number, which the registry files under another person */
			if (pf->old_found && !pf->old_is_theirs &&
			    strcmp(rec->app_type, "change-info") != 0)
				return fail(v, "old-card-unknown", "old_card_no",
					    "old card '%.20s' belongs to another person",
					    rec->old_card_no);
			if (pf->old_found && (!strcmp(pf->old_state, "superseded") ||
					      !strcmp(pf->old_state, "cancelled")))
				return fail(v, "old-card-superseded", "old_card_no",
					    "old card '%.20s' is already %s", rec->old_card_no,
					    pf->old_state);
		} else if (pf->ncards > 0) {
			return fail(v, "old-card-unknown", "old_card_no",
				    "a %s needs old_card_no: the applicant has %d card(s) in the "
				    "registry",
				    rec->app_type, pf->ncards);
		}
	}

	/* change of bank at most once in banks.change_months months (item 27) */
	if (pf->known && pf->bank[0] && strcmp(pf->bank, rec->bank) != 0 && pf->last_change >= 0 &&
	    age_months(pf->last_change, v->app_date) < rc->change_months) {
		int y, m, d;

		cp_civil_from_days(pf->last_change, &y, &m, &d);
		return fail(v, "bank-change-too-soon", "bank",
			    "bank %s -> %s: the last change of bank was on %04d-%02d-%02d, less "
			    "than %d months before the application",
			    pf->bank, rec->bank, y, m, d, rc->change_months);
	}
	if (!strcmp(rec->app_type, "change-bank") && pf->known && pf->bank[0] &&
	    !strcmp(pf->bank, rec->bank))
		return fail(v, "field-invalid", "bank",
			    "change-bank to %s, which is already the applicant's bank", rec->bank);
	return 0;
}

int
rules_judge_hold(const struct rules_ctx *rc, const struct app_record *rec, struct verdict *v)
{
	unsigned missing = 0;
	int r;

	r = fontset_covers(rc->fonts, rec->name, &missing);
	if (r < 0)
		return fail(v, "name-encoding", "name", "name is not valid UTF-8: %s", cp_errmsg());
	if (r == 0) {
		v->held = 1;
		return fail(v, "name-font", "name",
			    "name has U+%04X, which no font of the card font chain can draw; held "
			    "for manual handling",
			    missing);
	}
	return 0;
}
