/* pi-source-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-source.h"

G_BEGIN_DECLS

/*
 * Between PiSource (the caller's thread) and its worker (the ingest
 * thread). The worker queues records in order; the stream's dispatch
 * function, run on the caller's main context, takes them all at once.
 */

typedef enum
{
  PI_STREAM_RECORD_STATE,          /* state, text = reason, retry_msec */
  PI_STREAM_RECORD_MESSAGES,       /* batch of PiMessage */
  PI_STREAM_RECORD_RAW,            /* batch of PiRawEvent */
  PI_STREAM_RECORD_READY,
  PI_STREAM_RECORD_PING,           /* text = server time */
  PI_STREAM_RECORD_SERVER_ERROR,   /* text */
  PI_STREAM_RECORD_DROPPED,        /* count */
  PI_STREAM_RECORD_RECONNECT,      /* a new attempt starts */
  PI_STREAM_RECORD_BINDING_ERROR,  /* count = index of the binding, text */
  PI_STREAM_RECORD_BINDING_CLEAR,  /* the bindings' errors are over (new attempt) */
  PI_STREAM_RECORD_PROTOCOL,       /* text = the protocol in words */
} PiStreamRecordKind;

/* The protocols a source can speak, in the order a root URL tries them. */
typedef enum
{
  PI_SOURCE_PROTOCOL_AUTO,
  PI_SOURCE_PROTOCOL_WEBSOCKET,    /* Taskcluster /subscription/raw or /named */
  PI_SOURCE_PROTOCOL_GRAPHQL,      /* Taskcluster /subscription, graphql-ws */
  PI_SOURCE_PROTOCOL_EVENTS_V1,    /* SSE, docs/PROTOCOL.md */
  PI_SOURCE_PROTOCOL_AMQP,         /* straight to a broker: amqp:// or amqps:// */
} PiSourceProtocol;

/* Where and what a worker connects to: made on the caller's thread by
 * pi_source_plan_new() (pi-source-address.c), owned by the worker after. */
typedef struct
{
  PiSourceProtocol  protocol;       /* the first to try; AUTO = probe */
  gboolean          recalled;       /* protocol is what worked before at root_key (worker thread) */
  char             *sse_url;        /* events v1 connect URL */
  char             *root_key;       /* the root URL, for remembering what worked */
  char             *raw_url;        /* ws(s)://root/subscription/raw, or NULL */
  char             *named_url;      /* ws(s)://root/subscription/named, or NULL */
  char             *graphql_url;    /* ws(s)://root/subscription, or NULL */
  GPtrArray        *bindings;       /* (element-type PiBinding), never NULL */
  char             *named_service;  /* named subscription, or NULL */
  GStrv             named_events;
  GStrv             named_routing_key; /* "key=value" */
  char             *client_id;
  char             *access_token;
  char             *password;       /* AMQP */
  char             *amqp_url;       /* AMQP: the address, without a password */
  guint             queue_length;   /* AMQP: x-max-length of the queue */
  gboolean          served_before;  /* the stream this one replaces had been live on this server */
} PiSourcePlan;

typedef struct
{
  PiStreamRecordKind  kind;
  PiStreamState       state;
  char               *text;
  guint               retry_msec;
  guint64             count;
  GPtrArray          *batch;
  /* A FAILED state: refused for the credentials (see FAILURE_CREDENTIALS). */
  gboolean            credentials;
  /* A LIVE state: the stream went on where it was lost, nothing missing. */
  gboolean            resumed;
} PiStreamRecord;

typedef struct _PiStreamWorker PiStreamWorker;

void            pi_stream_record_free              (PiStreamRecord *record);

PiStreamWorker *pi_stream_worker_start             (PiSourcePlan   *plan,
                                                    guint           ping_timeout,
                                                    gboolean        raw,
                                                    guint64         first_sequence,
                                                    GSourceFunc     dispatch_func,
                                                    gpointer        dispatch_data);
const char     *pi_stream_worker_get_host          (PiStreamWorker *self);
GMainContext   *pi_stream_worker_get_main_context  (PiStreamWorker *self);
void            pi_stream_worker_take_records      (PiStreamWorker *self,
                                                    GQueue         *records,
                                                    guint64        *n_bytes);
void            pi_stream_worker_stop              (PiStreamWorker *self);
void            pi_stream_worker_retry_now         (PiStreamWorker *self);

/*
 * PiSource spans pi-source.c (the GObject and its public API),
 * pi-source-state.c (the state in words and the records applied) and
 * pi-source-types.c (state enum, PiRawEvent, where to connect).
 */

struct _PiSource
{
  GObject        parent_instance;

  char          *server_url;
  char          *client_id;
  char          *access_token;
  char          *password;
  guint          queue_length;     /* AMQP; 0: the default */
  char          *protocol_name;
  char          *attempt_protocol; /* what the worker speaks now, in words */
  GPtrArray     *bindings;
  char          *named_service;
  GStrv          named_events;
  GStrv          named_routing_key;
  GPtrArray     *binding_errors;   /* texts by binding index, or NULL */
  guint          ping_timeout;
  gboolean       raw;
  char          *connect_url;
  char          *stream_url;     /* the server URL the running stream was started on */
  gboolean       stream_served;  /* it went live there, or the one it replaced on that URL did */

  PiStreamWorker *worker;
  guint          generation;

  PiStreamState  state;
  char          *state_text;
  char          *error_message;
  /* Failed because the server refused the credentials or their scopes. */
  gboolean       needs_credentials;
  /* Live again after a loss, and the server replayed what was missed. */
  gboolean       resumed;
  char          *host;
  guint          retry_seconds;
  GSource       *countdown;

  guint64        next_sequence;
  guint64        n_messages;
  guint64        n_bytes;
  guint64        n_dropped;
  guint          n_reconnects;
  GDateTime     *last_ping;
};

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_BINDINGS,
  PROP_PING_TIMEOUT,
  PROP_RAW,
  PROP_CONNECT_URL,
  PROP_STATE,
  PROP_STATE_TEXT,
  PROP_ERROR_MESSAGE,
  PROP_RETRY_SECONDS,
  PROP_N_MESSAGES,
  PROP_N_BYTES,
  PROP_N_RECONNECTS,
  PROP_N_DROPPED,
  PROP_LAST_PING,
  PROP_CLIENT_ID,
  PROP_PROTOCOL_NAME,
  N_PROPS
};

enum {
  SIGNAL_READY,
  SIGNAL_PING,
  SIGNAL_MESSAGES,
  SIGNAL_RAW_EVENTS,
  SIGNAL_SERVER_ERROR,
  SIGNAL_BINDING_ERROR,
  N_SIGNALS
};

extern GParamSpec *pi_source_properties[N_PROPS];
extern guint       pi_source_signals[N_SIGNALS];

/* pi-source-types.c */
GUri           *pi_source_parse_server_url   (const char     *server_url,
                                              GError        **error);
GUri           *pi_source_uri_escape_zone    (GUri           *uri);
char           *pi_source_check_url          (const char     *server_url,
                                              GError        **error);

/* pi-source-address.c */
PiSourcePlan   *pi_source_plan_new           (PiSource        *self,
                                              GError         **error);
void            pi_source_plan_free          (PiSourcePlan    *plan);
const char     *pi_source_protocol_to_string (PiSourceProtocol protocol);

/* pi-source-state.c */
void            pi_source_stop_countdown     (PiSource  *self);
void            pi_source_set_error_message  (PiSource  *self,
                                              const char     *message);
void            pi_source_set_state          (PiSource  *self,
                                              PiStreamState   state,
                                              const char     *reason,
                                              guint           retry_msec);
gboolean        pi_source_dispatch_cb        (gpointer        user_data);
void            pi_source_stop_worker        (PiSource  *self);

G_END_DECLS
