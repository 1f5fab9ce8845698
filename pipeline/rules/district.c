/*
 * district.c - Beijing's district codes and names (GB/T 2260, as in use since the
 * 2015 reform: 崇文 and 宣武 merged into 东城 and 西城, 密云 and 延庆 became districts).
 */
#include "pipeline/rules/district.h"

#include "core/mem.h"

#include <string.h>

static const struct {
	const char *code, *name;
} districts[] = {
	{"110101", "东城区"},	{"110102", "西城区"}, {"110105", "朝阳区"},   {"110106", "丰台区"},
	{"110107", "石景山区"}, {"110108", "海淀区"}, {"110109", "门头沟区"}, {"110111", "房山区"},
	{"110112", "通州区"},	{"110113", "顺义区"}, {"110114", "昌平区"},   {"110115", "大兴区"},
	{"110116", "怀柔区"},	{"110117", "平谷区"}, {"110118", "密云区"},   {"110119", "延庆区"},
};

const char *
district_name(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(districts); i++)
		if (!strcmp(districts[i].code, code))
			return districts[i].name;
	return NULL;
}
