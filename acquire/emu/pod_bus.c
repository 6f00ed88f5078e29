/*
 * pod_bus.c — the umockdev glue: each plugged pod is a device record in a
 * testbed, a FIFO as its /dev node, and an ioctl handler that speaks
 * usbdevfs (the kernel interface libusb uses on Linux). DESIGN.md, "Testing
 * the real libusb path without hardware (umockdev)", lists the facts used:
 *
 *  - URBs: control transfers arrive as URBs (8-byte setup, then data), bulk
 *    transfers as one URB each because we advertise BULK_SCATTER_GATHER;
 *  - a bulk IN URB the pod has nothing for is held until the host discards
 *    it (DISCARDURB), which is how libusb times out: a genuine timeout;
 *  - libusb polls the node for POLLOUT to learn that a URB can be reaped.
 *    The node is a FIFO that we keep full (not writable) while nothing can
 *    be reaped and drain by one page when something can, so an idle host
 *    sleeps instead of spinning on REAPURBNDELAY.
 *
 * A link rate (tendo_pod_bus_set_link_rate) paces each pod's bulk IN like a
 * wire of that speed: a URB completes when its bytes would have crossed it
 * (see link_wait), on a timer of the bus's context, never a busy loop.
 */
#include "pod_bus.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h> /* _IOR and friends, which linux/usbdevice_fs.h uses */

#include <linux/usbdevice_fs.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <umockdev.h>

#include "pod_emu_device.h"

#define BUS_NUMBER      1u
#define FIRST_DEVNUM    2    /* 1 is the root hub on a real bus */
#define FIFO_PAGE       4096 /* one pipe buffer slot (a page) */
#define USB_SPEED_HIGH_ 3    /* enum usb_device_speed: USB_SPEED_HIGH */

/* What we advertise: one URB per bulk transfer of any size (see above). */
#define POD_CAPS                                                                                   \
    (USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |  \
     USBDEVFS_CAP_BULK_SCATTER_GATHER)

typedef struct bus_pod bus_pod;

/* A URB the host submitted: the handler's copy of the client's struct and
 * buffer, written back to the client when it is reaped. */
typedef struct urb_rec {
    /* Weak: umockdev owns its clients, and one must not be finalised by us
     * while its stream is still closing (a host killed mid-transfer). */
    GWeakRef client;
    UMockdevIoctlData *urb; /* struct usbdevfs_urb */
    UMockdevIoctlData *buf; /* its buffer (NULL when empty) */
    int64_t ready_us;       /* monotonic: since when the pod could send into it */
} urb_rec;

/* One enumeration of a pod: a re-plug is a new device with a new number. */
typedef struct plug {
    bus_pod *bp;
    unsigned devnum;
    char syspath[128];
    char devnode[64];
    int fifo_fd;
    int fifo_full;
    UMockdevIoctlBase *handler;
    int gone;
    GQueue held; /* urb_rec: waiting for the pod (bulk IN, a mute pod) */
    GQueue done; /* urb_rec: ready to reap */
} plug;

struct bus_pod {
    tendo_pod_bus *bus;
    tendo_pod_emu *pod;
    size_t index;
    plug *cur;      /* NULL while unplugged */
    int wake_armed; /* a timer will pump after a stall */
    int link_armed; /* a timer will pump when the link is free (link rate) */
    double link_free_us; /* monotonic µs when the last paced URB's bytes had crossed */
    GPtrArray *all; /* every plug, kept for clients that still hold its fd */
};

struct tendo_pod_bus {
    UMockdevTestbed *bed;
    GMainContext *ctx; /* where unplug and re-plug run */
    GMutex lock;       /* the pods and URB queues: worker thread vs ctx */
    char *state_dir;
    GPtrArray *pods; /* bus_pod */
    unsigned next_devnum;
    uint64_t bytes_in;
    double link_bytes_per_us; /* each pod's bulk IN wire speed; 0 = unlimited */
};

/* --------------------------------------------------------------- helpers */

static int64_t now_us(void)
{
    return g_get_real_time();
}

static struct usbdevfs_urb *urb_of(urb_rec *r)
{
    return (struct usbdevfs_urb *)r->urb->data;
}

static void urb_free(urb_rec *r)
{
    if (r->buf)
        g_object_unref(r->buf);
    g_object_unref(r->urb);
    g_weak_ref_clear(&r->client);
    g_free(r);
}

/* Readable by the host's poll (POLLOUT) exactly while a URB can be reaped. */
static void fifo_update(plug *p)
{
    static const char page[FIFO_PAGE];
    int ready = !g_queue_is_empty(&p->done);
    if (p->fifo_fd < 0)
        return;
    if (ready && p->fifo_full) {
        char sink[FIFO_PAGE];
        if (read(p->fifo_fd, sink, sizeof sink) > 0)
            p->fifo_full = 0;
    } else if (!ready && !p->fifo_full) {
        while (write(p->fifo_fd, page, sizeof page) > 0)
            ;
        p->fifo_full = 1;
    }
}

static void finish(plug *p, urb_rec *r, int status, int actual)
{
    urb_of(r)->status = status;
    urb_of(r)->actual_length = actual;
    g_queue_push_tail(&p->done, r);
}

/* 1 when r was submitted by client c (which is alive). */
static int owned_by(urb_rec *r, UMockdevIoctlClient *c)
{
    UMockdevIoctlClient *o = g_weak_ref_get(&r->client);
    if (o)
        g_object_unref(o);
    return o == c;
}

/* 1 when the client that submitted r has gone (closed its fd, or died). */
static int vanished(urb_rec *r)
{
    UMockdevIoctlClient *o = g_weak_ref_get(&r->client);
    int gone = !o || !umockdev_ioctl_client_get_connected(o);
    if (o)
        g_object_unref(o);
    return gone;
}

/* Drops URBs of clients that closed their fd (a killed host). */
static void purge_vanished(GQueue *q)
{
    for (GList *l = q->head; l;) {
        GList *next = l->next;
        urb_rec *r = l->data;
        if (vanished(r)) {
            g_queue_delete_link(q, l);
            urb_free(r);
        }
        l = next;
    }
}

static void save_state(bus_pod *bp)
{
    if (!bp->bus->state_dir || !tendo_pod_emu_state_dirty(bp->pod))
        return;
    tendo_error err;
    tendo_error_clear(&err);
    /* A pod whose flash fails keeps going, as a real one would report later. */
    if (tendo_pod_emu_state_save(bp->pod, bp->bus->state_dir, &err))
        g_printerr("tendo-podsim: %s\n", err.msg);
}

static void schedule_unplug(bus_pod *bp, int replug_ms);
static void pump(plug *p);

static gboolean wake_cb(gpointer data)
{
    bus_pod *bp = data;
    g_mutex_lock(&bp->bus->lock);
    bp->wake_armed = 0;
    if (bp->cur) {
        pump(bp->cur);
        fifo_update(bp->cur);
    }
    g_mutex_unlock(&bp->bus->lock);
    return G_SOURCE_REMOVE;
}

/* A stall with an end: pump again then, even if the host sends nothing. */
static void arm_wake(plug *p)
{
    bus_pod *bp = p->bp;
    int64_t at = tendo_pod_emu_wake_us(bp->pod);
    if (!at || bp->wake_armed || g_queue_is_empty(&p->held))
        return;
    int64_t ms = (at - g_get_monotonic_time()) / 1000 + 1;
    GSource *t = g_timeout_source_new((guint)(ms > 0 ? ms : 1));
    g_source_set_callback(t, wake_cb, bp, NULL);
    g_source_attach(t, bp->bus->ctx);
    g_source_unref(t);
    bp->wake_armed = 1;
}

static gboolean link_cb(gpointer data)
{
    bus_pod *bp = data;
    g_mutex_lock(&bp->bus->lock);
    bp->link_armed = 0;
    if (bp->cur) {
        pump(bp->cur);
        fifo_update(bp->cur);
    }
    g_mutex_unlock(&bp->bus->lock);
    return G_SOURCE_REMOVE;
}

/* With a link rate: the wire carries one URB after the other, so the URB at
 * the head starts crossing when the one before has crossed and the pod
 * could send into it (start), and completes cap / rate later. Its length is
 * not known before the pod fills it, so it is paced by its capacity (the
 * pod fills every URB but a stream's last); link_sent then books the bytes
 * it really carried. Returns 1 (and arms a timer) while it must wait. */
static int link_wait(plug *p, urb_rec *r, size_t cap, double *start)
{
    bus_pod *bp = p->bp;
    double rate = bp->bus->link_bytes_per_us;
    if (rate <= 0)
        return 0;
    *start = (double)r->ready_us > bp->link_free_us ? (double)r->ready_us : bp->link_free_us;
    double due = *start + (double)cap / rate;
    int64_t now = g_get_monotonic_time();
    if ((double)now >= due)
        return 0;
    if (!bp->link_armed) {
        /* Whole milliseconds, rounded up: a timer fires late, never early,
         * and the lateness does not add up (the next URB starts at
         * link_free_us, not at the moment it is reaped). */
        GSource *t = g_timeout_source_new((guint)((due - (double)now + 999.0) / 1000.0));
        g_source_set_callback(t, link_cb, bp, NULL);
        g_source_attach(t, bp->bus->ctx);
        g_source_unref(t);
        bp->link_armed = 1;
    }
    return 1;
}

/* Feeds held bulk IN URBs from the pod's stream, in submission order. */
static void pump(plug *p)
{
    bus_pod *bp = p->bp;
    while (!p->gone && !g_queue_is_empty(&p->held)) {
        urb_rec *r = g_queue_peek_head(&p->held);
        struct usbdevfs_urb *u = urb_of(r);
        if (u->type != USBDEVFS_URB_TYPE_BULK || u->endpoint != TENDO_POD_EP_IN)
            break; /* a muted control request: it waits for DISCARDURB */
        size_t cap = r->buf ? (size_t)u->buffer_length : 0, n = 0;
        double start = 0;
        if (link_wait(p, r, cap, &start))
            break;
        tendo_pod_emu_in what =
            tendo_pod_emu_bulk_in(bp->pod, r->buf ? r->buf->data : NULL, cap, &n);
        if (what == TENDO_POD_EMU_IN_HOLD) {
            /* Nothing to send yet: its bytes cannot start crossing before
             * the pod has them (after a READ, or a stall's end). */
            r->ready_us = g_get_monotonic_time();
            arm_wake(p);
            break;
        }
        if (bp->bus->link_bytes_per_us > 0)
            bp->link_free_us = start + (double)n / bp->bus->link_bytes_per_us;
        g_queue_pop_head(&p->held);
        bp->bus->bytes_in += n;
        finish(p, r, 0, (int)n);
        if (what == TENDO_POD_EMU_IN_UNPLUG || what == TENDO_POD_EMU_IN_RESET) {
            int replug = -1;
            if (what == TENDO_POD_EMU_IN_RESET) {
                tendo_pod_emu_reset(bp->pod, now_us());
                save_state(bp);
            }
            replug = tendo_pod_emu_replug_ms(bp->pod, what == TENDO_POD_EMU_IN_RESET);
            schedule_unplug(bp, replug);
            break;
        }
    }
    save_state(bp); /* a stream fault fired */
}

/* ------------------------------------------------------------ the ioctls */

static void submit_control(plug *p, urb_rec *r)
{
    struct usbdevfs_urb *u = urb_of(r);
    if (!r->buf || u->buffer_length < (int)TENDO_POD_SETUP_SIZE) {
        finish(p, r, -EINVAL, 0);
        return;
    }
    uint8_t *b = r->buf->data;
    tendo_pod_setup s;
    tendo_pod_setup_decode(b, &s);
    size_t room = (size_t)u->buffer_length - TENDO_POD_SETUP_SIZE;
    if (s.length > room) {
        finish(p, r, -EINVAL, 0);
        return;
    }
    static uint8_t reply[TENDO_POD_LIST_MAX_SIZE > 256 ? TENDO_POD_LIST_MAX_SIZE : 256];
    size_t len = 0;
    int in = s.request_type & 0x80;
    int answered = tendo_pod_emu_control(p->bp->pod, &s, b + TENDO_POD_SETUP_SIZE,
                                         in ? 0 : s.length, now_us(), reply, &len);
    save_state(p->bp); /* before the host learns the ERASE or CLOCK_SET succeeded */
    if (answered < 0) {
        g_queue_push_tail(&p->held, r); /* a mute pod: the host times out */
        return;
    }
    if (!answered) {
        finish(p, r, -EPIPE, 0); /* STALL */
        return;
    }
    if (in) {
        if (len > s.length)
            len = s.length;
        memcpy(b + TENDO_POD_SETUP_SIZE, reply, len);
        finish(p, r, 0, (int)len);
    } else {
        finish(p, r, 0, s.length);
    }
    pump(p); /* a READ starts the stream */
}

static gboolean submit_urb(plug *p, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
    GError *gerr = NULL;
    UMockdevIoctlData *ud = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), &gerr);
    if (!ud) {
        g_clear_error(&gerr);
        umockdev_ioctl_client_complete(client, -1, EFAULT);
        return TRUE;
    }
    struct usbdevfs_urb *u = (struct usbdevfs_urb *)ud->data;
    if (p->gone) {
        g_object_unref(ud);
        umockdev_ioctl_client_complete(client, -1, ENODEV);
        return TRUE;
    }
    urb_rec *r = g_new0(urb_rec, 1);
    g_weak_ref_init(&r->client, client);
    r->urb = ud;
    if (u->buffer_length > 0) {
        r->buf = umockdev_ioctl_data_resolve(ud, offsetof(struct usbdevfs_urb, buffer),
                                             (gsize)u->buffer_length, &gerr);
        if (!r->buf) {
            g_clear_error(&gerr);
            urb_free(r);
            umockdev_ioctl_client_complete(client, -1, EFAULT);
            return TRUE;
        }
    }
    u = urb_of(r);
    r->ready_us = g_get_monotonic_time();
    u->status = -EINPROGRESS;
    u->actual_length = 0;
    if (u->type == USBDEVFS_URB_TYPE_CONTROL)
        submit_control(p, r);
    else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == TENDO_POD_EP_IN) {
        g_queue_push_tail(&p->held, r);
        pump(p);
    } else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == TENDO_POD_EP_OUT)
        finish(p, r, -EPIPE, 0); /* reserved in version 1: the pod stalls it */
    else {
        urb_free(r);
        umockdev_ioctl_client_complete(client, -1, EINVAL);
        return TRUE;
    }
    umockdev_ioctl_client_complete(client, 0, 0);
    return TRUE;
}

static gboolean reap_urb(plug *p, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
    urb_rec *r = NULL;
    for (GList *l = p->done.head; l; l = l->next)
        if (owned_by(l->data, client)) {
            r = l->data;
            g_queue_delete_link(&p->done, l);
            break;
        }
    if (!r) {
        /* Blocking REAPURB is answered like REAPURBNDELAY: libusb never
         * blocks in it (it polls first), so "try again" is what it expects. */
        umockdev_ioctl_client_complete(client, -1, p->gone ? ENODEV : EAGAIN);
        return TRUE;
    }
    GError *gerr = NULL;
    UMockdevIoctlData *slot = umockdev_ioctl_data_resolve(arg, 0, sizeof(void *), &gerr);
    if (!slot) {
        g_clear_error(&gerr);
        urb_free(r);
        umockdev_ioctl_client_complete(client, -1, EFAULT);
        return TRUE;
    }
    /* The client's pointer now names its own URB, written back (status,
     * actual_length, and the IN data) when the ioctl completes. */
    umockdev_ioctl_data_set_ptr(slot, 0, r->urb);
    g_object_unref(slot);
    umockdev_ioctl_client_complete(client, 0, 0);
    urb_free(r);
    return TRUE;
}

static gboolean discard_urb(plug *p, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
    gulong addr = *(gulong *)arg->data; /* the client's URB pointer, not resolved */
    for (GList *l = p->held.head; l; l = l->next) {
        urb_rec *r = l->data;
        if (owned_by(r, client) && r->urb->client_addr == addr) {
            g_queue_delete_link(&p->held, l);
            finish(p, r, -ENOENT, 0); /* how the kernel reports a killed URB */
            umockdev_ioctl_client_complete(client, 0, 0);
            return TRUE;
        }
    }
    umockdev_ioctl_client_complete(client, -1, EINVAL); /* already completed */
    return TRUE;
}

/* An ioctl whose argument is a small struct we fill in. */
static gboolean reply_struct(UMockdevIoctlClient *client, UMockdevIoctlData *arg, const void *v,
                             size_t len)
{
    GError *gerr = NULL;
    UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, len, &gerr);
    if (!d) {
        g_clear_error(&gerr);
        umockdev_ioctl_client_complete(client, -1, EFAULT);
        return TRUE;
    }
    memcpy(d->data, v, len);
    g_object_unref(d);
    umockdev_ioctl_client_complete(client, 0, 0);
    return TRUE;
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer user)
{
    plug *p = user;
    tendo_pod_bus *bus = p->bp->bus;
    /* ioctl numbers are unsigned int; glib hands them over as gulong. */
    unsigned int req = (unsigned int)umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
    gboolean handled = TRUE;
    g_mutex_lock(&bus->lock);
    purge_vanished(&p->held);
    purge_vanished(&p->done);
    if (req == (unsigned int)USBDEVFS_SUBMITURB) {
        submit_urb(p, client, arg);
    } else if (req == (unsigned int)USBDEVFS_REAPURB || req == (unsigned int)USBDEVFS_REAPURBNDELAY) {
        reap_urb(p, client, arg);
    } else if (req == (unsigned int)USBDEVFS_DISCARDURB) {
        discard_urb(p, client, arg);
    } else if (p->gone) {
        umockdev_ioctl_client_complete(client, -1, ENODEV);
    } else if (req == (unsigned int)USBDEVFS_GET_CAPABILITIES) {
        uint32_t caps = POD_CAPS;
        reply_struct(client, arg, &caps, sizeof caps);
    } else if (req == (unsigned int)USBDEVFS_CONNECTINFO) {
        struct usbdevfs_connectinfo ci = {.devnum = p->devnum, .slow = 0};
        reply_struct(client, arg, &ci, sizeof ci);
    } else if (req == (unsigned int)USBDEVFS_GET_SPEED) {
        umockdev_ioctl_client_complete(client, USB_SPEED_HIGH_, 0);
    } else if (req == (unsigned int)USBDEVFS_GETDRIVER || req == (unsigned int)USBDEVFS_IOCTL) {
        umockdev_ioctl_client_complete(client, -1, ENODATA); /* no kernel driver bound */
    } else if (req == (unsigned int)USBDEVFS_RESET) {
        /* A port reset: the pod's USB function restarts, its stream is gone. */
        tendo_pod_emu_unplugged(p->bp->pod);
        umockdev_ioctl_client_complete(client, 0, 0);
    } else if (req == (unsigned int)USBDEVFS_CLAIMINTERFACE || req == (unsigned int)USBDEVFS_RELEASEINTERFACE ||
               req == (unsigned int)USBDEVFS_DISCONNECT_CLAIM || req == (unsigned int)USBDEVFS_SETINTERFACE ||
               req == (unsigned int)USBDEVFS_SETCONFIGURATION || req == (unsigned int)USBDEVFS_CLEAR_HALT ||
               req == (unsigned int)USBDEVFS_RESETEP || req == (unsigned int)USBDEVFS_CLAIM_PORT ||
               req == (unsigned int)USBDEVFS_RELEASE_PORT) {
        umockdev_ioctl_client_complete(client, 0, 0);
    } else {
        umockdev_ioctl_client_complete(client, -1, ENOTTY);
    }
    fifo_update(p);
    g_mutex_unlock(&bus->lock);
    return handled;
}

/* ------------------------------------------------------- plug and unplug */

static int plug_in(bus_pod *bp, tendo_error *err)
{
    tendo_pod_bus *bus = bp->bus;
    if (bus->next_devnum > 127)
        return tendo_error_set(err, TENDO_EUNAVAIL, "the emulated bus ran out of device numbers");
    plug *p = g_new0(plug, 1);
    p->bp = bp;
    p->fifo_fd = -1;
    p->devnum = bus->next_devnum++;
    g_queue_init(&p->held);
    g_queue_init(&p->done);
    char rec[4096];
    uint8_t desc[TENDO_POD_EMU_DESC_MAX];
    size_t dlen = tendo_pod_emu_sysfs_descriptors(bp->pod, desc, sizeof desc);
    int rc = tendo_pod_emu_record_with(BUS_NUMBER, p->devnum, tendo_pod_emu_serial(bp->pod), desc,
                                       dlen, 0, rec, sizeof rec, err);
    if (rc) {
        g_free(p);
        return rc;
    }
    snprintf(p->syspath, sizeof p->syspath, "/sys/devices/tendo-podsim/usb%u/%u-%u", BUS_NUMBER,
             BUS_NUMBER, p->devnum);
    snprintf(p->devnode, sizeof p->devnode, "/dev/bus/usb/%03u/%03u", BUS_NUMBER, p->devnum);
    /* The /dev node (a FIFO we keep full while nothing is reapable) and its
     * ioctl handler exist before the device does: umockdev announces the
     * device ("add" uevent) as it adds it, and a host may open it at once. */
    char *root = umockdev_testbed_get_root_dir(bus->bed);
    char *node = g_strconcat(root, p->devnode, NULL);
    char *dir = g_path_get_dirname(node);
    g_free(root);
    if (g_mkdir_with_parents(dir, 0755) == 0 && mkfifo(node, 0666) == 0)
        p->fifo_fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (p->fifo_fd < 0)
        rc = tendo_error_set(err, TENDO_EINTERNAL, "cannot make the FIFO node %s: %s", node,
                             strerror(errno));
    g_free(dir);
    g_free(node);
    GError *gerr = NULL;
    if (!rc) {
        fifo_update(p);
        p->handler = umockdev_ioctl_base_new();
        g_signal_connect(p->handler, "handle-ioctl", G_CALLBACK(on_ioctl), p);
        if (!umockdev_testbed_attach_ioctl(bus->bed, p->devnode, p->handler, &gerr))
            rc = tendo_error_set(err, TENDO_EINTERNAL, "umockdev cannot attach to %s: %s",
                                 p->devnode, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
    }
    if (!rc && !umockdev_testbed_add_from_string(bus->bed, rec, &gerr))
        rc = tendo_error_set(err, TENDO_EINTERNAL, "umockdev refuses the record of pod %s: %s",
                             tendo_pod_emu_serial(bp->pod), gerr ? gerr->message : "?");
    g_clear_error(&gerr);
    g_ptr_array_add(bp->all, p); /* freed with the bus, even half made */
    if (rc)
        return rc;
    bp->cur = p;
    return TENDO_OK;
}

/* The pod leaves the bus at once (lock held): every transfer in flight
 * fails with "no device" and later ioctls with ENODEV, so the host gets not
 * one byte more, however late the main context removes the device. */
static plug *disconnect(bus_pod *bp)
{
    plug *p = bp->cur;
    if (!p)
        return NULL;
    bp->cur = NULL;
    p->gone = 1;
    while (!g_queue_is_empty(&p->held))
        finish(p, g_queue_pop_head(&p->held), -ENODEV, 0);
    fifo_update(p);
    tendo_pod_emu_unplugged(bp->pod);
    return p;
}

typedef struct unplug_job {
    bus_pod *bp;
    plug *p; /* already disconnected, or NULL: disconnect it here */
    int replug_ms;
} unplug_job;

static gboolean replug_cb(gpointer data)
{
    bus_pod *bp = data;
    tendo_pod_bus *bus = bp->bus;
    g_mutex_lock(&bus->lock);
    tendo_error err;
    tendo_error_clear(&err);
    /* Adding the device sends the "add" uevent. */
    if (!bp->cur && plug_in(bp, &err))
        g_printerr("tendo-podsim: re-plugging pod %s: %s\n", tendo_pod_emu_serial(bp->pod),
                   err.msg);
    g_mutex_unlock(&bus->lock);
    return G_SOURCE_REMOVE;
}

/* On the bus's context: the device leaves the testbed ("remove" uevent). */
static gboolean unplug_cb(gpointer data)
{
    unplug_job *job = data;
    bus_pod *bp = job->bp;
    tendo_pod_bus *bus = bp->bus;
    g_mutex_lock(&bus->lock);
    plug *p = job->p ? job->p : disconnect(bp);
    if (p) {
        umockdev_testbed_uevent(bus->bed, p->syspath, "remove");
        umockdev_testbed_remove_device(bus->bed, p->syspath);
        /* The node goes too (clients that hold it open keep their fd). */
        char *root = umockdev_testbed_get_root_dir(bus->bed);
        char *node = g_strconcat(root, p->devnode, NULL);
        unlink(node);
        g_free(node);
        g_free(root);
    }
    g_mutex_unlock(&bus->lock);
    if (p && job->replug_ms >= 0) {
        GSource *t = g_timeout_source_new((guint)job->replug_ms);
        g_source_set_callback(t, replug_cb, bp, NULL);
        g_source_attach(t, bus->ctx);
        g_source_unref(t);
    }
    g_free(job);
    return G_SOURCE_REMOVE;
}

static void queue_unplug(bus_pod *bp, plug *p, int replug_ms)
{
    unplug_job *job = g_new(unplug_job, 1);
    *job = (unplug_job){.bp = bp, .p = p, .replug_ms = replug_ms};
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, unplug_cb, job, NULL);
    g_source_attach(s, bp->bus->ctx);
    g_source_unref(s);
}

/* From the worker thread, lock held: off the bus now, out of the testbed
 * on the bus's own context. */
static void schedule_unplug(bus_pod *bp, int replug_ms)
{
    plug *p = disconnect(bp);
    if (p)
        queue_unplug(bp, p, replug_ms);
}

/* ------------------------------------------------------------------ bus */

int tendo_pod_bus_new(tendo_pod_bus **out, const char *state_dir, tendo_error *err)
{
    tendo_pod_bus *bus = g_new0(tendo_pod_bus, 1);
    bus->bed = umockdev_testbed_new();
    if (!bus->bed) {
        g_free(bus);
        return tendo_error_set(err, TENDO_EINTERNAL, "umockdev cannot make a testbed");
    }
    bus->ctx = g_main_context_ref_thread_default();
    g_mutex_init(&bus->lock);
    bus->state_dir = state_dir ? g_strdup(state_dir) : NULL;
    bus->pods = g_ptr_array_new();
    bus->next_devnum = FIRST_DEVNUM;
    *out = bus;
    return TENDO_OK;
}

int tendo_pod_bus_plug(tendo_pod_bus *bus, tendo_pod_emu *pod, tendo_error *err)
{
    bus_pod *bp = g_new0(bus_pod, 1);
    bp->bus = bus;
    bp->pod = pod;
    bp->index = bus->pods->len;
    bp->all = g_ptr_array_new();
    g_ptr_array_add(bus->pods, bp);
    g_mutex_lock(&bus->lock);
    int rc = plug_in(bp, err);
    g_mutex_unlock(&bus->lock);
    return rc;
}

void tendo_pod_bus_unplug(tendo_pod_bus *bus, size_t i, int replug_ms)
{
    if (i < bus->pods->len)
        queue_unplug(g_ptr_array_index(bus->pods, i), NULL, replug_ms);
}

void tendo_pod_bus_set_link_rate(tendo_pod_bus *bus, double bytes_per_s)
{
    g_mutex_lock(&bus->lock);
    bus->link_bytes_per_us = bytes_per_s > 0 ? bytes_per_s / 1e6 : 0;
    g_mutex_unlock(&bus->lock);
}

uint64_t tendo_pod_bus_bytes_in(const tendo_pod_bus *bus)
{
    return bus->bytes_in;
}

void tendo_pod_bus_free(tendo_pod_bus *bus)
{
    if (!bus)
        return;
    for (guint i = 0; i < bus->pods->len; i++) {
        bus_pod *bp = g_ptr_array_index(bus->pods, i);
        for (guint k = 0; k < bp->all->len; k++) {
            plug *p = g_ptr_array_index(bp->all, k);
            if (p->handler) {
                umockdev_testbed_detach_ioctl(bus->bed, p->devnode, NULL);
                g_object_unref(p->handler);
            }
            while (!g_queue_is_empty(&p->held))
                urb_free(g_queue_pop_head(&p->held));
            while (!g_queue_is_empty(&p->done))
                urb_free(g_queue_pop_head(&p->done));
            if (p->fifo_fd >= 0)
                close(p->fifo_fd);
            g_free(p);
        }
        g_ptr_array_free(bp->all, TRUE);
        g_free(bp);
    }
    g_ptr_array_free(bus->pods, TRUE);
    /* Unref removes the testbed's /tmp/umockdev.* directory. */
    g_object_unref(bus->bed);
    g_main_context_unref(bus->ctx);
    g_mutex_clear(&bus->lock);
    g_free(bus->state_dir);
    g_free(bus);
}
