#ifndef AC_RINGBUF_H
#define AC_RINGBUF_H

#include <stddef.h>
#include "errors.h"

/* Byte FIFO with power-of-two capacity and free-running indices. */
typedef struct ringbuf {
    unsigned char *buf;
    size_t cap;
    size_t head; /* total bytes written */
    size_t tail; /* total bytes read */
} ringbuf;

ac_err ringbuf_init(ringbuf *rb, size_t capacity);
void ringbuf_free(ringbuf *rb);
size_t ringbuf_write(ringbuf *rb, const void *data, size_t n);
size_t ringbuf_read(ringbuf *rb, void *out, size_t n);
size_t ringbuf_peek(const ringbuf *rb, void *out, size_t n);
size_t ringbuf_skip(ringbuf *rb, size_t n);

static inline size_t ringbuf_len(const ringbuf *rb)
{
    return rb->head - rb->tail;
}

static inline size_t ringbuf_space(const ringbuf *rb)
{
    return rb->cap - ringbuf_len(rb);
}

#endif /* AC_RINGBUF_H */
