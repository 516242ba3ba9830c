/* glibc's C11 thrd_create starts threads through an internal pthread_create that
   ThreadSanitizer does not intercept, so threads librdkafka starts (rdk:main, rdk:broker*)
   are unknown to the TSan runtime and crash in its allocator on their first malloc
   (`make tsan` died with SIGSEGV in sanitizer_allocator_local_cache.h under
   __check_pf/getaddrinfo on rdk:broker-1). The test binary exports its symbols, so this
   definition interposes librdkafka's thrd_create and starts the same thread through the
   public pthread_create, which TSan (and ASan) intercept; thrd_join goes through
   pthread_join likewise, or TSan never learns the thread ended and aborts when glibc
   reuses its id ("live_.try_emplace" CHECK). glibc's thrd_t is a pthread_t, so the other
   C11 thread calls keep working on these threads. Linked into the test binary only, never
   into the product. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

#include "CSanitizerThreads.h"

struct csanitizer_thread_start {
    thrd_start_t function;
    void *argument;
};

static void *csanitizer_thread_trampoline(void *opaque) {
    struct csanitizer_thread_start start = *(struct csanitizer_thread_start *)opaque;
    free(opaque);
    return (void *)(intptr_t)start.function(start.argument);
}

int thrd_create(thrd_t *thread, thrd_start_t function, void *argument) {
    struct csanitizer_thread_start *start = malloc(sizeof *start);
    if (start == NULL) return thrd_nomem;
    start->function = function;
    start->argument = argument;
    int result = pthread_create((pthread_t *)thread, NULL, csanitizer_thread_trampoline, start);
    if (result != 0) {
        free(start);
        return result == ENOMEM ? thrd_nomem : thrd_error;
    }
    return thrd_success;
}

int thrd_join(thrd_t thread, int *result) {
    void *value = NULL;
    if (pthread_join((pthread_t)thread, &value) != 0) return thrd_error;
    if (result != NULL) *result = (int)(intptr_t)value;
    return thrd_success;
}
