/* pi-amqp-client.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * One AMQP 0-9-1 connection (plain or TLS) and its subscriptions, for the
 * server (pulse-events --amqp), the app and pulse-listen alike.
 *
 * librabbitmq is blocking and not thread-safe per connection, so a client
 * owns one I/O thread that alone touches the connection. Every callback runs
 * in the GMainContext that was the thread-default when the client was made
 * (the server's main loop; a PiSource's ingest thread). Deliveries cross in
 * batches.
 *
 * The connection is retried with backoff while it fails for reasons that
 * pass (refused, unreachable, lost, broker restarting); it is not retried when
 * the broker refuses the login or TLS verification fails: the client then
 * stays in PI_AMQP_CLIENT_FAILED with a reason in words (also for a virtual
 * host the user may not use). A lost connection ends every subscription
 * (failed, PI_AMQP_FAILURE_LOST): the caller subscribes again and marks the
 * gap.
 *
 * Texts for users (failures, refusals, address errors) are translated with
 * the program's gettext domain; pulse-events sets no locale, so its texts
 * stay English.
 */

/* --- addresses ------------------------------------------------------------ */

typedef struct
{
  char     *host;
  int       port;      /* 5672 for amqp, 5671 for amqps if not given */
  char     *user;      /* "guest" if not given */
  char     *password;  /* NULL if not in the URL (the app and pulse-listen
                        * never put it there; the server accepts it) */
  char     *vhost;     /* "/" if not given */
  gboolean  tls;
} PiAmqpAddress;

/* amqp://[USER[:PASSWORD]@]HOST[:PORT][/VHOST] and amqps://…; errors say
 * what is wrong in words (G_IO_ERROR_INVALID_ARGUMENT): "“URL” is not a
 * valid broker URL: …". User, password and vhost are %-decoded; "/%2f" and
 * "/" are the vhost "/"; an IPv6 host goes in brackets; "?…" is refused.
 * pi_amqp_address_to_string() parses back to the same address. */
PiAmqpAddress *pi_amqp_address_parse     (const char          *url,
                                          GError             **error);
PiAmqpAddress *pi_amqp_address_copy      (const PiAmqpAddress *address);
void           pi_amqp_address_free      (PiAmqpAddress       *address);
/* The URL without the password, for logs and the window ("amqps://user@host/"). */
char          *pi_amqp_address_to_string (const PiAmqpAddress *address);
gboolean       pi_amqp_url_is_amqp       (const char          *url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiAmqpAddress, pi_amqp_address_free)

/* --- deliveries ----------------------------------------------------------- */

typedef struct
{
  const char         *exchange;
  const char         *routing_key;
  const char * const *routes;       /* the CC header's "route.*" entries,
                                     * prefix dropped; NULL-terminated or NULL */
  gboolean            redelivered;
  const guint8       *body;
  gsize               body_len;
  guint64             delivery_tag;
} PiAmqpDelivery;

/* Runs on the I/O thread for each delivery; returns what the deliveries
 * callback receives (and sets *size, for the bound on what waits for the main
 * context). The server formats its SSE event here; NULL convert_func: the
 * client hands over a PiAmqpDeliveryCopy. */
typedef gpointer (*PiAmqpConvertFunc) (const PiAmqpDelivery *delivery,
                                       gsize                *size,
                                       gpointer              user_data);

typedef struct
{
  char     *exchange;
  char     *routing_key;
  GStrv     routes;         /* never NULL, maybe empty */
  gboolean  redelivered;
  GBytes   *body;
  guint64   delivery_tag;
} PiAmqpDeliveryCopy;

void pi_amqp_delivery_copy_free (PiAmqpDeliveryCopy *copy);

/* A message the broker dropped for a queue's length limit, by where it was
 * headed: the exchange it was published to, its routing key and CC routes
 * (as in PiAmqpDelivery), read from the broker's dead-letter record. */
typedef struct
{
  char  *exchange;
  char  *routing_key;
  GStrv  routes;            /* NULL-terminated or NULL */
} PiAmqpDropped;

void pi_amqp_dropped_free (PiAmqpDropped *dropped);

/* --- the client ----------------------------------------------------------- */

typedef enum
{
  PI_AMQP_CLIENT_CONNECTING,
  PI_AMQP_CLIENT_CONNECTED,
  PI_AMQP_CLIENT_RECONNECTING,   /* lost or refused for now: waiting to retry */
  PI_AMQP_CLIENT_FAILED,         /* refused for good: login or TLS */
} PiAmqpClientState;

#define PI_TYPE_AMQP_CLIENT_STATE (pi_amqp_client_state_get_type ())
GType pi_amqp_client_state_get_type (void) G_GNUC_CONST;

typedef enum
{
  PI_AMQP_FAILURE_LOST,          /* the connection went: subscribe again later */
  PI_AMQP_FAILURE_REFUSED,       /* the broker refused (missing exchange, no
                                  * permission, bad arguments): do not retry */
  PI_AMQP_FAILURE_CREDENTIALS,   /* the login was refused: other credentials may help */
  PI_AMQP_FAILURE_TLS,           /* the broker's certificate was not accepted */
} PiAmqpFailure;

/* For PiAmqpClientOptions.heartbeat: no heartbeats at all. */
#define PI_AMQP_HEARTBEAT_NONE G_MAXUINT

typedef struct
{
  guint              heartbeat;     /* seconds; 0 = the default (30);
                                     * PI_AMQP_HEARTBEAT_NONE: none */
  const char        *product;       /* client property, e.g. "pulse-inspector" */
  PiAmqpConvertFunc  convert_func;  /* NULL: PiAmqpDeliveryCopy */
  gpointer           convert_data;
  GDestroyNotify     convert_free;  /* frees what convert_func returned */
  guint              channel_max;   /* channels asked for at login; 0: what
                                     * the broker offers (2047 on RabbitMQ) */
} PiAmqpClientOptions;

#define PI_TYPE_AMQP_CLIENT (pi_amqp_client_get_type ())

G_DECLARE_FINAL_TYPE (PiAmqpClient, pi_amqp_client, PI, AMQP_CLIENT, GObject)

/* Starts connecting at once. @options may be NULL. Emits
 * notify::state on changes (in the client's context); get_state() is the
 * state last notified. Unsubscribe every subscription before dropping the
 * last reference. */
PiAmqpClient      *pi_amqp_client_new                  (const PiAmqpAddress       *address,
                                                        const PiAmqpClientOptions *options,
                                                        GError                   **error);
PiAmqpClientState  pi_amqp_client_get_state            (PiAmqpClient              *self);
/* Why the client is not connected (the last failure in words), and in how
 * many seconds the next attempt is due (at least 1; 0 in FAILED: none is);
 * NULL while connected. */
char              *pi_amqp_client_dup_unavailable_reason (PiAmqpClient            *self,
                                                        guint                     *retry_after);
const PiAmqpAddress *pi_amqp_client_get_address        (PiAmqpClient              *self);
/* In PI_AMQP_CLIENT_FAILED: PI_AMQP_FAILURE_CREDENTIALS or _TLS (or _REFUSED
 * for a virtual host the user may not use); else PI_AMQP_FAILURE_LOST. */
PiAmqpFailure        pi_amqp_client_get_failure        (PiAmqpClient              *self);
/* The channels the broker allowed at the last login (each subscription
 * takes one, two with a dropped_exchange; one more is the client's own);
 * 0 before the first. */
guint                pi_amqp_client_get_channel_max    (PiAmqpClient              *self);

/* --- subscriptions -------------------------------------------------------- */

typedef struct
{
  /* NULL: a server-named queue (plain RabbitMQ); else the queue's name, e.g.
   * "queue/USER/pulse-inspector-RANDOM" as Mozilla Pulse requires (see
   * pi_amqp_pulse_queue_name()). Always exclusive and auto-delete. */
  const char *queue_name;
  /* x-max-length: the broker drops the oldest past it. 0: no limit. */
  guint       max_length;
  /* If set, messages the broker drops for max_length are dead-lettered to a
   * fanout exchange of this name (declared auto-delete, e.g.
   * "exchange/USER/pulse-inspector-RANDOM-dropped") and a second exclusive
   * queue (queue_name + "-dropped") bound to it is consumed without acks
   * only to count them: the dropped callback. Needs queue_name. */
  const char *dropped_exchange;
  /* 0: consume without acks (the broker pushes as fast as the socket takes).
   * Else: basic.qos prefetch of this many, acks through
   * pi_amqp_client_ack(): the broker holds what the caller has not taken. */
  guint       prefetch;
  /* TRUE: a refused binding fails the whole subscription (events v1: one
   * `error` event). FALSE: it is reported with binding_failed and the other
   * bindings go on; the subscription fails only if none is left. All or
   * nothing binds without waiting (one round trip for all), and its failed
   * text for a refused binding is the broker's own, as events v1 sends it:
   * "Channel closed by server: 404 (NOT-FOUND) with message …"; every other
   * refusal is in words that say what to do. */
  gboolean    all_or_nothing;
  /* With dropped_exchange: if the broker refuses that exchange or its
   * queue (the user may not declare them), the subscription goes on
   * without counting drops (logged) instead of failing. */
  gboolean    dropped_optional;
} PiAmqpQueueOptions;

typedef struct _PiAmqpSubscription PiAmqpSubscription;

typedef struct
{
  /* Declared, bound and consuming. */
  void (*ready)          (gpointer        user_data);
  /* Items made by the convert func, in order (element-type as converted;
   * the array frees them). @last_tag is the last delivery tag among them. */
  void (*deliveries)     (GPtrArray      *items,
                          guint64         last_tag,
                          gpointer        user_data);
  /* The broker dropped @count more messages for the queue's length limit. */
  void (*dropped)        (guint64         count,
                          gpointer        user_data);
  /* Binding @index (of the array given to subscribe) was refused (only when
   * !all_or_nothing); @text says why and what to do. */
  void (*binding_failed) (guint           index,
                          const char     *text,
                          gpointer        user_data);
  /* The subscription is over; no callback follows. */
  void (*failed)         (const char     *text,
                          PiAmqpFailure   failure,
                          gpointer        user_data);
  /* With dropped_exchange, instead of `dropped` if set: the messages the
   * broker dropped, each as a PiAmqpDropped (in order; the array frees
   * them), for a queue shared by readers that each want to know what of
   * theirs was lost. */
  void (*dropped_messages) (GPtrArray    *drops,
                            gpointer      user_data);
} PiAmqpSubscriptionCallbacks;

/* @bindings: (element-type PiAmqpBinding) as exchange/pattern pairs. Never
 * fails synchronously: a subscription made while disconnected fails (LOST;
 * in FAILED, the client's failure) from the main context. The returned
 * pointer is valid until unsubscribe, which is needed after `failed` too.
 * @options NULL: a server-named queue, no limit, no acks, all or nothing. */
typedef struct
{
  const char *exchange;
  const char *pattern;
} PiAmqpBinding;

PiAmqpSubscription *pi_amqp_client_subscribe   (PiAmqpClient                      *self,
                                                const PiAmqpBinding               *bindings,
                                                guint                              n_bindings,
                                                const PiAmqpQueueOptions          *options,
                                                const PiAmqpSubscriptionCallbacks *callbacks,
                                                gpointer                           user_data);
/* No callback of @subscription runs after this returns. */
void                pi_amqp_client_unsubscribe (PiAmqpClient                      *self,
                                                PiAmqpSubscription                *subscription);
/* Acknowledges every delivery up to @delivery_tag (prefetch > 0 only;
 * basic.ack with multiple, sent by the I/O thread). */
void                pi_amqp_client_ack         (PiAmqpClient                      *self,
                                                PiAmqpSubscription                *subscription,
                                                guint64                            delivery_tag);

/* Bindings added to and removed from a live subscription, e.g. one queue
 * shared by many readers whose patterns come and go. They are made on the
 * connection's control channel, never on the consuming one: a refusal
 * (404 for a missing exchange, 403) closes that channel only, which the
 * client reopens, and the subscription goes on consuming. Requests run in
 * order after the subscribe, so a bind made right after subscribing is made
 * once the queue exists.
 *
 * @refusal is NULL when the binding is in place; else why not in words
 * (what to do), and @broker_reply the broker's own text ("Channel closed by
 * server: 404 (NOT-FOUND) with message …", as events v1 sends it). It runs in
 * the client's context, never from inside pi_amqp_client_bind(), and not at
 * all once the subscription has failed or was unsubscribed. */
typedef void (*PiAmqpBindFunc) (const char *refusal,
                                const char *broker_reply,
                                gpointer    user_data);

void                pi_amqp_client_bind        (PiAmqpClient                      *self,
                                                PiAmqpSubscription                *subscription,
                                                const char                        *exchange,
                                                const char                        *pattern,
                                                PiAmqpBindFunc                     func,
                                                gpointer                           user_data);
/* Removes a binding made at subscribe or with pi_amqp_client_bind(); a
 * refusal (there was no such binding) is only logged. */
void                pi_amqp_client_unbind      (PiAmqpClient                      *self,
                                                PiAmqpSubscription                *subscription,
                                                const char                        *exchange,
                                                const char                        *pattern);

/* "queue/USER/PREFIX-RANDOM" (RANDOM: 16 hexadecimal digits) and its
 * dropped exchange "exchange/USER/PREFIX-RANDOM-dropped": Mozilla Pulse's
 * naming rules (PulseGuardian lets a user configure only queue/USER/… and
 * exchange/USER/…). */
char               *pi_amqp_pulse_queue_name   (const char *user,
                                                const char *prefix);
char               *pi_amqp_pulse_dropped_exchange (const char *user,
                                                    const char *queue_name);

G_END_DECLS
