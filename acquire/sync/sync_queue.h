/*
 * sync_queue.h — a bounded, blocking FIFO of pointers between the threads
 * of a download (internal to the sync engine). Pools of buffers are queues
 * too, so every buffer a download uses exists from its start: memory is
 * flat however long the run.
 */
#ifndef TENDO_SYNC_QUEUE_H
#define TENDO_SYNC_QUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct sync_queue {
    void **items;
    size_t cap, head, n;
    pthread_mutex_t lock;
    pthread_cond_t changed;
} sync_queue;

/* 0, or -1 when out of memory. */
int sync_queue_init(sync_queue *q, size_t cap);
void sync_queue_free(sync_queue *q);
/* Waits while the queue is full. */
void sync_queue_push(sync_queue *q, void *item);
/* Waits while the queue is empty. */
void *sync_queue_pop(sync_queue *q);
/* NULL when empty. */
void *sync_queue_try_pop(sync_queue *q);

#endif
