/* crc32.c - table-driven CRC-32. */
#include "crc32.h"

#define CRC32_POLY UINT32_C(0xEDB88320)

static uint32_t g_table[256];
static int g_table_ready;

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? CRC32_POLY ^ (c >> 1) : c >> 1;
        g_table[i] = c;
    }
    g_table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (!g_table_ready)
        build_table();
    crc = ~crc;
    while (n--)
        crc = g_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}
