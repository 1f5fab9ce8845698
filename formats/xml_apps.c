/*
 * xml_apps.c - employer batch and online-channel XML into app_records, streaming.
 *
 * libxml2's push parser reads the file in 64 KiB chunks and reports SAX2 events; the
 * built-in XSD validates the same events as they pass (xmlSchemaSAXPlug), so memory holds one
 * record, never the document. (xmlTextReader would do the same job but feeds its parser
 * 512 bytes at a time and rescans long text, which made it four times slower on files of
 * inline photos.) Hardening: XML_PARSE_NONET; never NOENT, DTDLOAD, DTDATTR or HUGE (so
 * libxml2's own text, depth and entity limits stay on); no entity handlers at all; a DOCTYPE
 * is refused before parsing (app_parse.c) and here should one get through; nesting deeper
 * than ingest.max_xml_depth is refused. A failure is recorded and the read loop stops feeding
 * the parser; handlers ignore the rest of the chunk in hand. (xmlStopParser() is never
 * called: from inside an encoding conversion it frees the input under libxml2's feet in
 * 2.9.14, as fuzzing showed.)
 */
#include "formats/xml_apps.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/schemas.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK 256 /* libxml2's own limit without XML_PARSE_HUGE */
#define CHUNK 65536

/* Where each child of a record goes: element (under parent, NULL for the record itself). */
static const struct field_map {
	const char *parent, *name;
	size_t off;
} fields[] = {
	{NULL, "ApplicationType", offsetof(struct app_record, app_type)},
	{NULL, "Name", offsetof(struct app_record, name)},
	{NULL, "IdType", offsetof(struct app_record, id_type)},
	{NULL, "IdNumber", offsetof(struct app_record, id_number)},
	{NULL, "Sex", offsetof(struct app_record, sex)},
	{NULL, "Ethnicity", offsetof(struct app_record, ethnicity)},
	{NULL, "BirthDate", offsetof(struct app_record, birth_date)},
	{NULL, "Nationality", offsetof(struct app_record, nationality)},
	{NULL, "Mobile", offsetof(struct app_record, mobile)},
	{NULL, "Category", offsetof(struct app_record, category)},
	{NULL, "Bank", offsetof(struct app_record, bank)},
	{NULL, "OldCardNo", offsetof(struct app_record, old_card_no)},
	{NULL, "TransportBalance", offsetof(struct app_record, transport_balance)},
	{"Delivery", "Address", offsetof(struct app_record, address)},
	{"Delivery", "PostalCode", offsetof(struct app_record, postal_code)},
	{"Delivery", "District", offsetof(struct app_record, district)},
	{"Delivery", "Branch", offsetof(struct app_record, branch)},
	{"Guardian", "Name", offsetof(struct app_record, guardian_name)},
	{"Guardian", "IdType", offsetof(struct app_record, guardian_id_type)},
	{"Guardian", "IdNumber", offsetof(struct app_record, guardian_id_number)},
	{"Guardian", "Proof", offsetof(struct app_record, guardian_proof)},
};

struct xctx {
	enum app_format fmt;
	const struct parse_limits *lim;
	struct instream *s;
	struct parse_fail *f;
	app_record_fn fn;
	void *arg;
	int cb_err, depth, max_depth;
	xmlParserCtxtPtr ctxt;
	const xmlChar **attrs; /* of the element being started: SAX2 5-tuples */
	int nattrs;

	/* the batch: copied into every record */
	char *employer_name, *uscc, *batch_id, *submitted_at, *channel;

	/* the record being read */
	int in_rec, rec_depth;
	long nrec;
	size_t rec_bytes;
	struct app_record rec;

	/* the leaf whose text is being collected */
	char **target;
	int capture, photo, photo_href;
	struct buf text;
	const char *stack[MAX_STACK];
};

static long
cur_line(struct xctx *x)
{
	return x->ctxt ? (long)xmlSAX2GetLineNumber(x->ctxt) : 0;
}

/* Map a libxml2 error to a reason code of reasons_ingest.c. */
static const char *
error_code(const xmlError *e)
{
	const char *m = e->message ? e->message : "";

	if (e->domain == XML_FROM_SCHEMASV || e->domain == XML_FROM_SCHEMASP)
		return "schema-violation";
	if (e->domain == XML_FROM_I18N || e->code == XML_ERR_UNKNOWN_ENCODING ||
	    e->code == XML_ERR_UNSUPPORTED_ENCODING || e->code == XML_ERR_INVALID_ENCODING ||
	    e->code == XML_ERR_ENCODING_NAME || e->code == XML_I18N_CONV_FAILED ||
	    strstr(m, "not proper UTF-8") || strstr(m, "encoding error") ||
	    strstr(m, "conversion failed"))
		return "bad-encoding";
	if (e->code == XML_ERR_ENTITY_LOOP || strstr(m, "entity reference loop") ||
	    strstr(m, "amplification"))
		return "entity-expansion";
	if (e->code == XML_IO_NETWORK_ATTEMPT || e->code == XML_ERR_EXT_ENTITY_STANDALONE ||
	    e->code == XML_ERR_UNPARSED_ENTITY || strstr(m, "external"))
		return "external-entity";
	if (strstr(m, "Excessive depth") || strstr(m, "depth"))
		return "too-deep";
	if (strstr(m, "huge") || strstr(m, "Huge"))
		return "file-too-large"; /* a text node past libxml2's 10 MB limit */
	return "not-well-formed";
}

static void
on_error(void *arg, xmlErrorPtr e)
{
	struct xctx *x = arg;
	char msg[400];
	long line;
	size_t n;

	if (!e || e->level == XML_ERR_WARNING || x->f->code)
		return;
	if (x->s->fail_code)
		return; /* the stream's own failure is the reason; reported after the loop */
	line = e->line > 0 ? e->line : cur_line(x);
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "XML error");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' '; /* one line in logs and reports */
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	parse_failf(x->f, error_code(e), line, "line %ld: %s", line, msg);
}

static void
batch_release(struct xctx *x)
{
	free(x->employer_name);
	free(x->uscc);
	free(x->batch_id);
	free(x->submitted_at);
	free(x->channel);
}

/* An unqualified attribute of the element being started (NULL if absent); new string. */
static char *
attr(struct xctx *x, const char *name)
{
	for (int i = 0; i < x->nattrs; i++) {
		const xmlChar **a = x->attrs + 5 * i;

		if (!a[2] && !strcmp((const char *)a[0], name))
			return xstrndup((const char *)a[3], (size_t)(a[4] - a[3]));
	}
	return NULL;
}

/* Count bytes against the record limit; past it the record is rejected and its large
 * text (the inline photo) no longer kept. */
static void
count_bytes(struct xctx *x, size_t n)
{
	x->rec_bytes += n;
	if (x->rec_bytes > x->lim->max_record_bytes && !x->rec.reject_code) {
		app_record_reject(&x->rec, "record-too-large", NULL,
				  "%s: the record is larger than the limit of %zu bytes "
				  "(ingest.max_record_bytes)",
				  x->rec.location, x->lim->max_record_bytes);
		buf_release(&x->text);
		buf_init(&x->text, x->lim->max_record_bytes + 1);
	}
}

static void
set_attr_field(struct xctx *x, char **dst, const char *name)
{
	char *v = attr(x, name);

	if (v) {
		count_bytes(x, strlen(v));
		app_field_set(dst, v, strlen(v));
		free(v);
	}
}

static void
record_start(struct xctx *x, int depth, long line)
{
	struct app_record *rec = &x->rec;
	const char *elem = x->fmt == APP_FORMAT_EMPLOYER_XML ? "Employee" : "Application";

	memset(rec, 0, sizeof(*rec));
	x->in_rec = 1;
	x->rec_depth = depth;
	x->rec_bytes = 0;
	rec->record_no = ++x->nrec;
	rec->location = xasprintf("%s[%ld] (line %ld)", elem, x->nrec, line);
	rec->channel = xstrdup(x->fmt == APP_FORMAT_EMPLOYER_XML ? "employer"
			       : x->channel			 ? x->channel
								 : "unknown");
	set_attr_field(x, &rec->channel_ref, "ref");
	if (x->fmt == APP_FORMAT_ONLINE_XML) {
		set_attr_field(x, &rec->submitted_at, "submittedAt");
	} else {
		rec->submitted_at = x->submitted_at ? xstrdup(x->submitted_at) : NULL;
		rec->employer_name = x->employer_name ? xstrdup(x->employer_name) : NULL;
		rec->employer_uscc = x->uscc ? xstrdup(x->uscc) : NULL;
		rec->batch_id = x->batch_id ? xstrdup(x->batch_id) : NULL;
	}
}

static int
record_end(struct xctx *x)
{
	int r;

	x->in_rec = 0;
	r = x->fn(x->arg, &x->rec);
	app_record_release(&x->rec);
	if (r < 0)
		x->cb_err = r;
	return r;
}

/* An element starts inside a record: attributes, and which text to collect. */
static void
record_element(struct xctx *x, int depth, const char *name)
{
	const char *parent = depth == x->rec_depth + 1 ? NULL : x->stack[x->rec_depth + 1];

	x->target = NULL;
	x->capture = x->photo = x->photo_href = 0;
	if (!parent && !strcmp(name, "Delivery")) {
		set_attr_field(x, &x->rec.delivery, "method");
		return;
	}
	if (!parent && !strcmp(name, "Confirmation")) {
		set_attr_field(x, &x->rec.confirmed_at, "at");
		set_attr_field(x, &x->rec.confirm_channel, "channel");
		return;
	}
	if (!parent && !strcmp(name, "Photo")) {
		char *href = attr(x, "href");

		if (href) {
			count_bytes(x, strlen(href));
			app_record_set_photo_ref(&x->rec, href, "Photo");
			free(href);
			x->photo_href = 1;
		}
		x->photo = x->capture = 1;
		return;
	}
	if (depth > x->rec_depth + 2)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (strcmp(fields[i].name, name) ||
		    (fields[i].parent == NULL) != (parent == NULL) ||
		    (parent && strcmp(fields[i].parent, parent)))
			continue;
		x->target = (char **)((char *)&x->rec + fields[i].off);
		x->capture = 1;
		return;
	}
}

static void
leaf_end(struct xctx *x)
{
	if (!x->capture)
		return;
	if (x->photo) {
		size_t n = x->text.len;
		const char *t = buf_str(&x->text);

		while (n && (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')) {
			t++;
			n--;
		}
		if (x->rec.reject_code) {
			/* too large or a bad reference already: do not decode */
		} else if (x->photo_href && n) {
			app_record_reject(&x->rec, "photo-base64-invalid", "Photo",
					  "%s, field 'Photo': has both an href and inline data",
					  x->rec.location);
		} else if (!x->photo_href) {
			if (!n)
				app_record_reject(&x->rec, "photo-base64-invalid", "Photo",
						  "%s, field 'Photo': neither inline data nor an "
						  "href",
						  x->rec.location);
			else
				app_record_set_inline_photo(&x->rec, t, n, "Photo");
		}
	} else if (x->target) {
		app_field_set(x->target, buf_str(&x->text), x->text.len);
	}
	buf_reset(&x->text);
	x->target = NULL;
	x->capture = x->photo = x->photo_href = 0;
}

/* Elements of the batch header (employer batch), outside any record. */
static void
header_element(struct xctx *x, int depth, const char *name)
{
	x->target = NULL;
	x->capture = 0;
	if (x->fmt != APP_FORMAT_EMPLOYER_XML)
		return;
	if (depth == 1 && !strcmp(name, "BatchId"))
		x->target = &x->batch_id;
	else if (depth == 1 && !strcmp(name, "SubmittedAt"))
		x->target = &x->submitted_at;
	else if (depth == 2 && !strcmp(x->stack[1], "Employer") && !strcmp(name, "Name"))
		x->target = &x->employer_name;
	else if (depth == 2 && !strcmp(x->stack[1], "Employer") && !strcmp(name, "USCC"))
		x->target = &x->uscc;
	x->capture = x->target != NULL;
}

static int
on_element(struct xctx *x, int depth, const char *name, long line)
{
	if (depth == 0) {
		if (x->fmt == APP_FORMAT_ONLINE_XML) {
			char *c = attr(x, "channel");

			if (c) {
				app_field_set(&x->channel, c, strlen(c));
				free(c);
			}
		}
		return 0;
	}
	if (!x->in_rec) {
		if ((x->fmt == APP_FORMAT_EMPLOYER_XML && depth == 2 &&
		     !strcmp(x->stack[1], "Employees") && !strcmp(name, "Employee")) ||
		    (x->fmt == APP_FORMAT_ONLINE_XML && depth == 1 &&
		     !strcmp(name, "Application"))) {
			record_start(x, depth, line);
			return 0;
		}
		header_element(x, depth, name);
		return 0;
	}
	record_element(x, depth, name);
	return 0;
}

static void
on_text(void *arg, const xmlChar *ch, int len)
{
	struct xctx *x = arg;
	const char *v = (const char *)ch;
	size_t n = len > 0 ? (size_t)len : 0;

	if (!x->capture || x->f->code || x->cb_err)
		return;
	if (x->in_rec) {
		count_bytes(x, n);
		if (x->rec.reject_code && !strcmp(x->rec.reject_code, "record-too-large"))
			return;
	}
	if (buf_append(&x->text, v, n) < 0 && x->in_rec)
		count_bytes(x, x->lim->max_record_bytes + 1);
}

static void
on_end(struct xctx *x, int depth)
{
	if (x->in_rec && depth == x->rec_depth) {
		record_end(x);
		return;
	}
	if (x->capture && !x->in_rec) {
		if (x->target)
			app_field_set(x->target, buf_str(&x->text), x->text.len);
		buf_reset(&x->text);
		x->target = NULL;
		x->capture = 0;
		return;
	}
	if (x->in_rec)
		leaf_end(x);
}

/* SAX2 start of an element: depth, the name stack, then what it means. */
static void
sax_start(void *arg, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
	  int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
	  const xmlChar **attributes)
{
	struct xctx *x = arg;
	int depth = x->depth++;

	if (x->f->code || x->cb_err)
		return;
	if (depth >= x->max_depth) {
		long line = cur_line(x);

		parse_failf(x->f, "too-deep", line,
			    "line %ld: elements nest deeper than the limit of %d "
			    "(ingest.max_xml_depth)",
			    line, x->max_depth);
		return;
	}
	x->stack[depth] = (const char *)localname;
	x->attrs = attributes;
	x->nattrs = nb_attributes;
	on_element(x, depth, x->stack[depth], cur_line(x));
	x->attrs = NULL;
	x->nattrs = 0;
}

static void
sax_end(void *arg, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	struct xctx *x = arg;

	x->depth--;
	if (x->f->code || x->cb_err || x->depth >= x->max_depth)
		return;
	on_end(x, x->depth);
}

/* The parse's context for the DTD handler, which libxml2 calls with the schema plug's data
 * rather than ours. */
static __thread struct xctx *current;

static void
sax_dtd(void *arg, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	struct xctx *x = current;
	long line = cur_line(x);

	parse_failf(x->f, "external-entity", line,
		    "line %ld: the file declares a DOCTYPE: application files may not carry "
		    "a DTD",
		    line);
}

int
xml_apps_parse(struct instream *s, enum app_format fmt, const struct parse_limits *lim,
	       app_record_fn fn, void *arg, struct parse_fail *f)
{
	xmlSAXHandler sax;
	xmlSAXHandlerPtr saxp = &sax;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlSchemaSAXPlugPtr plug = NULL;
	xmlSchemaPtr schema;
	struct xctx x;
	void *udata = &x;
	char *chunk = NULL;
	ssize_t n;
	int r = 0;

	memset(&x, 0, sizeof(x));
	x.fmt = fmt;
	x.lim = lim;
	x.s = s;
	x.f = f;
	x.fn = fn;
	x.arg = arg;
	x.max_depth = lim->max_depth;
	if (x.max_depth <= 0 || x.max_depth > MAX_STACK - 1)
		x.max_depth = MAX_STACK - 1;
	buf_init(&x.text, lim->max_record_bytes + 1);
	if (!(schema = schema_get(fmt)))
		return CP_ERR_INVALID;

	/* only the events we read: no entity, DTD-declaration or external-subset handlers */
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = sax_dtd;
	sax.externalSubset = sax_dtd;

	/* errors of the parser and of the validator come to on_error, for this parse only */
	current = &x;
	xmlSetStructuredErrorFunc(&x, on_error);
	vctxt = xmlSchemaNewValidCtxt(schema);
	if (!vctxt) {
		r = cp_err(CP_ERR_NOMEM, "cannot create a schema validation context");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, on_error, &x);
	if (!(plug = xmlSchemaSAXPlug(vctxt, &saxp, &udata))) {
		r = cp_err(CP_ERR_INVALID, "cannot attach the schema to the XML parser");
		goto out;
	}
	x.ctxt = xmlCreatePushParserCtxt(saxp, udata, NULL, 0, NULL);
	if (!x.ctxt) {
		r = cp_err(CP_ERR_NOMEM, "cannot create an XML parser");
		goto out;
	}
	xmlCtxtUseOptions(x.ctxt, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	chunk = xmalloc(CHUNK);
	while (!f->code && !x.cb_err && (n = instream_read(s, chunk, CHUNK)) > 0)
		xmlParseChunk(x.ctxt, chunk, (int)n, 0);
	if (!f->code && !x.cb_err && !s->fail_code)
		xmlParseChunk(x.ctxt, NULL, 0, 1);

	if (x.cb_err) {
		r = x.cb_err;
		goto out;
	}
	if (s->fail_code) {
		/* the stream failed (gzip, size): that, not the parser's echo, is the reason */
		f->code = NULL;
		r = parse_fail_stream(f, s);
		goto out;
	}
	if (!f->code && !x.ctxt->wellFormed)
		parse_failf(f, "not-well-formed", cur_line(&x),
			    "line %ld: the XML parser stopped (not well-formed)", cur_line(&x));
	if (!f->code && xmlSchemaIsValid(vctxt) != 1)
		parse_failf(f, "schema-violation", cur_line(&x),
			    "the file does not conform to its schema");
	if (!f->code && x.nrec == 0)
		parse_failf(f, "schema-violation", 0, "the file holds no records");
	if (f->code)
		r = CP_ERR_FORMAT;
out:
	if (x.in_rec)
		app_record_release(&x.rec);
	if (x.ctxt)
		xmlFreeParserCtxt(x.ctxt);
	if (plug)
		xmlSchemaSAXUnplug(plug);
	if (vctxt)
		xmlSchemaFreeValidCtxt(vctxt);
	xmlSetStructuredErrorFunc(NULL, NULL);
	current = NULL;
	free(chunk);
	buf_release(&x.text);
	batch_release(&x);
	return r;
}
