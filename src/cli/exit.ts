/** Exit codes, documented in the README and kept by every command. */
export const EXIT_OK = 0;
/** The operation failed (device error, verify mismatch, bad file content). */
export const EXIT_FAILED = 1;
/** The command line was wrong (unknown option, missing argument, bad value). */
export const EXIT_USAGE = 2;
