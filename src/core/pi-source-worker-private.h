/* pi-source-worker-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pi-amqp-client.h"
#include "pi-source-private.h"
#include "pi-sse-parser.h"
#include "pi-tc-frame.h"

G_BEGIN_DECLS

/*
 * The worker of a PiSource spans pi-source-worker.c (thread,
 * attempt life cycle), pi-source-records.c (records to the main
 * side), pi-source-read.c (read loop, events) and
 * pi-source-http.c (the answer to the request).
 */

#define READ_CHUNK_SIZE        (64 * 1024)
#define ERROR_BODY_LIMIT       (64 * 1024)
#define BATCH_INTERVAL_USEC    (G_USEC_PER_SEC / 30)
#define DEFAULT_RETRY_MSEC     1000
#define MAX_RETRY_MSEC         60000
/* The most the backoff waits (before jitter) once the stream has been live:
 * someone watching live traffic wants it back soon after the server is. */
#define MAX_LIVE_RETRY_MSEC    10000
#define MAX_UNBOUND_RETRIES    3
/* The first retry after losing a resumable stream: this, plus as much jitter. */
#define RESUME_RETRY_MSEC      250
/* The most a server's Retry-After can hold the next attempt back. */
#define MAX_RETRY_AFTER_MSEC   (10 * 60 * 1000)

/* Messages decoded but not yet taken by the caller. Past this the worker
 * stops reading (TCP pushes back, the server reports what it drops), so a
 * blocked main loop cannot make memory grow without bound. */
#define MAX_QUEUED_MESSAGES    100000
/* The same for the bytes of WebSocket frames not yet taken: messages reach
 * megabytes each. */
#define MAX_QUEUED_BYTES       (256 * 1024 * 1024)

typedef enum
{
  FAILURE_RETRY,       /* worth another attempt */
  FAILURE_PERMANENT,   /* retrying cannot help: fail */
  FAILURE_INITIAL,     /* fail if never live, retry once the stream has been live */
  FAILURE_UNAVAILABLE, /* the server cannot serve now (503, 429): retry, however
                        * often, no sooner than its Retry-After */
  FAILURE_CREDENTIALS, /* refused for the credentials or their scopes: fail,
                        * and say that other credentials may help */
} FailureKind;

struct _PiStreamWorker
{
  /* Fixed before the thread starts. */
  PiSourcePlan  *plan;
  GUri          *uri;
  char          *host;
  guint          ping_timeout;
  gboolean       raw;
  GMainContext  *main_context;
  GMainContext  *context;
  GThread       *thread;

  /* Shared, under mutex. */
  GMutex         mutex;
  GQueue         records;
  GSource       *dispatch_source;
  gint64         scheduled;
  gint64         last_dispatch;
  gboolean       stopping;
  guint64        n_bytes;
  guint          n_queued;
  guint64        n_queued_bytes;   /* WebSocket frames since the last take */
  guint          max_queued;
  GCond          queue_cond;       /* signalled when the caller takes the queue, or on stop */
  gboolean       read_paused;

  /* Worker thread only. */
  GMainLoop     *loop;
  SoupSession   *session;
  PiSseParser   *parser;
  SoupMessage   *message;
  GInputStream  *body;
  GCancellable  *cancellable;
  GSource       *watchdog;
  GSource       *retry_source;
  guint8        *buffer;
  GByteArray    *error_body;
  guint          pending_ops;
  gboolean       quitting;
  gboolean       finished;
  gboolean       stalled;
  gboolean       retrying;        /* the attempt ends to make another one */
  gboolean       live;
  gboolean       ever_live;
  gboolean       probing;           /* a root URL: the protocol is found by trying */
  guint          refused_protocols; /* 1 << each protocol the root URL has no endpoint for */
  gboolean       server_error;
  gboolean       server_error_after_ready;
  char          *server_error_text;
  gboolean       urgent;
  guint          unbound_failures;
  guint          backoff_step;
  gint64         retry_msec;
  gint64         retry_after_msec;   /* the last answer's Retry-After, or -1 */
  gint64         last_activity;
  gint64         now;
  guint64        sequence;
  GPtrArray     *batch;
  GPtrArray     *raw_batch;

  /* Worker thread only: resuming an events v1 stream (docs/PROTOCOL.md 7). */
  char          *resume_session;    /* the server's session, NULL while there is none */
  guint64        resume_seq;        /* the last message of it seen */
  gboolean       resume_unsupported;/* the server refused the `resume` parameter */
  gboolean       resume_sent;       /* this attempt asked for it */
  gboolean       resumed;           /* this attempt's `ready` said it went on */
  char          *lost_reason;       /* a loss whose gap waits for the reconnect's `ready` */
  gint64         lost_at;

  /* Worker thread only: resuming plain WebSocket subscriptions
   * (docs/PROTOCOL.md 8; pi-source-tc-websocket.c). While any exists,
   * resume_session names one of them. */
  GHashTable    *ws_sessions;       /* subscribe key -> its session and the last message seen */
  GHashTable    *ws_sessions_by_id; /* this socket's subscriptionId -> the same, borrowed */
  gboolean       ws_server_ours;    /* this socket's upgrade came from pulse-events */
  gboolean       ws_resume;         /* this socket's connection_ack said the server resumes */
  gboolean       ws_all_resumed;    /* every subscribe of this socket went on so far */
  guint64        ws_resume_lost;    /* what the server's window no longer held */

  /* Worker thread only: the WebSocket protocols (pi-source-websocket.c). */
  PiSourceProtocol          protocol;     /* of the current attempt */
  SoupWebsocketConnection  *ws;
  GSource                  *ack_timeout;
  gboolean                  acked;
  char                     *refusal;      /* the server's error before it closed */
  GError                   *ws_error;     /* why this client closed the socket, or NULL */
  gboolean                  refusal_final;
  GQueue                    pending_subscribes; /* tag of each unacked subscribe */
  GHashTable               *subscriptions;      /* plain: subscriptionId -> tag; GraphQL: id -> binding index + 1 */
  GPtrArray                *subscribe_sets;     /* plain: (element-type GArray of guint) binding
                                                 * indices of subscribe tag - 1 */
  guint                     keepalive_seconds;
  guint                     ack_timeout_seconds;
  GSource                  *loss_source;  /* ends the attempt after the frame handler */
  GSource                  *stall_source; /* ends a stalled socket once its 4000 is written */
  char                     *loss_reason;
  FailureKind               loss_kind;

  /* Worker thread only: AMQP (pi-source-amqp.c). */
  PiAmqpClient             *amqp_client;
  PiAmqpSubscription       *amqp_subscription;
  gboolean                  amqp_waiting;      /* the attempt waits for the connection */
  guint64                   amqp_acked_tag;
  /* Under mutex: the last delivery tag queued for the caller and taken by
   * it, each of the subscription (generation) it belongs to. */
  guint                     amqp_generation;
  guint64                   amqp_queued_tag;
  guint                     amqp_queued_generation;
  guint64                   amqp_taken_tag;
  guint                     amqp_taken_generation;
  gboolean                  amqp_ack_scheduled;
};

/* A subscribe of the plain protocol takes at most this many bindings. */
#define MAX_BINDINGS_PER_SUBSCRIBE 100
#define WS_MAX_PAYLOAD          (64 * 1024 * 1024)
#define WS_KEEPALIVE_SECONDS    30
#define WS_ACK_TIMEOUT_SECONDS  15

/* pi-source-records.c */
PiStreamRecord *pi_stream_record_new            (PiStreamRecordKind  kind);
void            pi_stream_worker_post           (PiStreamWorker     *w,
                                                 PiStreamRecord     *record);
void            pi_stream_worker_flush_batches  (PiStreamWorker     *w,
                                                 gboolean            schedule);
void            pi_stream_worker_post_state     (PiStreamWorker     *w,
                                                 PiStreamState       state,
                                                 const char         *reason,
                                                 guint               retry_msec);

/* pi-source-worker.c */
void            pi_stream_worker_start_attempt  (PiStreamWorker     *w);
void            pi_stream_worker_went_live      (PiStreamWorker     *w);
void            pi_stream_worker_maybe_quit     (PiStreamWorker     *w);
void            pi_stream_worker_end_attempt    (PiStreamWorker     *w);
void            pi_stream_worker_fail           (PiStreamWorker     *w,
                                                 const char         *reason);
void            pi_stream_worker_add_lost_gap   (PiStreamWorker     *w);
gboolean        pi_stream_worker_try_next_protocol (PiStreamWorker  *w);
void            pi_stream_worker_lost           (PiStreamWorker     *w,
                                                 const char         *reason,
                                                 FailureKind         kind);

/* pi-source-read.c */
JsonObject     *pi_stream_parse_json_object     (JsonParser         *parser,
                                                 const char         *data,
                                                 gsize               len);
void            pi_stream_worker_on_event       (const PiSseEvent   *event,
                                                 gpointer            user_data);
gboolean        pi_stream_worker_resume_cb      (gpointer            user_data);
void            pi_stream_worker_start_read     (PiStreamWorker     *w);

/* pi-source-http.c */
gint64          pi_stream_worker_parse_retry_after   (SoupMessageHeaders *headers);
char           *pi_stream_worker_describe_send_error (PiStreamWorker *w,
                                                      const GError   *error,
                                                      FailureKind    *kind);
char           *pi_stream_worker_describe_proxy_refusal (PiStreamWorker *w,
                                                         guint           status,
                                                         const char     *phrase,
                                                         FailureKind    *kind);
void            pi_stream_worker_send_cb        (GObject            *object,
                                                 GAsyncResult       *result,
                                                 gpointer            user_data);

/* pi-source-websocket.c: the common WebSocket client */
void            pi_stream_worker_ws_start_attempt (PiStreamWorker   *w);
void            pi_stream_worker_ws_end_attempt   (PiStreamWorker   *w);
void            pi_stream_worker_ws_send          (PiStreamWorker   *w,
                                                   const char       *text);
void            pi_stream_worker_ws_arm_ack_timeout    (PiStreamWorker *w);
void            pi_stream_worker_ws_disarm_ack_timeout (PiStreamWorker *w);
void            pi_stream_worker_ws_refused       (PiStreamWorker   *w,
                                                   const char       *text,
                                                   gboolean          final);
void            pi_stream_worker_ws_add_message   (PiStreamWorker   *w,
                                                   const PiTcFrame  *frame);
void            pi_stream_worker_ws_add_dropped   (PiStreamWorker   *w,
                                                   const PiTcFrame  *frame);
void            pi_stream_worker_ws_binding_error (PiStreamWorker   *w,
                                                   guint             index,
                                                   const char       *text);
void            pi_stream_worker_ws_malformed     (PiStreamWorker   *w,
                                                   const GError     *error);
void            pi_stream_worker_ws_lose          (PiStreamWorker   *w,
                                                   const char       *reason,
                                                   FailureKind       kind);
gboolean        pi_stream_worker_ws_text_names_exchange (const char *text,
                                                         const char *exchange);

/* pi-source-tc-websocket.c: /subscription/raw and /named */
void            pi_stream_worker_plain_opened     (PiStreamWorker   *w);
void            pi_stream_worker_plain_frame      (PiStreamWorker   *w,
                                                   const char       *text,
                                                   gsize             len);

/* pi-source-tc-graphql.c: graphql-ws on /subscription */
void            pi_stream_worker_graphql_opened   (PiStreamWorker   *w);
void            pi_stream_worker_graphql_frame    (PiStreamWorker   *w,
                                                   const char       *text,
                                                   gsize             len);

/* pi-source-amqp.c: straight to a broker */
const char     *pi_stream_worker_amqp_protocol_name (PiStreamWorker *w);
void            pi_stream_worker_amqp_start_attempt (PiStreamWorker *w);
void            pi_stream_worker_amqp_end_attempt   (PiStreamWorker *w);
void            pi_stream_worker_amqp_finish        (PiStreamWorker *w);
void            pi_stream_worker_amqp_taken_locked  (PiStreamWorker *w);

G_END_DECLS
