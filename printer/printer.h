/*
 * printer.h - the card printer interface of a production line (docs/system.md, "Devices").
 *
 * A printer is a vtable (struct printer_ops) over a device: open, set up a job, feed a
 * card, move it to the contact station, print its panels, eject, reject, status and
 * counters, close. The first driver is the Evolis one (printer/evolis/); a Zebra or Matica
 * driver would be a second ops table, not a change to callers.
 *
 * Every operation returns 0 or a negative CP_ERR_*; when the printer itself answered with
 * a condition (ribbon out, cover open, jam...) the condition is in p->cond, so that
 * `produce` can decide to pause, to reject the card, or to stop the line. A missing or
 * malformed reply is PRN_NO_REPLY / PRN_MALFORMED with the detail in cp_errmsg().
 */
#ifndef CP_PRINTER_H
#define CP_PRINTER_H

#include <stddef.h>

struct config;

/* Card canvas at 300 dpi (Evolis; docs/printer-reference.md §1.6). */
#define PRINTER_WIDTH 1016
#define PRINTER_HEIGHT 648

/* Named conditions: every documented printer reply plus what the host itself sees. */
enum printer_cond {
	PRN_OK = 0,
	PRN_ERROR,	   /* "ERROR": unspecified */
	PRN_ERROR_CDE,	   /* "ERROR CDE": unknown command */
	PRN_ERROR_PARAM,   /* "ERROR PARAMETRES": bad parameter */
	PRN_NEED_CLEANING, /* "NEED CLEANING" */
	PRN_TIMEOUT,	   /* "ERROR TIME OUT": the printer's own mechanical timeout */
	PRN_HOPPER_ERROR,  /* "ERROR HOPPER" */
	PRN_HOPPER_FULL,   /* "HOPPER FULL" */
	PRN_HOPPER_DOOR,   /* "HOPPER DOOR" */
	PRN_HEAD,	   /* "ERROR HEAD" */
	PRN_COVER_OPEN,	   /* "COVER OPEN" */
	PRN_FEEDER_EMPTY,  /* "FEEDER EMPTY" */
	PRN_CARD_JAM,	   /* "CARD JAM" */
	PRN_RIBBON,	   /* "ERROR RIBBON": no ribbon, bad or ended ribbon */
	PRN_OPT_NA,	   /* "OPT NOT AVAILABLE" */
	PRN_MAG_CHECKSUM,  /* "ERROR MAG CHECKSUM" */
	PRN_MAG_DATA,	   /* "ERROR MAG DATA" */
	PRN_MAG,	   /* "ERROR MAG" */
	PRN_UNKNOWN,	   /* "ERROR UNKNOW" (sic) */
	PRN_NO_REPLY,	   /* host side: no reply within printer.timeout_ms */
	PRN_CONNECTION,	   /* host side: connection refused, reset or closed */
	PRN_MALFORMED,	   /* host side: a reply that is not what the command returns */
	PRN_NCOND
};

/* "ok", "cover-open", "card-jam"... (stable names for logs and reports). */
const char *printer_cond_name(enum printer_cond c);
/* Which conditions are a printer fault that pauses the line until an operator clears it. */
int printer_cond_pauses(enum printer_cond c);

/* Where the card is (Evolis Rlr;p). */
enum printer_card_pos {
	PRN_POS_NONE = 0,    /* no card in the printer */
	PRN_POS_PRINT,	     /* at the print position */
	PRN_POS_CONTACT,     /* at the contact (smart card) station */
	PRN_POS_CONTACTLESS, /* at the contactless station */
};

struct printer_status {
	enum printer_card_pos pos;
	int feeder_has_cards;	 /* feeder sensor */
	int cover_open;		 /* cover sensor */
	int hopper_full;	 /* output hopper nearly full */
	long ribbon_left;	 /* panels (cards) left on the ribbon; -1 unknown */
	enum printer_cond fault; /* PRN_OK when nothing stops printing */
};

struct printer_counters {
	long printed;	     /* Rco;p */
	long inserted;	     /* Rco;c */
	long until_cleaning; /* Rco;r */
};

/* A card side's panels come as struct panel_set (personalization/face/panels.h,
 * docs/panel-format.md): already in the printer's line order (1016 lines of 648 dots), Y/M/C
 * one byte a dot, K and O one bit a dot. */
struct panel_set;

/* The job: ribbon, colour levels 32/64/128 and K contrast. Ribbons: "ymcko" (colour on
 * each printed side), "ymckok" (colour front, resin black back), "ko", "k". A back side
 * is printed when print() is given one (the printer flips the card: Sv). */
struct printer_job {
	const char *ribbon;
	int levels;
	int k_contrast;
};

struct printer;

struct printer_ops {
	const char *name;
	int (*setup_job)(struct printer *p, const struct printer_job *job);
	int (*feed)(struct printer *p);
	int (*to_contact)(struct printer *p);
	int (*print)(struct printer *p, const struct panel_set *front,
		     const struct panel_set *back);
	int (*eject)(struct printer *p);
	int (*reject)(struct printer *p);
	int (*status)(struct printer *p, struct printer_status *st);
	int (*counters)(struct printer *p, struct printer_counters *c);
	void (*close)(struct printer *p);
};

struct printer {
	const struct printer_ops *ops;
	enum printer_cond cond; /* the condition of the last operation */
	char reply[128];	/* the last reply text, for messages */
	void *priv;
};

/* Opening line N's printer with its driver: printer_open.h (printer_open_line). */
/* Line N's printer port (printer.port + N - 1). */
int printer_line_port(const struct config *cfg, int line);
/* The job printer.ribbon, printer.levels and printer.k_contrast describe. */
void printer_job_config(const struct config *cfg, struct printer_job *job);
void printer_close(struct printer *p);

static inline int
printer_setup_job(struct printer *p, const struct printer_job *job)
{
	return p->ops->setup_job(p, job);
}
static inline int
printer_feed(struct printer *p)
{
	return p->ops->feed(p);
}
static inline int
printer_to_contact(struct printer *p)
{
	return p->ops->to_contact(p);
}
static inline int
printer_print(struct printer *p, const struct panel_set *front, const struct panel_set *back)
{
	return p->ops->print(p, front, back);
}
static inline int
printer_eject(struct printer *p)
{
	return p->ops->eject(p);
}
static inline int
printer_reject(struct printer *p)
{
	return p->ops->reject(p);
}
static inline int
printer_status(struct printer *p, struct printer_status *st)
{
	return p->ops->status(p, st);
}
static inline int
printer_counters(struct printer *p, struct printer_counters *c)
{
	return p->ops->counters(p, c);
}

#endif
