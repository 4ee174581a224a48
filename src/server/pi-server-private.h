/* pi-server-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pi-hangup-watch.h"
#include "pi-http-front.h"
#include "pi-server.h"
#include "pi-ws-request.h"

G_BEGIN_DECLS

/*
 * PiServer spans five files: pi-server.c (the SoupServer, routes, CORS,
 * connect and ping, options), pi-server-client.c (one SSE stream: its
 * subscription, flow control, dropped accounting, hang-up and end; its
 * connection, queue and writes in a PiEventWriter, pi-event-writer.c),
 * pi-server-session.c (a resumable stream's session: numbering, history,
 * hold and its budget, for event streams and WebSocket subscriptions),
 * pi-server-ws.c (one client of the plain WebSocket endpoints, its frames
 * formatted by pi-ws-reply.c, its subscriptions in pi-ws-subscriptions.c) and
 * pi-server-publish.c (the POST /publish extension). Connections reach the
 * SoupServer through a PiHttpFront (pi-http-front.c).
 */

typedef struct _PiServerClient PiServerClient;
typedef struct _PiServerWs     PiServerWs;
typedef struct _PiServerSession PiServerSession;

/* The Taskcluster web-server's close codes (docs/PROTOCOL.md 8). */
#define PI_SERVER_WS_CLOSE_PROTOCOL  4400
#define PI_SERVER_WS_CLOSE_LIFETIME  4408
/* The most resumable streams held without a connection (or
 * --max-connections, when larger): past it, the oldest goes. */
#define PI_SERVER_MAX_HELD_STREAMS   10000
/* The largest frame a WebSocket client may send; past it, 1009. */
#define PI_SERVER_WS_MAX_FRAME       (256 * 1024)

struct _PiServer
{
  GObject          parent_instance;

  SoupServer      *soup;
  PiHttpFront     *front;
  PiBroker        *broker;
  GQueue           clients;         /* of PiServerClient, linked through their own GList */
  GQueue           websockets;      /* of PiServerWs, likewise */
  GQueue           flush_clients;   /* of PiEventWriter with events to write this turn */
  guint            flush_source;
  PiHangupWatch   *hangup_watch;    /* every stream's socket; NULL until the first */
  char           **origins;
  GBytes          *ready_event;
  double           ping_interval;
  guint            ping_source;
  guint            max_connections;
  guint            queue_length;
  gsize            client_buffer;
  double           socket_lifetime;
  double           ws_init_timeout;
  double           ws_ping_interval;
  GHashTable      *sessions;        /* of PiServerSession by id, borrowed: resumable streams */
  GQueue           held_sessions;   /* of PiServerSession without a connection, oldest first */
  double           resume_window;
  gsize            resume_buffer;
  gsize            resume_held_buffer; /* for every held session together */
  gsize            held_bytes;      /* of the held sessions' histories */
  gint64           started_at;
  gboolean         shutting_down;
};

/* pi-server.c */
void pi_server_respond_json       (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *json);
void pi_server_respond_error      (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *message);
void pi_server_set_cors_headers   (PiServer           *self,
                                   const char         *origin,
                                   SoupMessageHeaders *headers);

char *pi_server_parse_connect_query (const char      *query,
                                    const char     **reason);
char *pi_server_parse_connect_query_resume (const char  *query,
                                            char       **resume,
                                            const char **reason);

char *pi_server_describe_peer      (SoupServerMessage *msg);

/* pi-server-publish.c */
void pi_server_handle_publish     (PiServer          *self,
                                   SoupServerMessage *msg);

/* pi-server-client.c */
void pi_server_client_start       (PiServer          *server,
                                   SoupServerMessage *msg,
                                   const char        *bindings_json,
                                   const char        *resume);
void pi_server_client_ping        (PiServerClient    *client,
                                   GBytes            *event);
void pi_server_client_end         (PiServerClient    *client,
                                   const char        *error_text);
void pi_server_client_unsubscribe (PiServerClient    *client);
void pi_server_client_finish      (PiServerClient    *client);
void pi_server_client_unwatch_all (PiServer          *server);
void pi_server_client_fill        (PiServerClient    *client);
void pi_server_client_add_dropped (PiServerClient    *client,
                                   guint64            count);
void pi_server_client_session_ready (PiServerClient  *client);
void pi_server_client_lose_session  (PiServerClient  *client);

/* pi-server-session.c */

/* What a session is attached to, an event stream (pi-server-client.c) or
 * a subscription of a WebSocket (pi-ws-subscriptions.c), and what the session
 * tells it. */
typedef struct
{
  void (*ready) (gpointer owner);                    /* subscribed */
  void (*fill)  (gpointer owner);                    /* a message more in the history */
  void (*lose)  (gpointer owner);                    /* the session is gone */
  void (*fail)  (gpointer owner, const char *text);  /* the subscription failed */
  void (*dropped) (gpointer owner, guint64 count);   /* the broker dropped some */
} PiServerSessionOwner;

PiServerSession *pi_server_session_new       (PiServer                   *server,
                                              const PiServerSessionOwner *owner_class,
                                              const char                 *bindings_json,
                                              gpointer                    client);
void             pi_server_session_subscribe (PiServerSession *session,
                                              GPtrArray       *bindings);
PiServerSession *pi_server_session_find      (PiServer                   *server,
                                              const PiServerSessionOwner *owner_class,
                                              const char                 *resume,
                                              const char                 *bindings_json,
                                              guint64                    *last_seen);
gpointer         pi_server_session_attach    (PiServerSession *session,
                                              gpointer         client);
void             pi_server_session_release   (PiServerSession *session);
void             pi_server_session_end       (PiServerSession *session);
void             pi_server_session_add_dropped (PiServerSession *session,
                                                guint64          count);
void             pi_server_session_add_dropped_by_id (PiServer   *server,
                                                      const char *id,
                                                      guint64     count);
const char      *pi_server_session_get_id    (PiServerSession *session);
gboolean         pi_server_session_is_ready  (PiServerSession *session);
guint64          pi_server_session_get_first_seq (PiServerSession *session);
guint64          pi_server_session_get_last_seq  (PiServerSession *session);
GBytes          *pi_server_session_get_message   (PiServerSession *session,
                                                  guint64          seq);
void pi_server_sessions_clear     (PiServer          *server);
gboolean pi_server_sessions_make_room (PiServer        *server,
                                       const char      *resume,
                                       const char      *bindings_json);

/* pi-server-ws.c */
void pi_server_ws_start           (PiServer                *server,
                                   SoupServerMessage       *msg,
                                   SoupWebsocketConnection *conn,
                                   PiWsEndpoint             endpoint);
void pi_server_ws_shutdown        (PiServerWs              *ws,
                                   const char              *reason);
void pi_server_ws_unsubscribe_all (PiServerWs              *ws);
void pi_server_ws_finish          (PiServerWs              *ws);
/* What its subscriptions (pi-ws-subscriptions.c) ask of the socket. */
void pi_server_ws_send            (PiServerWs              *ws,
                                   const char              *text,
                                   gsize                    length);
guint64 pi_server_ws_get_pending  (PiServerWs              *ws);
guint64 pi_server_ws_get_queued   (PiServerWs              *ws);
guint64 pi_server_ws_get_written  (PiServerWs              *ws);
void pi_server_ws_close           (PiServerWs              *ws,
                                   gushort                  code,
                                   const char              *reason);
gboolean pi_server_ws_is_closing  (PiServerWs              *ws);

G_END_DECLS
