/* bench-amqp-publish.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The publisher of tests/bench-amqp.sh: N real-shaped task-completed
 * messages (bench-messages.c: ~1 KB payloads, two CC routes) published to a
 * topic exchange as Taskcluster publishes them, as fast as the broker takes
 * them. Exits once the broker has them all (a round trip after the last).
 *
 *   bench-amqp-publish URL EXCHANGE N
 *
 * URL is amqp://USER:PASSWORD@HOST:PORT/ (the broker's own, with the
 * password: this is a test tool). Prints "BYTES <payload bytes>".
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>

#include "bench-messages.h"

#define DISTINCT 1000

typedef struct
{
  char  *routing_key;
  char  *payload;
  char  *cc[2];
} Message;

static void
make_message (Message *message,
              GRand   *rand,
              guint    i)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;
  JsonArray *cc;

  bench_append_message (text, rand, i, BENCH_ROUTES_CC);
  node = json_from_string (text->str, NULL);
  g_assert (node != NULL);
  object = json_node_get_object (node);
  message->routing_key = g_strdup (json_object_get_string_member (object, "routingKey"));
  message->payload = json_to_string (json_object_get_member (object, "payload"), FALSE);
  cc = json_object_get_array_member (object, "cc");
  g_assert (json_array_get_length (cc) == 2);
  for (guint j = 0; j < 2; j++)
    message->cc[j] = g_strdup (json_array_get_string_element (cc, j));
}

static void
die_on_reply (amqp_rpc_reply_t reply,
              const char      *what)
{
  if (reply.reply_type != AMQP_RESPONSE_NORMAL)
    {
      fprintf (stderr, "bench-amqp-publish: %s failed (%d)\n", what, reply.reply_type);
      exit (1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *url = NULL;
  struct amqp_connection_info info;
  amqp_connection_state_t conn;
  amqp_socket_t *socket;
  Message messages[DISTINCT];
  guint64 n, bytes = 0;

  if (argc != 4)
    {
      fprintf (stderr, "usage: bench-amqp-publish URL EXCHANGE N\n");
      return 2;
    }
  url = g_strdup (argv[1]);
  n = g_ascii_strtoull (argv[3], NULL, 10);
  if (amqp_parse_url (url, &info) != AMQP_STATUS_OK)
    {
      fprintf (stderr, "bench-amqp-publish: cannot read %s\n", argv[1]);
      return 2;
    }

  /* "amqp://host:port/" names the vhost "" for rabbitmq-c: the default one is meant. */
  if (info.vhost == NULL || *info.vhost == '\0')
    info.vhost = (char *) "/";

  for (guint i = 0; i < DISTINCT; i++)
    make_message (&messages[i], rand, i);

  conn = amqp_new_connection ();
  socket = amqp_tcp_socket_new (conn);
  if (amqp_socket_open (socket, info.host, info.port) != AMQP_STATUS_OK)
    {
      fprintf (stderr, "bench-amqp-publish: cannot connect to %s:%d\n", info.host, info.port);
      return 1;
    }
  die_on_reply (amqp_login (conn, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                            info.user, info.password), "login");
  amqp_channel_open (conn, 1);
  die_on_reply (amqp_get_rpc_reply (conn), "channel.open");
  amqp_exchange_declare (conn, 1, amqp_cstring_bytes (argv[2]), amqp_cstring_bytes ("topic"),
                         FALSE, FALSE, FALSE, FALSE, amqp_empty_table);
  die_on_reply (amqp_get_rpc_reply (conn), "exchange.declare");

  for (guint64 i = 0; i < n; i++)
    {
      Message *message = &messages[i % DISTINCT];
      amqp_basic_properties_t properties = { 0 };
      amqp_field_value_t values[2];
      amqp_table_entry_t header;

      for (guint j = 0; j < 2; j++)
        {
          values[j].kind = AMQP_FIELD_KIND_UTF8;
          values[j].value.bytes = amqp_cstring_bytes (message->cc[j]);
        }
      header.key = amqp_cstring_bytes ("CC");
      header.value.kind = AMQP_FIELD_KIND_ARRAY;
      header.value.value.array.num_entries = 2;
      header.value.value.array.entries = values;
      properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
      properties.content_type = amqp_cstring_bytes ("application/json");
      properties.headers.num_entries = 1;
      properties.headers.entries = &header;

      if (amqp_basic_publish (conn, 1, amqp_cstring_bytes (argv[2]), amqp_cstring_bytes (message->routing_key),
                              FALSE, FALSE, &properties, amqp_cstring_bytes (message->payload)) != AMQP_STATUS_OK)
        {
          fprintf (stderr, "bench-amqp-publish: publish failed\n");
          return 1;
        }
      bytes += strlen (message->payload);
    }

  /* A round trip: the broker has read everything before it. */
  amqp_exchange_declare (conn, 1, amqp_cstring_bytes (argv[2]), amqp_cstring_bytes ("topic"),
                         FALSE, FALSE, FALSE, FALSE, amqp_empty_table);
  die_on_reply (amqp_get_rpc_reply (conn), "exchange.declare");
  printf ("BYTES %" G_GUINT64_FORMAT "\n", bytes);

  amqp_channel_close (conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close (conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection (conn);
  for (guint i = 0; i < DISTINCT; i++)
    {
      g_free (messages[i].routing_key);
      g_free (messages[i].payload);
      g_free (messages[i].cc[0]);
      g_free (messages[i].cc[1]);
    }
  return 0;
}
