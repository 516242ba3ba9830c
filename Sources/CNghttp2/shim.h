/* libnghttp2 1.52 (Debian 12): the ssize_t API (mem_recv, mem_send, nghttp2_data_provider). */
#include <nghttp2/nghttp2.h>
