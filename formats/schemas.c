/* schemas.c - the XSDs built into the program, compiled once (see schemas.h). */
#include "formats/schemas.h"

#include "core/err.h"

#include <libxml/xmlschemas.h>
#include <string.h>

/* The build runs the compiler from the top of the tree, where these paths resolve. */
__asm__(".section .rodata\n"
	".balign 16\n"
	".local cp_xsd_employer_batch\n"
	"cp_xsd_employer_batch:\n"
	".incbin \"formats/employer-batch.xsd\"\n"
	".byte 0\n"
	".balign 16\n"
	".local cp_xsd_online_applications\n"
	"cp_xsd_online_applications:\n"
	".incbin \"formats/online-applications.xsd\"\n"
	".byte 0\n"
	".previous\n");
extern const char cp_xsd_employer_batch[] __asm__("cp_xsd_employer_batch");
extern const char cp_xsd_online_applications[] __asm__("cp_xsd_online_applications");

static xmlSchemaPtr compiled[2];

const char *
schema_text(enum app_format fmt)
{
	if (fmt == APP_FORMAT_EMPLOYER_XML)
		return cp_xsd_employer_batch;
	if (fmt == APP_FORMAT_ONLINE_XML)
		return cp_xsd_online_applications;
	return NULL;
}

/* Errors while compiling our own schema are a build defect: collect them for the message. */
static void
schema_error(void *arg, xmlErrorPtr e)
{
	char *msg = arg;

	if (!msg[0] && e && e->message)
		strncpy(msg, e->message, 255);
}

xmlSchemaPtr
schema_get(enum app_format fmt)
{
	const char *text = schema_text(fmt);
	int i = fmt == APP_FORMAT_EMPLOYER_XML ? 0 : 1;
	xmlSchemaParserCtxtPtr pc;
	char msg[256] = "";

	if (!text) {
		cp_err(CP_ERR_INVALID, "no schema for format %d", (int)fmt);
		return NULL;
	}
	if (compiled[i])
		return compiled[i];
	pc = xmlSchemaNewMemParserCtxt(text, (int)strlen(text));
	if (!pc) {
		cp_err(CP_ERR_NOMEM, "cannot create a schema parser");
		return NULL;
	}
	xmlSchemaSetParserStructuredErrors(pc, schema_error, msg);
	compiled[i] = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!compiled[i])
		cp_err(CP_ERR_INVALID, "built-in schema %s does not compile: %s",
		       i == 0 ? "employer-batch.xsd" : "online-applications.xsd", msg);
	return compiled[i];
}
