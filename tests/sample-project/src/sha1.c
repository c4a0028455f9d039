/* sha1.c - SHA-1 (FIPS 180-4). Kept for checksums, not for security. */
#include <string.h>

#include "common.h"
#include "sha1.h"

#define LOAD_BE32(p) \
    (((uint32_t)(p)[0] << 24) | ((uint32_t)(p)[1] << 16) | ((uint32_t)(p)[2] << 8) | (uint32_t)(p)[3])

#define SHA1_ROUND(f, k)                                            \
    do {                                                            \
        uint32_t t_ = ac_rotl32(a, 5) + (f) + e + (k) + w[i];        \
        e = d;                                                      \
        d = c;                                                      \
        c = ac_rotl32(b, 30);                                       \
        b = a;                                                      \
        a = t_;                                                     \
    } while (0)

static void sha1_compress(uint32_t h[5], const unsigned char block[64])
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = LOAD_BE32(block + 4 * i);
    for (int i = 16; i < 80; i++)
        w[i] = ac_rotl32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    int i = 0;
    for (; i < 20; i++)
        SHA1_ROUND((b & c) | (~b & d), UINT32_C(0x5A827999));
    for (; i < 40; i++)
        SHA1_ROUND(b ^ c ^ d, UINT32_C(0x6ED9EBA1));
    for (; i < 60; i++)
        SHA1_ROUND((b & c) | (b & d) | (c & d), UINT32_C(0x8F1BBCDC));
    for (; i < 80; i++)
        SHA1_ROUND(b ^ c ^ d, UINT32_C(0xCA62C1D6));

    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_init(sha1_ctx *ctx)
{
    static const uint32_t iv[5] = {
        UINT32_C(0x67452301), UINT32_C(0xEFCDAB89), UINT32_C(0x98BADCFE),
        UINT32_C(0x10325476), UINT32_C(0xC3D2E1F0),
    };
    memcpy(ctx->h, iv, sizeof iv);
    ctx->total = 0;
    ctx->used = 0;
}

void sha1_update(sha1_ctx *ctx, const void *data, size_t n)
{
    const unsigned char *p = data;
    ctx->total += n;
    while (n > 0) {
        size_t take = AC_MIN(n, sizeof ctx->block - ctx->used);
        memcpy(ctx->block + ctx->used, p, take);
        ctx->used += take;
        p += take;
        n -= take;
        if (ctx->used == sizeof ctx->block) {
            sha1_compress(ctx->h, ctx->block);
            ctx->used = 0;
        }
    }
}

void sha1_final(sha1_ctx *ctx, unsigned char digest[SHA1_DIGEST_SIZE])
{
    uint64_t bits = ctx->total * 8;
    unsigned char pad[72] = { 0x80 };
    size_t pad_len = (ctx->used < 56) ? 56 - ctx->used : 120 - ctx->used;
    unsigned char len_be[8];
    for (int i = 0; i < 8; i++)
        len_be[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_update(ctx, pad, pad_len);
    sha1_update(ctx, len_be, sizeof len_be);
    for (int i = 0; i < 5; i++) {
        digest[4 * i + 0] = (unsigned char)(ctx->h[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(ctx->h[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(ctx->h[i] >> 8);
        digest[4 * i + 3] = (unsigned char)ctx->h[i];
    }
}

void sha1_hex(const void *data, size_t n, char out[SHA1_HEX_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    sha1_ctx ctx;
    unsigned char digest[SHA1_DIGEST_SIZE];
    sha1_init(&ctx);
    sha1_update(&ctx, data, n);
    sha1_final(&ctx, digest);
    for (int i = 0; i < SHA1_DIGEST_SIZE; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * SHA1_DIGEST_SIZE] = '\0';
}
