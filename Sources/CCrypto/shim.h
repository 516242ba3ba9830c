/* OpenSSL 3 libcrypto (Debian 12): SHA-256 and HMAC-SHA-256 for source fingerprints, random
   fingerprint keys. librdkafka links it already. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
