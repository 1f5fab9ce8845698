/*
 * config_table.c - every configuration key, its type, default and meaning.
 * Keys are grouped by section; keep each section's keys together (config --show prints
 * them in this order). Owners add their keys to their own section.
 *
 * After the meaning, a key may say what it allows: RANGE(min, max) or AT_LEAST(min) for a
 * number, ONE_OF("a|b") for a word (or a whole number) from a list, and UNIT("seconds") for
 * what its number counts. config_set() refuses anything else from every source, so the code
 * that reads a key does not check it again. A key without them allows any value of its type.
 */
#include "core/config.h"

#include "core/mem.h"

#define RANGE(lo, hi) .has_min = 1, .has_max = 1, .min = (lo), .max = (hi)
#define AT_LEAST(lo) .has_min = 1, .min = (lo)
#define ONE_OF(w) .words = (w)
#define UNIT(u) .unit = (u)

/* a key without constraints leaves those fields out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* clang-format off */
const struct config_key config_keys[] = {
	/* general */
	{ "general.bureau_name", CFG_STR, "北京市社会保障卡制卡中心", "name of the bureau, printed on reports" },
	{ "general.region_code", CFG_STR, "110000", "GB/T 2260 code of the issuing area (Beijing)" },
	{ "general.reject_threshold", CFG_DOUBLE, "0.05", "share of rejected records above which a run exits 1" },
	{ "general.timezone", CFG_STR, "Asia/Shanghai", "the bureau's time zone, from the system time zone database: business dates and the times in reports" },
	{ "general.lock_wait", CFG_INT, "1800", "seconds a stage command waits for another run of the same stage (its lock) before it gives up with exit 3; 0: give up at once", RANGE(0, 86400), UNIT("seconds") },

	/* the registry */
	{ "registry.url", CFG_STR, "", "the registry: empty or sqlite: (the file paths.registry), sqlite:PATH, or a PostgreSQL URI or key=value string, without a password" },
	{ "registry.password_file", CFG_STR, "", "password file (.pgpass format, mode 0600) of a PostgreSQL registry.url, under CARDPIPE_HOME if relative; empty: ~/.pgpass" },

	/* paths (relative paths are under CARDPIPE_HOME) */
	{ "paths.registry", CFG_PATH, "registry.db", "SQLite registry file (when registry.url is empty or sqlite:)" },
	{ "paths.inbox", CFG_PATH, "inbox", "where channels drop application files" },
	{ "paths.quarantine", CFG_PATH, "quarantine", "malformed files, each with a report" },
	{ "paths.archive", CFG_PATH, "archive", "ingested files, named by SHA-256" },
	{ "paths.spool", CFG_PATH, "spool", "intermediate per-card data (photos, perso, faces)" },
	{ "paths.out", CFG_PATH, "out", "outputs: rejects, manifests, letters, reports" },
	{ "paths.log", CFG_PATH, "log", "log files" },
	{ "paths.keystore", CFG_PATH, "keys/keystore.db", "wrapped key store" },
	{ "paths.calendar", CFG_PATH, "", "working-day calendar file (empty: the one shipped in data/)" },

	/* log */
	{ "log.level", CFG_STR, "info", "error, warn, info or debug" },
	{ "log.format", CFG_STR, "text", "text or json (stderr); the log file is always JSON lines", ONE_OF("text|json") },

	/* ingest */
	{ "ingest.threads", CFG_INT, "0", "ingest reader threads: hashing, parsing, photos (0: one per online CPU)", RANGE(0, 16), UNIT("threads") },
	{ "ingest.max_file_bytes", CFG_INT, "2147483648", "largest input file accepted, decompressed", UNIT("bytes") },
	{ "ingest.max_gzip_ratio", CFG_INT, "200", "largest decompression ratio before a file counts as a gzip bomb" },
	{ "ingest.max_record_bytes", CFG_INT, "4194304", "largest single record (with its inline photo)", UNIT("bytes") },
	{ "ingest.max_xml_depth", CFG_INT, "32", "deepest XML nesting accepted" },
	{ "ingest.settle_seconds", CFG_INT, "30", "a file is read only once unchanged this long (and not open for writing); ingest waits for one that just changed", AT_LEAST(0), UNIT("seconds") },
	{ "ingest.require_done_marker", CFG_BOOL, "false", "read a file only once its channel wrote NAME.done beside it" },

	/* prepare */
	{ "prepare.minor_age", CFG_INT, "18", "applicants under this age need a guardian with ID and proof (manual item 38: 18)", RANGE(0, 30), UNIT("years") },
	{ "prepare.batch_size", CFG_INT, "1000", "applications judged and allocated per registry transaction", RANGE(1, 1000000), UNIT("applications") },

	/* photo (docs/domain-facts.md §3) */
	{ "photo.width", CFG_INT, "358", "required photo width in pixels", AT_LEAST(1), UNIT("pixels") },
	{ "photo.height", CFG_INT, "441", "required photo height in pixels", AT_LEAST(1), UNIT("pixels") },
	{ "photo.min_bytes", CFG_INT, "9000", "smallest photo file accepted", AT_LEAST(0), UNIT("bytes") },
	{ "photo.max_bytes", CFG_INT, "150000", "largest photo file accepted", UNIT("bytes") },
	{ "photo.background_min", CFG_INT, "200", "lowest mean brightness of the border to count as white", RANGE(0, 255) },
	{ "photo.on_failure", CFG_STR, "reject", "reject or warn when a photo breaks the standard", ONE_OF("reject|warn") },

	/* banks */
	{ "banks.cooperating", CFG_STR, "ICBC,ABC,BOC,CCB,BOCOM,BOB,HXB,CITIC,CEB,CMBC,CMB,SPDB,BRCB,PSBC", "the cooperating banks (manual item 6)" },
	{ "banks.bins", CFG_STR, "ICBC:62122600,ABC:62284800,BOC:62166100,CCB:62170000,BOCOM:62226000,BOB:62146800,HXB:62263300,CITIC:62269000,CEB:62148900,CMBC:62262200,CMB:62258800,SPDB:62215400,BRCB:62310200,PSBC:62215000", "BANK:BIN-prefix pairs for PAN allocation (8-digit prefixes; 19-digit PANs)" },
	{ "banks.change_months", CFG_INT, "6", "a person may change bank at most once in this many months (item 27)", RANGE(0, 120), UNIT("months") },
	{ "banks.branches", CFG_STR, "", "pickup branches, comma-separated BANK-DISTRICT-NNN codes; a pickup elsewhere is rejected (branch-unknown). Empty: any such code of a cooperating bank and a Beijing district" },

	/* card */
	{ "card.number_prefix", CFG_STR, "B", "first character of every card number this bureau allocates" },
	{ "card.validity_years", CFG_INT, "10", "card expiry = issue date + this many years, less a day", RANGE(1, 50), UNIT("years") },
	{ "card.spec_version", CFG_STR, "3.00", "SSSE EF05 specification version" },
	{ "card.type", CFG_STR, "3", "SSSE EF05 card category" },
	{ "card.init_org", CFG_STR, "110000000000000000000001", "SSSE EF05 initialising-institution number (12 bytes, hex)" },
	{ "card.font", CFG_PATH, "", "card font chain, ':'-separated (empty: the installed Noto CJK and HanaMin)" },

	/* keys (docs/keys.md) */
	{ "keys.component_files", CFG_STR, "keys/component-1.key:keys/component-2.key", "':'-separated files holding the custodians' LMK components (0600, service user only)" },
	{ "keys.bank_sm4", CFG_STR, "", "banks whose issuer master keys MK-AC/SMI/SMC are SM4 (the others are 3DES)" },
	{ "keys.audit_key_file", CFG_PATH, "keys/audit.key", "the audit key until the first key ceremony seals it into the key store as 'audit.chain' (0600; docs/audit.md)" },

	/* perso (docs/perso-script-format.md) */
	{ "perso.batch_cards", CFG_INT, "1000", "most cards in one sealed batch file (memory stays flat)", RANGE(1, 100000), UNIT("cards") },
	{ "perso.transport_city", CFG_STR, "1000", "T-Union city code written to the transport application (Beijing)" },
	{ "perso.pin_tries", CFG_INT, "6", "tries of the social-security service password before it blocks", RANGE(1, 15), UNIT("tries") },
	{ "perso.bank_profiles", CFG_PATH, "", "folder of bank profiles (default.ini, BANK.ini; docs/pboc-data.md); empty: the shipped data/bank-profiles" },
	{ "perso.threads", CFG_INT, "0", "perso worker threads building card scripts (ICC RSA keys): 0 = one per online CPU", RANGE(0, 64), UNIT("threads") },

	/* sla */
	{ "sla.new_days", CFG_INT, "30", "calendar days for new applications and generation upgrades", AT_LEAST(0), UNIT("days") },
	{ "sla.replace_working_days", CFG_INT, "4", "working days for replacements", AT_LEAST(0), UNIT("working days") },
	{ "sla.at_risk_days", CFG_INT, "3", "an application due within this many days is at risk", UNIT("days") },

	/* calendar (docs/calendar-format.md) */
	{ "calendar.warn_days", CFG_INT, "60", "warn on every run from this many days before the working-day calendar's last day", RANGE(0, 3660), UNIT("days") },

	/* production */
	{ "produce.max_attempts", CFG_INT, "3", "attempts per card before it is held for a person", AT_LEAST(1), UNIT("attempts") },
	{ "produce.max_consecutive_spoils", CFG_INT, "3", "blanks spoiled in a row after which the line stops (circuit breaker)", AT_LEAST(1), UNIT("cards") },
	{ "produce.lines", CFG_STR, "1", "production lines the nightly run drives" },
	{ "produce.branch_lines", CFG_STR, "", "branch lines for instant issuance (cardpipe instant --line N); each needs its line transport key like produce.lines" },
	{ "produce.shift_hours", CFG_INT, "8", "length of a shift for the shift report", UNIT("hours") },
	{ "produce.fault_wait_s", CFG_INT, "1800", "how long a paused line waits for a printer fault to clear before it stops", AT_LEAST(0), UNIT("seconds") },
	{ "produce.poll_ms", CFG_INT, "500", "how often a paused line asks the printer whether the fault cleared", AT_LEAST(1), UNIT("milliseconds") },

	/* render (card faces; docs/layout-format.md, docs/panel-format.md) */
	{ "render.layout", CFG_PATH, "", "card-face layout file (empty: the shipped data/layout/default.layout)" },
	{ "render.threads", CFG_INT, "0", "render worker threads (0: one per online CPU)", RANGE(0, 64), UNIT("threads") },
	{ "render.batch", CFG_INT, "256", "cards rendered per registry transaction", RANGE(1, 100000), UNIT("cards") },
	{ "render.from_allocated", CFG_BOOL, "false", "also render cards still in state allocated (not waiting for perso)" },
	{ "render.print_pan", CFG_BOOL, "false", "print the bank card number (PAN) on the face (bank variant)" },
	{ "render.png_level", CFG_INT, "1", "deflate level of the PNG files (0..9)", RANGE(0, 9) },
	{ "render.png_filter", CFG_STR, "none", "PNG row filter: none (fastest, and smallest on card faces at level 1), sub, up, avg, paeth or all", ONE_OF("none|sub|up|avg|paeth|all") },
	{ "render.sync", CFG_STR, "batch", "fsync each output file (each) or sync once per batch before it is recorded (batch)", ONE_OF("each|batch") },
	{ "render.proof", CFG_BOOL, "true", "write proof sheets (3 x 4 card previews per A4 page) for each run" },

	/* printer */
	{ "printer.profile", CFG_STR, "evolis", "canvas profile: evolis, zebra, magicard, matica, fargo", ONE_OF("evolis|zebra|magicard|matica|fargo") },
	{ "printer.transport", CFG_STR, "tcp", "tcp or usb", ONE_OF("tcp|usb") },
	{ "printer.host", CFG_STR, "127.0.0.1", "printer address (tcp)" },
	{ "printer.port", CFG_INT, "9100", "printer port (tcp); the emulator listens here" },
	{ "printer.device", CFG_PATH, "/dev/usb/lp0", "printer device file (usb)" },
	{ "printer.timeout_ms", CFG_INT, "30000", "how long to wait for a printer reply", AT_LEAST(1), UNIT("milliseconds") },
	{ "printer.ribbon", CFG_STR, "ymcko", "ribbon loaded: ymcko, ko or k", ONE_OF("ymcko|ymckok|ko|k") },
	{ "printer.levels", CFG_INT, "128", "colour levels of the Db downloads: 32, 64 or 128", ONE_OF("32|64|128") },
	{ "printer.k_contrast", CFG_INT, "10", "resin black contrast (Pc;k), 0..20", RANGE(0, 20) },
	{ "printer.vpcd_port", CFG_INT, "40000", "emulated line 1's vpcd port (line N: + 2(N-1)); printer.port + N-1 is line N's printer" },

	/* encoder */
	{ "encoder.reader", CFG_STR, "Virtual PCD", "PC/SC reader name (a prefix is enough)" },
	{ "encoder.timeout_ms", CFG_INT, "10000", "how long to wait for a card in the reader", UNIT("milliseconds") },
	{ "encoder.chip_profiles", CFG_PATH, "", "folder of chip profiles, one *.ini per card stock (empty: the shipped data/chip-profiles; docs/chip-profiles.md)" },
	{ "encoder.card_stocks", CFG_STR, "cpvc-s03", "the stocks the emulated line's feeder holds, ':'-separated chip profile names; the virtual card takes them in turn" },

	/* dispatch */
	{ "dispatch.s10_prefix", CFG_STR, "EK", "UPU S10 service indicator for mailed cards" },
	{ "dispatch.s10_country", CFG_STR, "CN", "UPU S10 country code" },
	{ "dispatch.bag_size", CFG_INT, "200", "items per mail bag", AT_LEAST(1), UNIT("items") },
	{ "dispatch.csv_encoding", CFG_STR, "utf-8", "utf-8 (with BOM) or gb18030", ONE_OF("utf-8|gb18030") },
	{ "dispatch.employer_return_days", CFG_INT, "30", "days before an undelivered employer card is overdue (item 14)", AT_LEAST(0), UNIT("days") },
	{ "dispatch.manifest_mobile", CFG_STR, "full", "mobile numbers in the post's manifest: full (the post phones recipients) or masked", ONE_OF("full|masked") },
	{ "dispatch.letter_font", CFG_STR, "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf:/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", "carrier letter fonts, ':'-separated, first with the glyph draws it (relative: under CARDPIPE_HOME)" },

	/* reconcile */
	{ "reconcile.signature", CFG_STR, "sm2", "signature algorithm of bank reports: sm2, ecdsa-p256 or rsa-pss", ONE_OF("sm2|ecdsa-p256|rsa-pss") },
	{ "reconcile.refund_days", CFG_INT, "2", "natural days to refund a damaged card's transport balance (item 46)", AT_LEAST(0), UNIT("days") },
	{ "reconcile.max_refund_fen", CFG_INT, "100000", "largest transport balance refunded, in fen (1000 yuan, a transport card's top balance); a larger one rejects the application (amount-too-large)", RANGE(0, 999999999999), UNIT("fen") },
	{ "reconcile.signing_key", CFG_STR, "keystore:report.sign", "key that signs bank reports: keystore:NAME (an SM2 key of the key store) or a PEM private key file (SM2, EC P-256 or RSA to match reconcile.signature; relative: under CARDPIPE_HOME)" },
	{ "reconcile.sm2_id", CFG_STR, "1234567812345678", "SM2 distinguishing ID of bank report signatures (GM/T 0009 default; openssl -sigopt distid:ID)" },
	{ "reconcile.sm2_id_banks", CFG_STR, "", "per-bank SM2 IDs overriding reconcile.sm2_id: BANK:ID pairs, ','-separated" },
};
/* clang-format on */

const size_t config_nkeys = ARRAY_SIZE(config_keys);
