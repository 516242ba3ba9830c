/* OpenSSL 3 libcrypto (Debian 12): SHA-256 for source fingerprints. librdkafka links it already. */
#include <openssl/evp.h>
