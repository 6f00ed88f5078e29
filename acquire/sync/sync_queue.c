#include "sync_queue.h"

#include <stdlib.h>

int sync_queue_init(sync_queue *q, size_t cap)
{
    q->items = calloc(cap, sizeof *q->items);
    q->cap = cap;
    q->head = q->n = 0;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    return q->items ? 0 : -1;
}

void sync_queue_free(sync_queue *q)
{
    free(q->items);
    q->items = NULL;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->changed);
}

void sync_queue_push(sync_queue *q, void *item)
{
    pthread_mutex_lock(&q->lock);
    while (q->n == q->cap)
        pthread_cond_wait(&q->changed, &q->lock);
    q->items[(q->head + q->n) % q->cap] = item;
    q->n++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

static void *take(sync_queue *q)
{
    void *item = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    pthread_cond_broadcast(&q->changed);
    return item;
}

void *sync_queue_pop(sync_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->n == 0)
        pthread_cond_wait(&q->changed, &q->lock);
    void *item = take(q);
    pthread_mutex_unlock(&q->lock);
    return item;
}

void *sync_queue_try_pop(sync_queue *q)
{
    pthread_mutex_lock(&q->lock);
    void *item = q->n ? take(q) : NULL;
    pthread_mutex_unlock(&q->lock);
    return item;
}
