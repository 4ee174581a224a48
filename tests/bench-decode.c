/* bench-decode.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * How fast the client's ingest path is: an SSE stream of real-shaped
 * Taskcluster messages (~1.1 KB each), pushed in 64 KiB chunks as the event
 * stream reads them, through PiSseParser and pi_message_new_from_data().
 * For comparison, the same stream decoded with a full json-glib parse.
 *
 *   bench-decode [N_MESSAGES] [ROUNDS]
 *
 * Not a test: run it by hand on a quiet machine.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "pi-message.h"
#include "pi-sse-parser.h"

#define CHUNK_SIZE 65536

static const char *states[] = { "completed", "failed", "exception", "running", "pending" };
static const char *exchanges[] = { "task-completed", "task-failed", "task-exception",
                                   "task-running", "task-pending" };

static guint64 data_bytes;

static void
random_slug (GRand *rand,
             char   out[23])
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint i;

  for (i = 0; i < 22; i++)
    out[i] = alphabet[g_rand_int_range (rand, 0, 64)];
  out[22] = '\0';
}

/* One message object shaped after the queue's task-status schema, padded
 * with routes to about 1.1 KB. */
static void
append_message (GString *stream,
                GRand   *rand,
                guint    i)
{
  g_autoptr(GString) data = g_string_new (NULL);
  char task_id[23];
  char group_id[23];
  guint kind = g_rand_int_range (rand, 0, G_N_ELEMENTS (states));
  guint run;
  /* One run in nine messages out of ten, as on a healthy cluster. */
  guint n_runs = g_rand_int_range (rand, 0, 10) == 0 ? 2 : 1;

  random_slug (rand, task_id);
  random_slug (rand, group_id);

  g_string_append_printf (data,
    "{\"payload\":{\"version\":1,\"status\":{\"taskId\":\"%s\",\"provisionerId\":\"proj-releng\","
    "\"workerType\":\"b-linux-large-gcp\",\"taskQueueId\":\"proj-releng/b-linux-large-gcp\","
    "\"schedulerId\":\"gecko-level-3\",\"projectId\":\"releng\",\"taskGroupId\":\"%s\","
    "\"priority\":\"low\",\"deadline\":\"2026-01-02T10:%02u:00.000Z\","
    "\"expires\":\"2027-01-01T10:%02u:00.000Z\",\"retriesLeft\":%u,\"state\":\"%s\",\"runs\":[",
    task_id, group_id, i % 60, i % 60, 5 - n_runs, states[kind]);
  for (run = 0; run < n_runs; run++)
    g_string_append_printf (data,
      "%s{\"runId\":%u,\"state\":\"%s\",\"reasonCreated\":\"%s\",\"reasonResolved\":\"%s\","
      "\"workerGroup\":\"us-east1\",\"workerId\":\"i-0%08x\","
      "\"takenUntil\":\"2026-01-01T10:%02u:00.000Z\",\"scheduled\":\"2026-01-01T09:%02u:00.000Z\","
      "\"started\":\"2026-01-01T09:%02u:05.000Z\",\"resolved\":\"2026-01-01T09:%02u:55.000Z\"}",
      run ? "," : "", run, run + 1 < n_runs ? "exception" : states[kind],
      run ? "retry" : "scheduled", run + 1 < n_runs ? "worker-shutdown" : states[kind],
      g_rand_int (rand), i % 60, i % 60, i % 60, i % 60);
  g_string_append_printf (data,
    "]},\"task\":{\"tags\":{\"kind\":\"build\"}},"
    "\"runId\":%u,\"workerGroup\":\"us-east1\",\"workerId\":\"i-0%08x\"},"
    "\"exchange\":\"exchange/taskcluster-queue/v1/%s\","
    "\"routingKey\":\"primary.%s.%u.us-east1.i-0%08x.proj-releng.b-linux-large-gcp.gecko-level-3.%s._\","
    "\"redelivered\":false,"
    "\"routes\":[\"index.gecko.v2.try.latest.firefox.linux64-opt\","
    "\"tc-treeherder.v2.try.%.12s.%u\",\"checks\"]}",
    n_runs - 1, g_rand_int (rand), exchanges[kind],
    task_id, n_runs - 1, g_rand_int (rand), group_id, task_id, i);

  /* Pad the shorter ones so that every message is about the same size. */
  while (data->len < 1000)
    {
      g_string_truncate (data, data->len - 1);
      g_string_append (data, ",\"index.gecko.v2.try.pushdate.2026.01.01.latest\"]}");
    }

  pi_sse_append_event (stream, "message", data->str);
  data_bytes += data->len;
  if (i % 1000 == 999)
    pi_sse_append_event (stream, "ping", "{\"time\":\"2026-01-01T10:00:00.000Z\"}");
}

typedef enum
{
  MODE_PARSE_ONLY,
  MODE_DECODE,
  MODE_JSON_GLIB,
} Mode;

typedef struct
{
  Mode    mode;
  guint64 n_messages;
  guint64 n_bytes;
  gint64  now;
  guint64 check;
} Run;

static void
on_event (const PiSseEvent *event,
          gpointer          user_data)
{
  Run *run = user_data;

  if (strcmp (event->event, "message") != 0)
    return;

  run->n_messages++;
  run->n_bytes += event->data_len;

  switch (run->mode)
    {
    case MODE_PARSE_ONLY:
      run->check += event->data[event->data_len / 2];
      break;

    case MODE_DECODE:
      {
        PiMessage *message = pi_message_new_from_data (event->data, event->data_len,
                                                       run->n_messages, run->now);

        run->check += strlen (pi_message_get_routing_key (message));
        g_object_unref (message);
      }
      break;

    case MODE_JSON_GLIB:
      {
        /* What decoding with a tree would cost: parse everything, read
         * the fields, keep the payload node. */
        g_autoptr(JsonParser) parser = json_parser_new ();
        g_autoptr(JsonNode) payload = NULL;
        JsonObject *object;

        if (!json_parser_load_from_data (parser, event->data, event->data_len, NULL))
          g_error ("json-glib refused a message");
        object = json_node_get_object (json_parser_get_root (parser));
        run->check += strlen (json_object_get_string_member (object, "routingKey"));
        run->check += strlen (json_object_get_string_member (object, "exchange"));
        run->check += json_object_get_boolean_member (object, "redelivered");
        run->check += json_array_get_length (json_object_get_array_member (object, "routes"));
        payload = json_node_ref (json_object_get_member (object, "payload"));
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static double
run_once (const GString *stream,
          Mode           mode,
          guint          expected)
{
  Run run = { mode, 0, 0, 0, 0 };
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, on_event, &run);
  gint64 start;
  gint64 end;
  gsize offset;

  start = g_get_monotonic_time ();
  for (offset = 0; offset < stream->len; offset += CHUNK_SIZE)
    {
      g_autoptr(GError) error = NULL;

      /* One clock read per chunk, as the event stream does per read. */
      run.now = g_get_real_time ();
      if (!pi_sse_parser_push (parser, stream->str + offset,
                               MIN (CHUNK_SIZE, stream->len - offset), &error))
        g_error ("%s", error->message);
    }
  end = g_get_monotonic_time ();

  if (run.n_messages != expected)
    g_error ("%" G_GUINT64_FORMAT " messages decoded, expected %u", run.n_messages, expected);

  return (end - start) / (double) G_USEC_PER_SEC;
}

static void
report (const char    *name,
        const GString *stream,
        Mode           mode,
        guint          n,
        guint          rounds)
{
  double best = G_MAXDOUBLE;
  guint i;

  for (i = 0; i < rounds; i++)
    best = MIN (best, run_once (stream, mode, n));

  g_print ("%-34s %8.3f s  %10.0f messages/s  %8.1f MB/s\n",
           name, best, n / best, stream->len / best / 1e6);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GString) stream = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026);
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 200000;
  guint rounds = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  guint i;

  if (n == 0 || rounds == 0)
    {
      g_printerr ("Usage: %s [N_MESSAGES] [ROUNDS]\n", argv[0]);
      return 1;
    }

  stream = g_string_sized_new ((gsize) n * 1200);
  for (i = 0; i < n; i++)
    append_message (stream, rand, i);

  g_print ("%u messages of %.0f bytes of JSON on average, %.1f MB of SSE, %d KiB pushes, best of %u\n",
           n, (double) data_bytes / n, stream->len / 1e6, CHUNK_SIZE / 1024, rounds);

  report ("SSE parser only", stream, MODE_PARSE_ONLY, n, rounds);
  report ("SSE parser + pi_message decode", stream, MODE_DECODE, n, rounds);
  report ("SSE parser + json-glib full parse", stream, MODE_JSON_GLIB, n, rounds);

  return 0;
}
