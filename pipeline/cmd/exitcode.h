/*
 * exitcode.h - the exit codes of every cardpipe command, defined once (README "Exit
 * codes"). A command never returns a bare number: it returns one of these,
 * and a failure's code comes from cp_exit_code(), so the same condition exits with the
 * same code whichever command meets it.
 */
#ifndef CP_EXITCODE_H
#define CP_EXITCODE_H

enum cp_exit {
	EXIT_DONE = 0,	     /* done */
	EXIT_REJECTS = 1,    /* done, with rejects over general.reject_threshold, or a file
			    * quarantined */
	EXIT_USAGE = 2,	     /* usage or configuration error: fix the command line or the
			    * home (missing registry, missing key store, bad key) first */
	EXIT_FAILURE_ = 3,   /* failure, nothing committed by the failing step; also a lock
			    * still held by another run */
	EXIT_LINE_FAULT = 4, /* produce: the line stopped on a line fault, the cards stay
			      * queued */
};

/* The exit code for a CP_ERR_* code: CP_ERR_USAGE and CP_ERR_CONFIG are EXIT_USAGE, every
 * other failure EXIT_FAILURE_, r >= 0 EXIT_DONE. */
int cp_exit_code(int r);

#endif
