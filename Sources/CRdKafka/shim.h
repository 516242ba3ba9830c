/* librdkafka 2.0.2 (Debian 12). rdkafka_mock.h must follow rdkafka.h. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
