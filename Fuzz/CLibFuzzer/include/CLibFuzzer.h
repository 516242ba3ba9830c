#ifndef C_LIB_FUZZER_H
#define C_LIB_FUZZER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with `target` as the function under test. SwiftPM names
/// every executable's entry point itself, so each fuzzer has a main of its own that
/// calls this; `-sanitize=fuzzer` still links libFuzzer's main object, whose
/// reference to LLVMFuzzerTestOneInput the shim satisfies by forwarding to `target`.
int kks_run_fuzzer(int *argc, char ***argv, int (*target)(const uint8_t *data, size_t size));

#endif
