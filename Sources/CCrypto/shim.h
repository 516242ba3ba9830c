/* OpenSSL 3 libcrypto (Debian 12): SHA-256 and HMAC-SHA-256 for source fingerprints, random
   fingerprint keys, and X.509 name checks of mTLS client certificates. librdkafka links it already. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
