/* OpenSSL 3 libcrypto (Debian 12): SHA-256 and HMAC-SHA-256 for source fingerprints, random
   fingerprint keys, X.509 name checks of mTLS client certificates, and the key-pair check of
   the server's TLS files. librdkafka links it already. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
