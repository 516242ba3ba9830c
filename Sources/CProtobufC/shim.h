/* libprotobuf-c 1.4 (Debian 12). */
#include <protobuf-c/protobuf-c.h>
