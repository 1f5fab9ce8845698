/*
 * xml_write.h - small helpers for the libxml2 text writers of the output formats
 * (mail_manifest.c, bank_reconciliation.c).
 */
#ifndef CP_XML_WRITE_H
#define CP_XML_WRITE_H

#include <libxml/xmlwriter.h>

/* Write the attribute name="v" in decimal. libxml2's result: < 0 on failure. */
int xml_write_attr_ll(xmlTextWriterPtr w, const char *name, long long v);

#endif
