/*
 * idnumber.c - validation of identity numbers (GB 11643 MOD 11-2, residence permits,
 * foreign permanent resident numbers old and new); see idnumber.h for the layouts.
 */
#include "pipeline/rules/idnumber.h"

#include "core/clock.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {"citizen", "hk", "mo", "tw", "fpr", "fpr-old"};

/* ISO 3166-1 (alpha-3, numeric), all 249 assigned entries. */
static const struct country {
	char alpha3[4];
	short numeric;
} countries[] = {
	{"AFG", 4},   {"ALA", 248}, {"ALB", 8},	  {"DZA", 12},	{"ASM", 16},  {"AND", 20},
	{"AGO", 24},  {"AIA", 660}, {"ATA", 10},  {"ATG", 28},	{"ARG", 32},  {"ARM", 51},
	{"ABW", 533}, {"AUS", 36},  {"AUT", 40},  {"AZE", 31},	{"BHS", 44},  {"BHR", 48},
	{"BGD", 50},  {"BRB", 52},  {"BLR", 112}, {"BEL", 56},	{"BLZ", 84},  {"BEN", 204},
	{"BMU", 60},  {"BTN", 64},  {"BOL", 68},  {"BES", 535}, {"BIH", 70},  {"BWA", 72},
	{"BVT", 74},  {"BRA", 76},  {"IOT", 86},  {"BRN", 96},	{"BGR", 100}, {"BFA", 854},
	{"BDI", 108}, {"CPV", 132}, {"KHM", 116}, {"CMR", 120}, {"CAN", 124}, {"CYM", 136},
	{"CAF", 140}, {"TCD", 148}, {"CHL", 152}, {"CHN", 156}, {"CXR", 162}, {"CCK", 166},
	{"COL", 170}, {"COM", 174}, {"COG", 178}, {"COD", 180}, {"COK", 184}, {"CRI", 188},
	{"CIV", 384}, {"HRV", 191}, {"CUB", 192}, {"CUW", 531}, {"CYP", 196}, {"CZE", 203},
	{"DNK", 208}, {"DJI", 262}, {"DMA", 212}, {"DOM", 214}, {"ECU", 218}, {"EGY", 818},
	{"SLV", 222}, {"GNQ", 226}, {"ERI", 232}, {"EST", 233}, {"SWZ", 748}, {"ETH", 231},
	{"FLK", 238}, {"FRO", 234}, {"FJI", 242}, {"FIN", 246}, {"FRA", 250}, {"GUF", 254},
	{"PYF", 258}, {"ATF", 260}, {"GAB", 266}, {"GMB", 270}, {"GEO", 268}, {"DEU", 276},
	{"GHA", 288}, {"GIB", 292}, {"GRC", 300}, {"GRL", 304}, {"GRD", 308}, {"GLP", 312},
	{"GUM", 316}, {"GTM", 320}, {"GGY", 831}, {"GIN", 324}, {"GNB", 624}, {"GUY", 328},
	{"HTI", 332}, {"HMD", 334}, {"VAT", 336}, {"HND", 340}, {"HKG", 344}, {"HUN", 348},
	{"ISL", 352}, {"IND", 356}, {"IDN", 360}, {"IRN", 364}, {"IRQ", 368}, {"IRL", 372},
	{"IMN", 833}, {"ISR", 376}, {"ITA", 380}, {"JAM", 388}, {"JPN", 392}, {"JEY", 832},
	{"JOR", 400}, {"KAZ", 398}, {"KEN", 404}, {"KIR", 296}, {"PRK", 408}, {"KOR", 410},
	{"KWT", 414}, {"KGZ", 417}, {"LAO", 418}, {"LVA", 428}, {"LBN", 422}, {"LSO", 426},
	{"LBR", 430}, {"LBY", 434}, {"LIE", 438}, {"LTU", 440}, {"LUX", 442}, {"MAC", 446},
	{"MDG", 450}, {"MWI", 454}, {"MYS", 458}, {"MDV", 462}, {"MLI", 466}, {"MLT", 470},
	{"MHL", 584}, {"MTQ", 474}, {"MRT", 478}, {"MUS", 480}, {"MYT", 175}, {"MEX", 484},
	{"FSM", 583}, {"MDA", 498}, {"MCO", 492}, {"MNG", 496}, {"MNE", 499}, {"MSR", 500},
	{"MAR", 504}, {"MOZ", 508}, {"MMR", 104}, {"NAM", 516}, {"NRU", 520}, {"NPL", 524},
	{"NLD", 528}, {"NCL", 540}, {"NZL", 554}, {"NIC", 558}, {"NER", 562}, {"NGA", 566},
	{"NIU", 570}, {"NFK", 574}, {"MKD", 807}, {"MNP", 580}, {"NOR", 578}, {"OMN", 512},
	{"PAK", 586}, {"PLW", 585}, {"PSE", 275}, {"PAN", 591}, {"PNG", 598}, {"PRY", 600},
	{"PER", 604}, {"PHL", 608}, {"PCN", 612}, {"POL", 616}, {"PRT", 620}, {"PRI", 630},
	{"QAT", 634}, {"REU", 638}, {"ROU", 642}, {"RUS", 643}, {"RWA", 646}, {"BLM", 652},
	{"SHN", 654}, {"KNA", 659}, {"LCA", 662}, {"MAF", 663}, {"SPM", 666}, {"VCT", 670},
	{"WSM", 882}, {"SMR", 674}, {"STP", 678}, {"SAU", 682}, {"SEN", 686}, {"SRB", 688},
	{"SYC", 690}, {"SLE", 694}, {"SGP", 702}, {"SXM", 534}, {"SVK", 703}, {"SVN", 705},
	{"SLB", 90},  {"SOM", 706}, {"ZAF", 710}, {"SGS", 239}, {"SSD", 728}, {"ESP", 724},
	{"LKA", 144}, {"SDN", 729}, {"SUR", 740}, {"SJM", 744}, {"SWE", 752}, {"CHE", 756},
	{"SYR", 760}, {"TWN", 158}, {"TJK", 762}, {"TZA", 834}, {"THA", 764}, {"TLS", 626},
	{"TGO", 768}, {"TKL", 772}, {"TON", 776}, {"TTO", 780}, {"TUN", 788}, {"TUR", 792},
	{"TKM", 795}, {"TCA", 796}, {"TUV", 798}, {"UGA", 800}, {"UKR", 804}, {"ARE", 784},
	{"GBR", 826}, {"USA", 840}, {"UMI", 581}, {"URY", 858}, {"UZB", 860}, {"VUT", 548},
	{"VEN", 862}, {"VNM", 704}, {"VGB", 92},  {"VIR", 850}, {"WLF", 876}, {"ESH", 732},
	{"YEM", 887}, {"ZMB", 894}, {"ZWE", 716},
};

/* The old 15-character cards were issued until the 2023 card replaced them (2023-12-01),
 * so a YYMMDD birth date on one lies on or before this day: that picks the century. */
#define FPR_OLD_LAST_ISSUE_YEAR 2023
#define FPR_OLD_LAST_ISSUE_MONTH 11
#define FPR_OLD_LAST_ISSUE_DAY 30

const char *
id_kind_name(enum id_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

int
id_kind_parse(const char *name, enum id_kind *kind)
{
	for (size_t i = 0; name && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(name, kind_names[i])) {
			*kind = (enum id_kind)i;
			return 0;
		}
	return cp_err(CP_ERR_INVALID,
		      "ID type '%s' is not one of citizen, hk, mo, tw, fpr, fpr-old",
		      name ? name : "");
}

const char *
id_country_alpha3(int numeric)
{
	for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++)
		if (countries[i].numeric == numeric)
			return countries[i].alpha3;
	return NULL;
}

int
id_country_numeric(const char *alpha3)
{
	for (size_t i = 0; alpha3 && i < sizeof(countries) / sizeof(countries[0]); i++)
		if (!strcmp(countries[i].alpha3, alpha3))
			return countries[i].numeric;
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

char
id_check_char(const char *first17)
{
	static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;

	if (!first17)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(first17[i]))
			return 0;
		sum += (first17[i] - '0') * weights[i];
	}
	return "10X98765432"[sum % 11];
}

char
id_fpr_old_check_char(const char *first14)
{
	static const int weights[3] = {7, 3, 1};
	int sum = 0, v;

	if (!first14)
		return 0;
	for (int i = 0; i < 14; i++) {
		char c = first14[i];

		if (is_digit(c))
			v = c - '0';
		else if (c >= 'A' && c <= 'Z')
			v = c - 'A' + 10;
		else
			return 0;
		sum += v * weights[i % 3];
	}
	return (char)('0' + sum % 10);
}

/* GB/T 2260 province-level codes, plus 71 Taiwan, 81 Hong Kong, 82 Macau. */
static int
province_valid(int p)
{
	return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
	       (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
	       p == 81 || p == 82;
}

/* A short printable copy of untrusted input for messages (never a full ID in logs: the
 * callers mask; here only a position and a character are quoted). */
static void
char_desc(char c, char *out, size_t outsz)
{
	if (c >= 0x21 && c <= 0x7e)
		snprintf(out, outsz, "'%c'", c);
	else
		snprintf(out, outsz, "byte 0x%02X", (unsigned char)c);
}

/* Every position must be a digit, except the last when last_may_be_x. */
static int
check_digits(const char *number, size_t len, int last_may_be_x, const char *what)
{
	char d[16];

	for (size_t i = 0; i < len; i++) {
		if (is_digit(number[i]))
			continue;
		if (i == len - 1 && last_may_be_x) {
			if (number[i] == 'X')
				continue;
			if (number[i] == 'x')
				return cp_err(CP_ERR_INVALID,
					      "%s: check character is a lower-case 'x'; write 'X'",
					      what);
			char_desc(number[i], d, sizeof(d));
			return cp_err(CP_ERR_INVALID,
				      "%s: check character %s is not a digit or 'X'", what, d);
		}
		char_desc(number[i], d, sizeof(d));
		return cp_err(CP_ERR_INVALID, "%s: character %zu is %s, not a digit", what, i + 1,
			      d);
	}
	return 0;
}

/* Birth date from y/m/d digits: a real date in [1900-01-01, today]. */
static int
check_birth(int y, int m, int d, const char *text, long now_days, const char *what, char *out)
{
	int cy, cm, cd;
	long days;

	if (m < 1 || m > 12 || d < 1 || d > 31)
		return cp_err(CP_ERR_INVALID, "%s: birth date %s is not a real date", what, text);
	days = cp_days_from_civil(y, m, d);
	cp_civil_from_days(days, &cy, &cm, &cd);
	if (cy != y || cm != m || cd != d)
		return cp_err(CP_ERR_INVALID, "%s: birth date %s is not a real date", what, text);
	if (y < 1900)
		return cp_err(CP_ERR_INVALID, "%s: birth date %s is before 1900", what, text);
	if (days > now_days)
		return cp_err(CP_ERR_INVALID, "%s: birth date %s is in the future", what, text);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}

static int
num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
bad(const char **reason, const char *code, int r)
{
	*reason = code;
	return r;
}

static int
validate18(enum id_kind kind, const char *number, long now_days, struct id_info *info,
	   const char **reason)
{
	const char *what = id_kind_name(kind);
	char expect, date[9], birth[11] = "";
	int r, province, y, m, d;

	if ((r = check_digits(number, 18, 1, what)) < 0)
		return bad(reason, "id-format", r);

	if (kind == ID_FPR) {
		int nat;

		if (number[0] != '9')
			return bad(reason, "id-format",
				   cp_err(CP_ERR_INVALID,
					  "fpr: first digit is %c, a 2023 foreign permanent "
					  "resident number starts with 9",
					  number[0]));
		province = num(number + 1, 2);
		if (!province_valid(province) || province == 81 || province == 82 || province == 71)
			return bad(reason, "id-region",
				   cp_err(CP_ERR_INVALID,
					  "fpr: issuing province %02d (digits 2-3) is not a "
					  "mainland GB/T 2260 province code",
					  province));
		nat = num(number + 3, 3);
		if (!id_country_alpha3(nat))
			return bad(reason, "id-region",
				   cp_err(CP_ERR_INVALID,
					  "fpr: nationality %03d (digits 4-6) is not an ISO "
					  "3166-1 numeric country code",
					  nat));
		if (nat == 156)
			return bad(reason, "id-region",
				   cp_err(CP_ERR_INVALID,
					  "fpr: nationality 156 (digits 4-6) is China; a foreign "
					  "permanent resident is not a Chinese national"));
		if (info) {
			info->region[0] = '\0';
			snprintf(info->nationality, sizeof(info->nationality), "%03d", nat);
		}
	} else {
		static const char *const fixed[] = {
			[ID_HK] = "810000", [ID_MO] = "820000", [ID_TW] = "830000"};

		if (kind == ID_CITIZEN) {
			province = num(number, 2);
			if (!province_valid(province))
				return bad(reason, "id-region",
					   cp_err(CP_ERR_INVALID,
						  "citizen: region code %.6s: province %02d is not "
						  "a GB/T 2260 province code",
						  number, province));
			for (int k = ID_HK; k <= ID_TW; k++)
				if (!strncmp(number, fixed[k], 6))
					return bad(reason, "id-region",
						   cp_err(CP_ERR_INVALID,
							  "citizen: region code %.6s is the %s "
							  "residence permit code; the ID type "
							  "should be '%s'",
							  number,
							  k == ID_HK   ? "Hong Kong"
							  : k == ID_MO ? "Macau"
								       : "Taiwan",
							  id_kind_name((enum id_kind)k)));
		} else if (strncmp(number, fixed[kind], 6) != 0) {
			return bad(reason, "id-region",
				   cp_err(CP_ERR_INVALID,
					  "%s: region code is %.6s, a %s residence permit "
					  "number starts with %s",
					  what, number,
					  kind == ID_HK	  ? "Hong Kong"
					  : kind == ID_MO ? "Macau"
							  : "Taiwan",
					  fixed[kind]));
		}
		if (info) {
			memcpy(info->region, number, 6);
			info->region[6] = '\0';
			strcpy(info->nationality, "CHN");
		}
	}

	memcpy(date, number + 6, 8);
	date[8] = '\0';
	y = num(number + 6, 4);
	m = num(number + 10, 2);
	d = num(number + 12, 2);
	if ((r = check_birth(y, m, d, date, now_days, what, info ? info->birth_date : birth)) < 0)
		return bad(reason, "id-birth-date", r);

	expect = id_check_char(number);
	if (expect != number[17])
		return bad(reason, "id-check-digit",
			   cp_err(CP_ERR_INVALID, "%s: check character is %c, expected %c", what,
				  number[17], expect));
	if (info) {
		info->kind = kind;
		info->sex = (number[16] - '0') % 2 ? 1 : 2;
	}
	return 0;
}

static int
validate_fpr_old(const char *number, long now_days, struct id_info *info, const char **reason)
{
	char alpha3[4], date[7], d1[16], birth[11] = "", expect;
	int r, province, y, m, d, sy, sm, sd;

	for (int i = 0; i < 3; i++)
		if (number[i] < 'A' || number[i] > 'Z') {
			char_desc(number[i], d1, sizeof(d1));
			return bad(reason, "id-format",
				   cp_err(CP_ERR_INVALID,
					  "fpr-old: character %d is %s, the first 3 are an "
					  "upper-case ISO 3166-1 alpha-3 nationality",
					  i + 1, d1));
		}
	for (int i = 3; i < 15; i++)
		if (!is_digit(number[i])) {
			char_desc(number[i], d1, sizeof(d1));
			return bad(reason, "id-format",
				   cp_err(CP_ERR_INVALID,
					  "fpr-old: character %d is %s, not a digit", i + 1, d1));
		}
	memcpy(alpha3, number, 3);
	alpha3[3] = '\0';
	if (id_country_numeric(alpha3) < 0)
		return bad(reason, "id-region",
			   cp_err(CP_ERR_INVALID,
				  "fpr-old: nationality %s is not an ISO 3166-1 alpha-3 code",
				  alpha3));
	if (!strcmp(alpha3, "CHN"))
		return bad(reason, "id-region",
			   cp_err(CP_ERR_INVALID, "fpr-old: nationality CHN is China; a foreign "
						  "permanent resident is not a Chinese national"));
	province = num(number + 3, 2);
	if (!province_valid(province) || province == 71 || province == 81 || province == 82)
		return bad(reason, "id-region",
			   cp_err(CP_ERR_INVALID,
				  "fpr-old: issuing area %.4s: province %02d is not a mainland "
				  "GB/T 2260 province code",
				  number + 3, province));

	memcpy(date, number + 7, 6);
	date[6] = '\0';
	y = num(number + 7, 2);
	m = num(number + 9, 2);
	d = num(number + 11, 2);
	/* the century: 20YY when that day is on or before the last issue of an old card and
	 * not in the future, else 19YY */
	sy = 2000 + y;
	sm = m;
	sd = d;
	if (cp_days_from_civil(sy, sm, sd) > cp_days_from_civil(FPR_OLD_LAST_ISSUE_YEAR,
								FPR_OLD_LAST_ISSUE_MONTH,
								FPR_OLD_LAST_ISSUE_DAY) ||
	    cp_days_from_civil(sy, sm, sd) > now_days)
		sy = 1900 + y;
	if ((r = check_birth(sy, sm, sd, date, now_days, "fpr-old",
			     info ? info->birth_date : birth)) < 0)
		return bad(reason, "id-birth-date", r);

	expect = id_fpr_old_check_char(number);
	if (expect != number[14])
		return bad(reason, "id-check-digit",
			   cp_err(CP_ERR_INVALID, "fpr-old: check character is %c, expected %c",
				  number[14], expect));
	if (info) {
		info->kind = ID_FPR_OLD;
		info->sex = (number[13] - '0') % 2 ? 1 : 2;
		info->region[0] = '\0';
		strcpy(info->nationality, alpha3);
	}
	return 0;
}

int
id_validate_reason(enum id_kind kind, const char *number, long now_days, struct id_info *info,
		   const char **reason)
{
	const char *dummy;
	size_t want, len;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if ((unsigned)kind > ID_FPR_OLD)
		return bad(reason, "id-format",
			   cp_err(CP_ERR_INVALID, "ID kind %d is not known", (int)kind));
	if (!number || !number[0])
		return bad(reason, "id-format",
			   cp_err(CP_ERR_INVALID, "%s: ID number is empty", id_kind_name(kind)));
	want = kind == ID_FPR_OLD ? 15 : 18;
	len = strlen(number);
	if (len != want)
		return bad(reason, "id-format",
			   cp_err(CP_ERR_INVALID, "%s: ID number has %zu characters, expected %zu",
				  id_kind_name(kind), len, want));
	if (kind == ID_FPR_OLD)
		return validate_fpr_old(number, now_days, info, reason);
	return validate18(kind, number, now_days, info, reason);
}
