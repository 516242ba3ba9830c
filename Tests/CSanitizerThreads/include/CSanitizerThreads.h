/* Nothing to call: the target only interposes C11 thrd_create (see thrd_create.c). */
#ifndef CSANITIZER_THREADS_H
#define CSANITIZER_THREADS_H
#endif
