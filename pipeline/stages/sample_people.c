/*
 * sample_people.c - synthetic people for `cardpipe sample` (see sample_people.h): names,
 * ID numbers of every kind (unique in a run), ages, Beijing addresses, mobiles, banks and
 * employers with valid unified social credit codes. The applications are sample_apps.c.
 */
#include "pipeline/stages/sample_people.h"

#include "core/clock.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- data ------------------------------------------------------------------------- */

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
	"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
	"彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
	"魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
	"薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
	"万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤",
};
static const char *const compound_surnames[] = {"欧阳", "司马", "诸葛", "上官", "皇甫", "令狐"};
static const char *const given_male[] = {
	"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉",
	"鹏", "华", "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭",
	"宁", "龙", "林", "欢", "阳", "建", "国", "志", "峰", "晨", "博", "文", "轩",
	"睿", "子", "泽", "昊", "然", "天", "一", "嘉", "铭", "瑞", "德",
};
static const char *const given_female[] = {
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "玲", "桂", "秀", "英", "华",
	"慧", "巧", "美", "淑", "惠", "珠", "翠", "雅", "芝", "玉", "萍", "红", "月",
	"媛", "琳", "晶", "妍", "茜", "秋", "珊", "莎", "锦", "黛", "青", "倩", "婷",
	"姣", "婉", "娴", "瑾", "颖", "露", "瑶", "怡", "婵", "雁", "蓓",
};
/* Rare characters outside GB 2312 that real names hold: 䶮 U+4DAE (CJK Ext A), 𠇔 U+201D4
 * (Ext B), and BMP ones a registry often mangles. All are in GB18030 and the card fonts. */
static const char *const rare_chars[] = {"䶮", "𠇔", "堃", "喆", "玥", "昇", "燊", "淼", "犇"};
static const char *const latin_given[] = {"JOHN",  "MARIA", "DAVID", "ANNA", "MICHAEL", "SOPHIE",
					  "JAMES", "ELENA", "PETER", "YUKI", "HANS",	"CLAIRE"};
static const char *const latin_family[] = {"SMITH",  "MULLER",	"DUBOIS", "ROSSI",
					   "TANAKA", "KIM",	"IVANOV", "BROWN",
					   "GARCIA", "SCHMIDT", "WILSON", "NOVAK"};

static const struct sample_district districts[] = {
	{"110101", "东城区", "100010", {"东四北大街", "朝阳门内大街", "和平里西街"}},
	{"110102", "西城区", "100032", {"西直门内大街", "阜成门外大街", "广安门内大街"}},
	{"110105", "朝阳区", "100020", {"建国路", "朝阳北路", "望京街"}},
	{"110106", "丰台区", "100071", {"丰台北路", "南三环西路", "科学城路"}},
	{"110107", "石景山区", "100043", {"石景山路", "鲁谷路", "古城大街"}},
	{"110108", "海淀区", "100080", {"中关村大街", "学院路", "西三环北路"}},
	{"110109", "门头沟区", "102300", {"新桥大街", "石龙西路", "滨河路"}},
	{"110111", "房山区", "102488", {"良乡拱辰大街", "长阳路", "燕山岗南路"}},
	{"110112", "通州区", "101100", {"新华大街", "运河西大街", "梨园北街"}},
	{"110113", "顺义区", "101300", {"府前中街", "仁和镇站前街", "后沙峪路"}},
	{"110114", "昌平区", "102200", {"府学路", "回龙观西大街", "天通苑北街"}},
	{"110115", "大兴区", "102600", {"兴华大街", "黄村西大街", "亦庄荣华路"}},
	{"110116", "怀柔区", "101400", {"青春路", "府前街", "雁栖大街"}},
	{"110117", "平谷区", "101200", {"府前街", "新平北路", "林荫北街"}},
	{"110118", "密云区", "101500", {"鼓楼南大街", "新中街", "宾阳北路"}},
	{"110119", "延庆区", "102100", {"妫水北街", "东外大街", "高塔街"}},
};
/* Other regions (GB/T 2260 county-level codes) for people born outside Beijing. */
static const char *const other_regions[] = {
	"120101", "130102", "130602", "140105", "150102", "210102", "220102", "230102",
	"310101", "320102", "330106", "340102", "350102", "360102", "370102", "410105",
	"420102", "430102", "440304", "450103", "460105", "500103", "510104", "520102",
	"530102", "540102", "610113", "620102", "630102", "640104", "650102", "130104",
};
/* Nationalities of foreign permanent residents (ISO 3166-1 numeric). */
static const int fpr_nations[] = {840, 826, 276, 250, 392, 410, 124, 36,  643,
				  702, 380, 586, 764, 704, 76,	724, 528, 752};
static const char *const ethnic_minor[] = {"02", "03", "04", "05", "06", "08", "10", "11"};
static const char *const mobile_prefixes[] = {
	"130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
	"151", "152", "155", "156", "157", "158", "159", "166", "176", "177",
	"180", "181", "182", "185", "186", "187", "188", "189", "198", "199"};
static const char *const banks[] = {"ICBC",  "ABC", "BOC",  "CCB", "BOCOM", "BOB",  "HXB",
				    "CITIC", "CEB", "CMBC", "CMB", "SPDB",  "BRCB", "PSBC"};
/* Banks that are real but not among the cooperating ones (manual item 6). */
static const char *const other_banks[] = {"HSBC", "CITI", "SCB", "DBS", "NBCB", "HZB"};
static const char *const company_brands[] = {"华信", "京城", "燕山", "长城", "首创", "博远",
					     "瑞丰", "恒通", "嘉禾", "中科", "金桥", "天坛",
					     "永定", "朝华", "海川", "北辰"};
static const char *const company_trades[] = {"科技",	 "信息技术", "建筑工程", "商贸",
					     "文化传媒", "物业管理", "餐饮管理", "医疗器械",
					     "物流",	 "软件",     "环保工程", "教育咨询"};
static const char *const buildings[] = {"大厦", "中心", "广场", "科技园", "商务楼"};

/* ---- small helpers ------------------------------------------------------------------ */

/* "YYYY-MM-DD" of a day number. */
static void
sample_date(long day, char out[11])
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

/* The day `months` whole months before day (day of month kept, at most 28). */
long
sample_months_before(long day, long months)
{
	int y, m, d;
	long mm;

	cp_civil_from_days(day, &y, &m, &d);
	mm = (long)y * 12 + (m - 1) - months;
	return cp_days_from_civil((int)(mm / 12), (int)(mm % 12) + 1, d > 28 ? 28 : d);
}

/* A timestamp "YYYY-MM-DDTHH:MM:SS+08:00" on Beijing day `day`. */
void
sample_stamp(struct rng *r, long day, int hour_lo, int hour_hi, char out[32])
{
	char date[11];

	sample_date(day, date);
	snprintf(out, 32, "%sT%02d:%02d:%02d+08:00", date, rng_range(r, hour_lo, hour_hi),
		 rng_range(r, 0, 59), rng_range(r, 0, 59));
}

uint64_t
sample_hash(const char *s)
{
	uint64_t h = 0xCBF29CE484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001B3ULL;
	return h | 1; /* 0 marks an empty slot */
}

/* Add id to the set of numbers in use; 0 if it was new, 1 if it was there already. */
static int
ids_add(struct sample_people *sp, const char *id)
{
	uint64_t h = sample_hash(id);
	size_t mask, i;

	if ((sp->nids + 1) * 2 > sp->capids) {
		size_t cap = sp->capids ? sp->capids * 2 : 1024;
		uint64_t *n = xcalloc(cap, sizeof(*n));

		for (size_t k = 0; k < sp->capids; k++) {
			if (!sp->ids[k])
				continue;
			for (i = sp->ids[k] & (cap - 1); n[i]; i = (i + 1) & (cap - 1))
				;
			n[i] = sp->ids[k];
		}
		free(sp->ids);
		sp->ids = n;
		sp->capids = cap;
	}
	mask = sp->capids - 1;
	for (i = h & mask; sp->ids[i]; i = (i + 1) & mask)
		if (sp->ids[i] == h)
			return 1;
	sp->ids[i] = h;
	sp->nids++;
	return 0;
}

void
sample_people_init(struct sample_people *sp, time_t now, int npool)
{
	char date[11];
	int y, m, d;

	memset(sp, 0, sizeof(*sp));
	sp->now = now;
	cp_business_date(now, date, sizeof(date));
	if (cp_parse_date(date, &y, &m, &d) < 0)
		y = 2026, m = 1, d = 1; /* cp_business_date always gives a real date */
	sp->today = cp_days_from_civil(y, m, d);
	sp->npool = npool > 0 ? npool : 1;
}

void
sample_people_release(struct sample_people *sp)
{
	free(sp->ids);
	sp->ids = NULL;
	free(sp->ring);
	sp->ring = NULL;
	sp->nids = sp->capids = 0;
}

/* ---- names, numbers, addresses ------------------------------------------------------ */

static void
make_name(struct rng *r, int sex, enum id_kind kind, const char *surname, char *out, size_t n)
{
	const char *fam = surname;
	const char *const *given = sex == 1 ? given_male : given_female;
	size_t ngiven = sex == 1 ? ARRAY_SIZE(given_male) : ARRAY_SIZE(given_female);

	if (kind == ID_FPR || kind == ID_FPR_OLD) {
		/* foreigners: the Latin name as on the residence card, surname first */
		if (rng_chance(r, 0.8)) {
			snprintf(out, n, "%s %s", RNG_PICK(r, latin_family),
				 RNG_PICK(r, latin_given));
			return;
		}
	}
	if (!fam)
		fam = rng_chance(r, 0.02) ? RNG_PICK(r, compound_surnames) : RNG_PICK(r, surnames);
	if (rng_chance(r, 0.02)) {
		/* a rare character as the last of the given name: half of them the two from the
		 * CJK extensions (䶮 Ext A, 𠇔 Ext B), the hardest for fonts and converters */
		const char *rare =
			rng_chance(r, 0.5) ? rare_chars[rng_below(r, 2)] : RNG_PICK(r, rare_chars);

		if (rng_chance(r, 0.5))
			snprintf(out, n, "%s%s", fam, rare);
		else
			snprintf(out, n, "%s%s%s", fam, given[rng_below(r, (uint32_t)ngiven)],
				 rare);
		return;
	}
	if (rng_chance(r, 0.3))
		snprintf(out, n, "%s%s", fam, given[rng_below(r, (uint32_t)ngiven)]);
	else
		snprintf(out, n, "%s%s%s", fam, given[rng_below(r, (uint32_t)ngiven)],
			 given[rng_below(r, (uint32_t)ngiven)]);
}

void
sample_mobile(struct rng *r, char out[16])
{
	snprintf(out, 16, "%s%08u", RNG_PICK(r, mobile_prefixes), rng_below(r, 100000000));
}

/* The ID number of p (kind, sex, birth set), unique in this run. */
static void
make_id(struct sample_people *sp, struct rng *r, struct sample_person *p, int beijing)
{
	int y, m, d;

	cp_civil_from_days(p->birth_day, &y, &m, &d);
	for (int tries = 0;; tries++) {
		char first[18];
		int seq = rng_range(r, 0, 499) * 2 + (p->sex == 1 ? 1 : 0);

		/* the 17th digit is the sex digit: odd male, even female */
		if (p->kind == ID_FPR_OLD) {
			char body[15];
			int nat = RNG_PICK(r, fpr_nations);

			snprintf(body, sizeof(body), "%s11%02d%02d%02d%02d%d",
				 id_country_alpha3(nat), rng_range(r, 1, 8), y % 100, m, d,
				 seq % 10);
			snprintf(p->id_number, sizeof(p->id_number), "%s%c", body,
				 id_fpr_old_check_char(body));
			snprintf(p->nationality, sizeof(p->nationality), "%s",
				 id_country_alpha3(nat));
		} else {
			const char *region;
			char reg[8];

			if (p->kind == ID_HK)
				region = "810000";
			else if (p->kind == ID_MO)
				region = "820000";
			else if (p->kind == ID_TW)
				region = "830000";
			else if (p->kind == ID_FPR) {
				int nat = RNG_PICK(r, fpr_nations);

				/* issued mostly in Beijing (11), else another province */
				snprintf(reg, sizeof(reg), "9%.2s%03d",
					 rng_chance(r, 0.8) ? "11" : RNG_PICK(r, other_regions),
					 nat);
				region = reg;
				snprintf(p->nationality, sizeof(p->nationality), "%s",
					 id_country_alpha3(nat));
			} else
				region = beijing ? districts[rng_below(r, ARRAY_SIZE(districts))]
							   .code
						 : RNG_PICK(r, other_regions);
			snprintf(first, sizeof(first), "%s%04d%02d%02d%03d", region, y, m, d, seq);
			snprintf(p->id_number, sizeof(p->id_number), "%s%c", first,
				 id_check_char(first));
		}
		if (!ids_add(sp, p->id_number) || tries > 1000)
			return;
	}
}

/* A person of kind born on birth_day. */
void
sample_person_make(struct sample_people *sp, struct rng *r, enum id_kind kind, long birth_day,
		   const char *surname, struct sample_person *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->sex = rng_chance(r, 0.5) ? 1 : 2;
	p->birth_day = birth_day;
	sample_date(birth_day, p->birth_date);
	strcpy(p->nationality, "CHN");
	if (kind == ID_FPR || kind == ID_FPR_OLD)
		strcpy(p->ethnicity, "97"); /* GB 3304: 其他 (foreign nationals) */
	else
		snprintf(p->ethnicity, sizeof(p->ethnicity), "%s",
			 rng_chance(r, 0.91) ? "01" : RNG_PICK(r, ethnic_minor));
	make_id(sp, r, p, rng_chance(r, 0.7));
	make_name(r, p->sex, kind, surname, p->name, sizeof(p->name));
	sample_mobile(r, p->mobile);
}

enum id_kind
sample_pick_kind(struct rng *r)
{
	double u = rng_unit(r);

	if (u < 0.90)
		return ID_CITIZEN;
	if (u < 0.925)
		return ID_HK;
	if (u < 0.94)
		return ID_MO;
	if (u < 0.96)
		return ID_TW;
	if (u < 0.985)
		return ID_FPR;
	return ID_FPR_OLD;
}

/* Birth day for an age in [lo_months, hi_months] on day `on`. */
long
sample_birth_for_age(struct rng *r, long on, long lo_months, long hi_months)
{
	long months = lo_months + (long)rng_below(r, (uint32_t)(hi_months - lo_months + 1));
	long b = sample_months_before(on, months);

	/* a few days earlier within the month keeps the age in range (never past hi) */
	return b - rng_range(r, 0, 20 > months ? 0 : 20);
}

void
sample_address(struct rng *r, const struct sample_district *dist, char *out, size_t n)
{
	int kind = (int)rng_below(r, 20);
	const char *road = dist->roads[rng_below(r, 3)];

	if (kind == 0)
		/* an ASCII comma and quotes: exercise CSV quoting and XML escaping */
		snprintf(out, n, "北京市%s%s%d号,\"%s%s\"%d层", dist->name, road,
			 rng_range(r, 1, 300), RNG_PICK(r, company_brands), RNG_PICK(r, buildings),
			 rng_range(r, 2, 28));
	else if (kind < 12)
		snprintf(out, n, "北京市%s%s%d号院%d号楼%d单元%d%02d", dist->name, road,
			 rng_range(r, 1, 200), rng_range(r, 1, 30), rng_range(r, 1, 6),
			 rng_range(r, 1, 28), rng_range(r, 1, 4));
	else
		snprintf(out, n, "北京市%s%s%d号%s%s%d室", dist->name, road, rng_range(r, 1, 300),
			 RNG_PICK(r, company_brands), RNG_PICK(r, buildings),
			 rng_range(r, 101, 2808));
}

/* ---- employers ---------------------------------------------------------------------- */

char
sample_uscc_check(const char *first17)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int weights[17] = {1,  3,	9,  27, 19, 26, 16, 17, 20,
					29, 25, 13, 8,	24, 10, 30, 28};
	int sum = 0, c;

	for (int i = 0; i < 17; i++) {
		const char *p = first17[i] ? strchr(alphabet, first17[i]) : NULL;

		if (!p)
			return 0;
		sum += (int)(p - alphabet) * weights[i];
	}
	c = 31 - sum % 31;
	return alphabet[c == 31 ? 0 : c];
}

/* GB 11714 organisation code check character over 8 digits. */
static char
org_code_check(const char *body8)
{
	static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0, c;

	for (int i = 0; i < 8; i++)
		sum += (body8[i] - '0') * weights[i];
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

void
sample_employer_make(struct sample_people *sp, struct rng *r, int index, struct sample_employer *e)
{
	const struct sample_district *dist = &districts[rng_below(r, ARRAY_SIZE(districts))];
	char first[18], body[9], date[11];

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "北京%s%s有限公司", RNG_PICK(r, company_brands),
		 RNG_PICK(r, company_trades));
	snprintf(body, sizeof(body), "%08u", rng_below(r, 100000000));
	/* 9 = industry and commerce, 1 = enterprise; the district; the organisation code */
	snprintf(first, sizeof(first), "91%s%s%c", dist->code, body, org_code_check(body));
	snprintf(e->uscc, sizeof(e->uscc), "%s%c", first, sample_uscc_check(first));
	e->day = sp->today - rng_range(r, 1, 5);
	sample_date(e->day, date);
	snprintf(e->batch_id, sizeof(e->batch_id), "EMP-%.4s%.2s%.2s-%04d", date, date + 5,
		 date + 8, index);
	sample_stamp(r, e->day, 9, 17, e->submitted_at);
	sample_address(r, dist, e->address, sizeof(e->address));
	snprintf(e->postal_code, sizeof(e->postal_code), "%s", dist->postal);
	snprintf(e->district, sizeof(e->district), "%s", dist->code);
}

const struct sample_district *
sample_pick_district(struct rng *r)
{
	return &districts[rng_below(r, ARRAY_SIZE(districts))];
}

const char *
sample_pick_bank(struct rng *r)
{
	return RNG_PICK(r, banks);
}

const char *
sample_pick_other_bank(struct rng *r)
{
	return RNG_PICK(r, other_banks);
}
