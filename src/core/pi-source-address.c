/* pi-source-address.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>
#include <string.h>

#include "pi-amqp-client.h"
#include "pi-source-memory.h"
#include "pi-source-private.h"

/*
 * One address, the right protocol. An events v1 address (a base URL ending
 * in /api/events/v1 or /v1, a /connect URL, a query with bindings=) speaks
 * events v1 only. Anything else is a deployment's root URL: the worker
 * tries the plain WebSocket protocol (/subscription/raw), and when the
 * server refuses that upgrade with an HTTP status (404 on a deployment
 * without it, 400 on web-server v106) GraphQL (/subscription), and when
 * that is refused too, events v1 at <root>/api/events/v1. What worked is
 * remembered per root URL across runs (pi-source-memory.c), so the next
 * connection goes straight there; when the remembered protocol is refused
 * in turn (the deployment changed), it is forgotten and the others are
 * tried in that order within the same attempt (pi-source-worker.c).
 */

/**
 * pi_source_protocol_to_string:
 *
 * Returns: the protocol in words for people, as #PiSource:protocol-name
 */
const char *
pi_source_protocol_to_string (PiSourceProtocol protocol)
{
  switch (protocol)
    {
    case PI_SOURCE_PROTOCOL_WEBSOCKET:
      return _("WebSocket");
    case PI_SOURCE_PROTOCOL_GRAPHQL:
      return _("GraphQL");
    case PI_SOURCE_PROTOCOL_EVENTS_V1:
      return _("Events v1");
    case PI_SOURCE_PROTOCOL_AMQP:
      return _("AMQP");
    case PI_SOURCE_PROTOCOL_AUTO:
    default:
      return NULL;
    }
}

static gboolean
path_has_suffix (const char *path,
                 gsize       len,
                 const char *suffix)
{
  gsize slen = strlen (suffix);

  return len >= slen && g_ascii_strncasecmp (path + len - slen, suffix, slen) == 0;
}

/* Whether @uri names an events v1 endpoint rather than a deployment root. */
static gboolean
is_events_v1_address (GUri *uri)
{
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  gsize len = strlen (path);

  while (len > 0 && path[len - 1] == '/')
    len--;

  if (query != NULL && (g_str_has_prefix (query, "bindings=") || strstr (query, "&bindings=")))
    return TRUE;

  return path_has_suffix (path, len, "/api/events/v1") ||
         path_has_suffix (path, len, "/v1") ||
         path_has_suffix (path, len, "/connect");
}

/**
 * pi_source_url_is_events_v1:
 * @server_url: a server URL as pi_source_set_server_url() takes it
 *
 * Returns: whether @server_url names an events v1 endpoint (which has no
 *   named subscriptions) rather than a Taskcluster deployment's root URL;
 *   %FALSE for a URL that cannot be read
 */
gboolean
pi_source_url_is_events_v1 (const char *server_url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (server_url != NULL, FALSE);

  uri = pi_source_parse_server_url (server_url, NULL);
  return uri != NULL && is_events_v1_address (uri);
}

static char *
ws_url (GUri       *root,
        const char *root_path,
        const char *suffix)
{
  const char *scheme = g_ascii_strcasecmp (g_uri_get_scheme (root), "https") == 0 ? "wss" : "ws";
  g_autofree char *path = g_strconcat (root_path, suffix, NULL);
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_ENCODED, scheme, NULL,
                                     g_uri_get_host (root), g_uri_get_port (root),
                                     path, NULL, NULL);

  return g_uri_to_string (uri);
}

void
pi_source_plan_free (PiSourcePlan *plan)
{
  if (plan == NULL)
    return;

  g_free (plan->sse_url);
  g_free (plan->root_key);
  g_free (plan->raw_url);
  g_free (plan->named_url);
  g_free (plan->graphql_url);
  g_clear_pointer (&plan->bindings, g_ptr_array_unref);
  g_free (plan->named_service);
  g_strfreev (plan->named_events);
  g_strfreev (plan->named_routing_key);
  g_free (plan->client_id);
  g_free (plan->access_token);
  g_free (plan->password);
  g_free (plan->amqp_url);
  g_free (plan);
}

/* An amqp:// or amqps:// address: straight to the broker, the bindings
 * as the queue's. */
static PiSourcePlan *
plan_new_amqp (PiSource  *self,
               GError   **error)
{
  g_autofree char *url = pi_source_check_amqp_address (self->server_url, error);
  PiSourcePlan *plan;

  if (url == NULL)
    return NULL;

  if (self->raw)
    {
      g_set_error_literal (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                           _("Raw mode shows an events server's server-sent events; "
                             "a broker address has none"));
      return NULL;
    }
  if (self->named_service != NULL)
    {
      g_set_error_literal (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                           _("Named events need a Taskcluster deployment's root URL, "
                             "not a broker address: bind the service's exchanges instead"));
      return NULL;
    }

  plan = g_new0 (PiSourcePlan, 1);
  plan->protocol = PI_SOURCE_PROTOCOL_AMQP;
  plan->sse_url = g_strdup (url);
  plan->amqp_url = g_steal_pointer (&url);
  plan->bindings = g_ptr_array_new_with_free_func (g_object_unref);
  if (self->bindings != NULL)
    for (guint i = 0; i < self->bindings->len; i++)
      g_ptr_array_add (plan->bindings, g_object_ref (g_ptr_array_index (self->bindings, i)));
  plan->password = g_strdup (self->password);
  plan->queue_length = self->queue_length > 0 ? self->queue_length : PI_SOURCE_DEFAULT_QUEUE_LENGTH;

  return plan;
}

/* Where the worker of @self connects, and how: on the caller's thread. */
PiSourcePlan *
pi_source_plan_new (PiSource  *self,
                    GError   **error)
{
  g_autoptr(GUri) uri = NULL;
  PiSourcePlan *plan;
  g_autofree char *sse_url = NULL;

  if (self->server_url != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (self->server_url));

      if (pi_amqp_url_is_amqp (trimmed))
        return plan_new_amqp (self, error);
    }

  /* Raw mode without bindings reads any SSE endpoint: the URL as given. */
  if (self->raw && self->bindings == NULL)
    sse_url = pi_source_check_url (self->server_url, error);
  else
    sse_url = pi_source_derive_connect_url (self->server_url, self->bindings, error);
  if (sse_url == NULL)
    return NULL;

  uri = pi_source_parse_server_url (self->server_url, error);
  g_assert (uri != NULL);

  /* Events v1 has no named subscriptions: it would subscribe nothing. */
  if (self->named_service != NULL && (self->raw || is_events_v1_address (uri)))
    {
      g_set_error_literal (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                           _("Named events need a Taskcluster deployment's root URL, "
                             "not an events v1 address"));
      return NULL;
    }

  plan = g_new0 (PiSourcePlan, 1);
  plan->sse_url = g_steal_pointer (&sse_url);
  plan->bindings = g_ptr_array_new_with_free_func (g_object_unref);
  if (self->bindings != NULL)
    for (guint i = 0; i < self->bindings->len; i++)
      g_ptr_array_add (plan->bindings, g_object_ref (g_ptr_array_index (self->bindings, i)));
  plan->client_id = g_strdup (self->client_id);
  plan->access_token = g_strdup (self->access_token);
  plan->password = g_strdup (self->password);

  /* Raw mode shows server-sent events as they are: events v1 only. */
  if (self->raw || is_events_v1_address (uri))
    {
      plan->protocol = PI_SOURCE_PROTOCOL_EVENTS_V1;
      return plan;
    }

  {
    const char *path = g_uri_get_path (uri);
    gsize len = strlen (path);
    g_autofree char *root_path = NULL;
    g_autoptr(GUri) root = NULL;

    while (len > 0 && path[len - 1] == '/')
      len--;
    root_path = g_strndup (path, len);
    root = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
                        g_uri_get_host (uri), g_uri_get_port (uri), root_path, NULL, NULL);

    plan->root_key = g_uri_to_string (root);
    plan->raw_url = ws_url (uri, root_path, "/subscription/raw");
    plan->named_url = ws_url (uri, root_path, "/subscription/named");
    plan->graphql_url = ws_url (uri, root_path, "/subscription");
  }

  if (self->named_service != NULL)
    {
      /* Only the plain WebSocket protocol has named subscriptions. */
      plan->named_service = g_strdup (self->named_service);
      plan->named_events = g_strdupv (self->named_events);
      plan->named_routing_key = g_strdupv (self->named_routing_key);
      plan->protocol = PI_SOURCE_PROTOCOL_WEBSOCKET;
      return plan;
    }

  plan->protocol = pi_source_memory_recall (plan->root_key);
  plan->recalled = plan->protocol != PI_SOURCE_PROTOCOL_AUTO;
  return plan;
}
