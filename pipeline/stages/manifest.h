/*
 * manifest.h - dispatch's list files for one batch: the mail manifest for the post (CSV and
 * XML, formats/mail-manifest.xsd), its summary per district, the pickup list of each
 * branch and the delivery list of each employer. Formats are described in docs/dispatch.md;
 * formats/mail_manifest.h writes the mail manifest's bytes.
 */
#ifndef CP_MANIFEST_H
#define CP_MANIFEST_H

#include "core/buf.h"
#include "pipeline/registry/reg_dispatch.h"

struct config;

/* Write every list file of the batch into dir (created 0700); items as from
 * reg_dispatch_batch_items(). Files are 0600 and written atomically. */
int manifest_write_batch(const struct config *cfg, const char *dir, const char *batch,
			 const struct dispatch_list *items);

/* CSV text (UTF-8) as the post wants it: "utf-8" with a BOM, or "gb18030". */
int csv_encode(const struct buf *utf8, const char *encoding, struct buf *out);

#endif
