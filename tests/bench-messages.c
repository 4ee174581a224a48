/* bench-messages.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The message of the client benchmarks (tests/bench-listen.sh): one
 * queue message shaped like a real task-completed delivery, with the
 * whole status, its run, task tags and routes (~1.1 KB of JSON). The
 * SSE server and the WebSocket server send the same messages, so that
 * the figures of the protocols compare.
 */

#include "config.h"

#include "bench-messages.h"

static void
append_slugid (GString *out,
               GRand   *rand)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  g_string_append_c (out, '"');
  for (int i = 0; i < 22; i++)
    g_string_append_c (out, alphabet[g_rand_int_range (rand, 0, 64)]);
  g_string_append_c (out, '"');
}

static void
append_time (GString *out,
             gint64   base,
             gint64   offset_ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc ((base + offset_ms) / 1000);

  g_string_append_printf (out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          (int) ((base + offset_ms) % 1000));
}

/* Message @i of the stream: the same @rand seed gives the same stream. */
void
bench_append_message (GString     *out,
                      GRand       *rand,
                      guint        i,
                      BenchRoutes  routes)
{
  static const char *kinds[] = { "build", "test", "lint", "signing", "beetmover" };
  static const char *platforms[] = { "linux64", "windows11-64", "macosx1015-64", "android-em-7.0-x86_64" };
  g_autoptr(GString) task_id = g_string_new (NULL);
  g_autoptr(GString) group_id = g_string_new (NULL);
  gint64 base = 1795000000000 + (gint64) i * 37;
  const char *kind = kinds[i % G_N_ELEMENTS (kinds)];
  const char *platform = platforms[i % G_N_ELEMENTS (platforms)];
  const char *prefix = routes == BENCH_ROUTES_CC ? "route." : "";
  guint worker = g_rand_int_range (rand, 100000000, 999999999);
  guint push = 40000 + i / 500;
  guint32 rev1, rev2;

  append_slugid (task_id, rand);
  append_slugid (group_id, rand);

  g_string_append (out, "{\"payload\":{\"version\":1,\"status\":{\"taskId\":");
  g_string_append (out, task_id->str);
  g_string_append (out, ",\"provisionerId\":\"gecko-3\",\"workerType\":\"b-linux-gcp\","
                        "\"schedulerId\":\"gecko-level-3\","
                        "\"projectId\":\"none\",\"taskGroupId\":");
  g_string_append (out, group_id->str);
  g_string_append (out, ",\"deadline\":");
  append_time (out, base, 86400000);
  g_string_append (out, ",\"retriesLeft\":5,\"state\":\"completed\",\"runs\":[{\"runId\":0,"
                        "\"state\":\"completed\",\"reasonCreated\":\"scheduled\","
                        "\"reasonResolved\":\"completed\",\"workerGroup\":\"us-central1-b\",\"workerId\":\"");
  g_string_append_printf (out, "%u", worker);
  g_string_append (out, "\",\"scheduled\":");
  append_time (out, base, 0);
  g_string_append (out, ",\"started\":");
  append_time (out, base, 4100);
  g_string_append (out, ",\"resolved\":");
  append_time (out, base, 912345);
  g_string_append_printf (out, "}]},\"task\":{\"tags\":{\"kind\":\"%s\",\"label\":\"%s-%s/opt-%u\","
                               "\"os\":\"linux\",\"createdForUser\":\"dev%u@example.com\","
                               "\"retrigger\":\"false\"}},"
                               "\"runId\":0,\"workerGroup\":\"us-central1-b\",\"workerId\":\"%u\"},",
                          kind, kind, platform, i % 97, i % 13, worker);
  g_string_append (out, "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\",\"routingKey\":\"primary.");
  g_string_append_len (out, task_id->str + 1, 22);
  g_string_append_printf (out, ".0.us-central1-b.%u.gecko-3.b-linux-gcp.gecko-level-3.", worker);
  g_string_append_len (out, group_id->str + 1, 22);
  /* Two calls in this order: argument evaluation order is unspecified. */
  rev1 = g_rand_int (rand);
  rev2 = g_rand_int (rand);
  g_string_append_printf (out, "._\",\"redelivered\":false,\"%s\":["
                               "\"%sindex.gecko.v2.autoland.latest.firefox.%s-opt\","
                               "\"%stc-treeherder.v2.autoland.%08x%08x.%u\"]}",
                          routes == BENCH_ROUTES_CC ? "cc" : "routes",
                          prefix, platform, prefix, rev1, rev2, push);
}
