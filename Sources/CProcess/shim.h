/* prctl(2) is variadic, which Swift cannot call: fixed-arity wrappers for the options used. */
#include <sys/prctl.h>

/* PR_SET_DUMPABLE: 0 keeps the kernel from writing a core (and others from ptrace-reading memory). */
static inline int kks_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }
static inline int kks_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
