/*
 * schemas.h - the published XSDs (formats/employer-batch.xsd, formats/online-applications.xsd)
 * built into the program, so that validation never depends on files found at run time.
 * The bytes are the files themselves (assembled in with .incbin; the unit test test_xml
 * compares them with the files), compiled once per process.
 */
#ifndef CP_SCHEMAS_H
#define CP_SCHEMAS_H

#include "formats/app_common.h"

#include <libxml/xmlschemas.h>

/* The XSD text of an XML format (NUL-terminated), or NULL. */
const char *schema_text(enum app_format fmt);
/* The compiled schema of fmt, compiled on first use; NULL (and cp_err) if it cannot be. */
xmlSchemaPtr schema_get(enum app_format fmt);

#endif
