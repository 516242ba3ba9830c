#ifndef KKS_DESCRIPTOR_SET_H
#define KKS_DESCRIPTOR_SET_H
#include <stddef.h>
#include <stdint.h>

/* The serialized FileDescriptorSet of proto/ (see scripts/generate-proto.sh). */
extern const uint8_t kks_descriptor_set[];
extern const size_t kks_descriptor_set_size;

/* Swift cannot import an array of unknown size: this hands it over as a pointer. */
static inline const uint8_t *kks_descriptor_set_bytes(void) { return kks_descriptor_set; }

#endif
