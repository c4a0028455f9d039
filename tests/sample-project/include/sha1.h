#ifndef AC_SHA1_H
#define AC_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_SIZE 20
#define SHA1_HEX_SIZE (2 * SHA1_DIGEST_SIZE + 1)

typedef struct sha1_ctx {
    uint32_t h[5];
    uint64_t total;
    unsigned char block[64];
    size_t used;
} sha1_ctx;

void sha1_init(sha1_ctx *ctx);
void sha1_update(sha1_ctx *ctx, const void *data, size_t n);
void sha1_final(sha1_ctx *ctx, unsigned char digest[SHA1_DIGEST_SIZE]);
void sha1_hex(const void *data, size_t n, char out[SHA1_HEX_SIZE]);

#endif /* AC_SHA1_H */
