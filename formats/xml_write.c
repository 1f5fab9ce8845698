/*
 * xml_write.c - small helpers for the output formats' XML writers (see xml_write.h).
 */
#include "formats/xml_write.h"

#include <stdio.h>

int
xml_write_attr_ll(xmlTextWriterPtr w, const char *name, long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", v);
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST s);
}
