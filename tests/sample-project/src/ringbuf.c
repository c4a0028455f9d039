/* ringbuf.c - single-producer/single-consumer style byte FIFO. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ringbuf.h"

ac_err ringbuf_init(ringbuf *rb, size_t capacity)
{
    if (!ac_is_pow2(capacity))
        return AC_E_INVALID;
    rb->buf = ac_xmalloc(capacity);
    rb->cap = capacity;
    rb->head = rb->tail = 0;
    return AC_E_OK;
}

void ringbuf_free(ringbuf *rb)
{
    free(rb->buf);
    rb->buf = NULL;
    rb->cap = rb->head = rb->tail = 0;
}

size_t ringbuf_write(ringbuf *rb, const void *data, size_t n)
{
    const unsigned char *src = data;
    n = AC_MIN(n, ringbuf_space(rb));
    size_t start = rb->head & (rb->cap - 1);
    size_t first = AC_MIN(n, rb->cap - start);
    memcpy(rb->buf + start, src, first);
    memcpy(rb->buf, src + first, n - first);
    rb->head += n;
    return n;
}

size_t ringbuf_peek(const ringbuf *rb, void *out, size_t n)
{
    unsigned char *dst = out;
    n = AC_MIN(n, ringbuf_len(rb));
    size_t start = rb->tail & (rb->cap - 1);
    size_t first = AC_MIN(n, rb->cap - start);
    memcpy(dst, rb->buf + start, first);
    memcpy(dst + first, rb->buf, n - first);
    return n;
}

size_t ringbuf_read(ringbuf *rb, void *out, size_t n)
{
    n = ringbuf_peek(rb, out, n);
    rb->tail += n;
    return n;
}

size_t ringbuf_skip(ringbuf *rb, size_t n)
{
    n = AC_MIN(n, ringbuf_len(rb));
    rb->tail += n;
    return n;
}
