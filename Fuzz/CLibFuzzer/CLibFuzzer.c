#include "CLibFuzzer.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

static int (*fuzz_target)(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_target ? fuzz_target(data, size) : 0;
}

int kks_run_fuzzer(int *argc, char ***argv, int (*target)(const uint8_t *data, size_t size)) {
    fuzz_target = target;
    return LLVMFuzzerRunDriver(argc, argv, LLVMFuzzerTestOneInput);
}
