/*
 * evolis.h - the Evolis printer driver (docs/printer-reference.md §1.1) behind struct printer.
 *
 * Commands it sends (each ESC cmd CR, each answered by one reply):
 *   open      Pem;2 (the host manages errors)
 *   job       Pr;<ribbon>, Pneab;E (keep the card after printing), Pc;k;=;<contrast>
 *   feed      Si            card from the feeder to the print position
 *   contact   Sis, then Rlr;p until SMART CARD
 *   print     Ss, Sr, Db;y|m|c;<levels>;<data>, Db;k;2;<data>, Db;o;2;<data>, Se
 *   eject     Seb           out through the exit slot
 *   reject    Ser           into the reject box
 *   status    Rlr;p, Rse;f, Rse;o, Rlr;h, Rcr (ribbon panels left)
 *   counters  Rco;p, Rco;c, Rco;r
 */
#ifndef CP_EVOLIS_H
#define CP_EVOLIS_H

#include "printer/printer.h"

struct evo_io;

/* A printer over an open transport (taken over: closed with the printer). */
int evolis_open(struct evo_io *io, struct printer **out);

#endif
