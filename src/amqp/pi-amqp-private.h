/* pi-amqp-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <rabbitmq-c/amqp.h>

#include "pi-amqp-client.h"

G_BEGIN_DECLS

/*
 * What the client object (pi-amqp-client.c, the caller's main context) and
 * its I/O thread (pi-amqp-io.c for the connection, pi-amqp-channel.c for the
 * subscriptions' channels, pi-amqp-setup.c for setting one up) share.
 *
 * librabbitmq is not thread-safe per connection, so one I/O thread owns the
 * connection and everything on it. The main context talks to it through a
 * request queue (plus a pipe that wakes its poll()), and it answers through an
 * outgoing queue drained by one long-lived source in the client's main
 * context, where every callback runs. Each subscription gets its own channel,
 * so a channel error (a binding to a missing exchange) ends that subscription
 * only.
 *
 * Deliveries cross to the main context in batches, not one by one: a main
 * context iteration with a thousand event streams polls and checks a couple
 * of thousand sources, so waking it once per delivery costs far more than the
 * delivery. The I/O thread collects what it reads in a local batch and hands
 * it over when the socket runs dry (or every FLUSH_BATCH deliveries), and the
 * dispatch source fires DISPATCH_DELAY_US after the first delivery of a batch,
 * so that a steady trickle is handed over some milliseconds' worth at a time.
 * The reader also lets deliveries gather for READ_GATHER_US between two
 * reads rather than waking for each one the broker writes.
 */

#define FRAME_MAX          131072
#define HEARTBEAT_SECONDS  30
#define CONNECT_TIMEOUT_S  10
#define PROBE_TIMEOUT_MS   2000   /* second try that finds why a connect failed */
#define RPC_TIMEOUT_S      20
#define POLL_INTERVAL_MS   1000
#define BACKOFF_FIRST_MS   500
#define BACKOFF_MAX_MS     30000
#define CONTROL_CHANNEL    1
#define FRAMES_PER_TURN    256
#define FLUSH_BATCH        256    /* deliveries the I/O thread holds at most */
#define DISPATCH_BATCH     2048   /* outgoing items per main context turn */
/* A tenth of the 100 ms latency budget: at most 100 hand-overs a second. */
#define DISPATCH_DELAY_US  10000  /* coalescing delay for deliveries */
#define READ_GATHER_US     1000   /* least time between two socket reads */
/* How long dropping a client waits for its I/O thread to end. */
#define FINALIZE_WAIT_US   500000
#define OUTGOING_HIGH_WATER (32 * 1024 * 1024)
#define OUTGOING_LOW_WATER  (8 * 1024 * 1024)

typedef struct
{
  char *exchange;
  char *pattern;
} Binding;

struct _PiAmqpSubscription
{
  gatomicrefcount              ref_count;
  PiAmqpSubscriptionCallbacks  callbacks;
  gpointer                     user_data;
  GArray                      *bindings;   /* Binding, immutable */
  /* The queue options, immutable. */
  char                        *queue_name;
  char                        *dropped_exchange;
  guint                        max_length;
  guint                        prefetch;
  gboolean                     all_or_nothing;
  gboolean                     dropped_optional;

  /* Set by the main context on unsubscribe; read by the I/O thread. */
  int                          cancelled;
  /* Main context only: no callback may run any more. */
  gboolean                     finished;

  /* I/O thread only. */
  gboolean                     io_failed;        /* `failed` was emitted */
  gboolean                     dropped_off;      /* dropped_exchange refused, optional */
  amqp_channel_t               channel;          /* consuming, 0 if none */
  amqp_channel_t               dropped_channel;  /* counting drops, 0 if none */
  char                        *declared_queue;   /* its name once consuming */
};

typedef enum
{
  REQUEST_SUBSCRIBE,
  REQUEST_UNSUBSCRIBE,
  REQUEST_ACK,
  REQUEST_BIND,
  REQUEST_UNBIND,
} RequestKind;

typedef struct
{
  RequestKind         kind;
  PiAmqpSubscription *sub;
  guint64             tag;
  /* BIND, UNBIND */
  char               *exchange;
  char               *pattern;
  PiAmqpBindFunc      bind_func;
  gpointer            bind_data;
} Request;

typedef enum
{
  OUTGOING_STATE,           /* sub NULL: the connection's state changed */
  OUTGOING_READY,
  OUTGOING_DELIVERY,
  OUTGOING_DROPPED,
  OUTGOING_DROPPED_MESSAGE, /* item: a PiAmqpDropped */
  OUTGOING_BINDING_FAILED,
  OUTGOING_FAILED,
  OUTGOING_BOUND,           /* a pi_amqp_client_bind() done: text the refusal */
} OutgoingKind;

typedef struct
{
  OutgoingKind        kind;
  PiAmqpSubscription *sub;
  gpointer            item;     /* DELIVERY: what the convert func made */
  gsize               size;     /* its size, for the bound on the queue */
  guint64             number;   /* DELIVERY: tag; DROPPED: count;
                                 * BINDING_FAILED: index; STATE: state */
  PiAmqpFailure       failure;
  char               *text;
  /* BOUND */
  char               *broker_reply;
  PiAmqpBindFunc      bind_func;
  gpointer            bind_data;
} Outgoing;

/* Shared between the client object (main context) and its I/O thread,
 * each holding a reference: the client does not wait for the thread when it
 * goes, which may be in a blocking call for seconds. */
typedef struct
{
  gatomicrefcount          ref_count;
  /* Under lock: the connection's socket while there is one (-1 otherwise),
   * shut down by the client when it goes, to cut a blocking call short. */
  int                      sockfd;

  /* Immutable after construction. */
  PiAmqpAddress           *address;
  int                      heartbeat;
  int                      channel_max_asked; /* 0: the broker's */
  int                      channel_max_known; /* atomic: the last login's, 0 before */
  char                    *product;
  PiAmqpConvertFunc        convert_func;
  gpointer                 convert_data;
  GDestroyNotify           convert_free;
  GMainContext            *context;
  int                      wake_fds[2];
  /* Not a reference: the dispatch source goes before the object. */
  PiAmqpClient            *owner;

  GMutex                   lock;
  /* Under lock: set by the I/O thread once its connection is destroyed,
   * just before it ends; signalled on done_cond. */
  gboolean                 thread_done;
  GCond                    done_cond;
  GQueue                   requests;      /* Request*, under lock */
  GQueue                   outgoing;      /* Outgoing*, under lock */
  gsize                    outgoing_bytes; /* under lock */
  gboolean                 reader_paused; /* under lock */
  /* Attached for the client's lifetime; fires when its ready time is set. */
  GSource                 *dispatch;
  gboolean                 dispatch_armed; /* under lock: a ready time is set */
  gboolean                 quit;          /* under lock */
  /* Under lock, set by the I/O thread: why the last attempt failed or the
   * connection was lost (NULL before the first failure), what kind of
   * failure that was, and when the next attempt is due (monotonic
   * microseconds; 0 when none is). */
  char                    *unavailable_reason;
  PiAmqpFailure            failure;
  gint64                   next_attempt_at;
  int                      io_state;      /* PiAmqpClientState, atomic */

  /* I/O thread only. */
  GQueue                   batch;         /* Outgoing* not handed over yet */
  gsize                    batch_bytes;
  /* The batch holds deliveries of a subscription with a prefetch: the
   * broker sends no more until they are acknowledged, so no delay. */
  gboolean                 batch_credit;
  amqp_connection_state_t  conn;
  GHashTable              *subs;          /* channel -> PiAmqpSubscription (ref) */
  int                      channel_max;
  int                      next_channel;
} Io;

PiAmqpSubscription *pi_amqp_subscription_ref          (PiAmqpSubscription *sub);
void                pi_amqp_subscription_unref        (PiAmqpSubscription *sub);
gboolean            pi_amqp_subscription_is_cancelled (PiAmqpSubscription *sub);

/* Called on the I/O thread. pi_amqp_io_emit takes @text. */
Outgoing       *pi_amqp_io_emit                   (Io                 *io,
                                                   PiAmqpSubscription *sub,
                                                   OutgoingKind        kind,
                                                   guint64             number,
                                                   char               *text);
void            pi_amqp_io_emit_delivery          (Io                 *io,
                                                   PiAmqpSubscription *sub,
                                                   const PiAmqpDelivery *delivery);
void            pi_amqp_io_emit_dropped           (Io                 *io,
                                                   PiAmqpSubscription *sub);
/* Takes @dropped. */
void            pi_amqp_io_emit_dropped_message   (Io                 *io,
                                                   PiAmqpSubscription *sub,
                                                   PiAmqpDropped      *dropped);
void            pi_amqp_io_emit_state             (Io                 *io,
                                                   PiAmqpClientState   state);
void            pi_amqp_io_fail                   (Io                 *io,
                                                   PiAmqpSubscription *sub,
                                                   PiAmqpFailure       failure,
                                                   char               *text);
void            pi_amqp_io_flush                  (Io                 *io);
void            pi_amqp_io_drain_wake             (Io                 *io);
Request        *pi_amqp_io_pop_request            (Io                 *io);
gboolean        pi_amqp_io_has_requests           (Io                 *io);
gboolean        pi_amqp_io_should_quit            (Io                 *io);
gboolean        pi_amqp_io_reading_paused         (Io                 *io);
void            pi_amqp_request_free              (Request            *request);
/* Takes @text and @broker_reply. */
void            pi_amqp_io_emit_bound             (Io                 *io,
                                                   Request            *request,
                                                   char               *text,
                                                   char               *broker_reply);

/* The client's side of the queues (pi-amqp-queue.c, pi-amqp-client.c). */
void            pi_amqp_io_wake                   (Io                 *io);
void            pi_amqp_io_push_request           (Io                 *io,
                                                   RequestKind         kind,
                                                   PiAmqpSubscription *sub,
                                                   guint64             tag);
void            pi_amqp_io_push_bind_request      (Io                 *io,
                                                   RequestKind         kind,
                                                   PiAmqpSubscription *sub,
                                                   const char         *exchange,
                                                   const char         *pattern,
                                                   PiAmqpBindFunc      func,
                                                   gpointer            user_data);
void            pi_amqp_outgoing_free             (Io                 *io,
                                                   Outgoing           *out);
GSource        *pi_amqp_io_dispatch_source_new    (Io                 *io);
void            pi_amqp_client_set_state          (PiAmqpClient       *self,
                                                   PiAmqpClientState   state);

typedef enum
{
  RPC_OK,
  RPC_CHANNEL_CLOSED,      /* the channel is gone, the connection is fine */
  RPC_CONNECTION_LOST,
} RpcResult;

/* What went wrong, in words (pi-amqp-words.c). */
char           *pi_amqp_describe_method           (amqp_method_t   *method);
char           *pi_amqp_describe_reply            (amqp_rpc_reply_t reply);
char           *pi_amqp_describe_status           (int              status);
char           *pi_amqp_probe_connect_error       (const char      *host,
                                                   int              port);
gboolean        pi_amqp_status_is_tls_failure     (int              status);
char           *pi_amqp_describe_tls_failure      (const PiAmqpAddress *address,
                                                   int              status,
                                                   const char      *cacert,
                                                   gboolean        *certificate_fault);

/* What a subscription's set-up was doing when the broker refused it. */
typedef enum
{
  STEP_CHANNEL,
  STEP_QOS,
  STEP_DROPPED_EXCHANGE,
  STEP_DROPPED_QUEUE,
  STEP_QUEUE,
  STEP_BIND,
  STEP_CONSUME,
} Step;

char           *pi_amqp_explain_refusal           (const char      *user,
                                                   Step             step,
                                                   const char      *name,
                                                   const char      *exchange,
                                                   int              code,
                                                   const char      *message,
                                                   const char      *raw);

/* The connection and its control channel (pi-amqp-io.c). */
RpcResult       pi_amqp_io_check_rpc              (Io              *io,
                                                   amqp_channel_t   channel,
                                                   char           **text,
                                                   int             *code,
                                                   char           **message);
gboolean        pi_amqp_io_open_control_channel   (Io              *io,
                                                   char           **error);

/* The subscriptions' channels and the frames read (pi-amqp-channel.c). */
gboolean        pi_amqp_io_process_requests       (Io              *io,
                                                   char           **connection_error);
/* Opens a channel for @sub into *@channel; closes *@channel (0 after);
 * forgets *@channel the broker closed. */
RpcResult       pi_amqp_io_channel_open           (Io                 *io,
                                                   PiAmqpSubscription *sub,
                                                   amqp_channel_t     *channel,
                                                   char              **text);
RpcResult       pi_amqp_io_channel_close          (Io              *io,
                                                   amqp_channel_t  *channel,
                                                   char           **text);
void            pi_amqp_io_channel_forget         (Io              *io,
                                                   amqp_channel_t  *channel);
gboolean        pi_amqp_io_handle_frame           (Io              *io,
                                                   amqp_frame_t    *frame,
                                                   char           **connection_error);

/* The I/O thread's body (pi-amqp-io.c); it takes a reference. */
gpointer        pi_amqp_io_thread                 (gpointer         data);
void            pi_amqp_io_unref                  (Io              *io);

G_END_DECLS
