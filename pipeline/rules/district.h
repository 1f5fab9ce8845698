/*
 * district.h - Beijing's 16 districts by their GB/T 2260 codes (110101 东城区 ...
 * 110119 延庆区): the names the post's district lists and the letters show. Pure.
 */
#ifndef CP_DISTRICT_H
#define CP_DISTRICT_H

/* The Chinese name of a Beijing district code ("110105" -> "朝阳区"), or NULL when code
 * is not one of the 16 (NULL code included). */
const char *district_name(const char *code);

#endif
