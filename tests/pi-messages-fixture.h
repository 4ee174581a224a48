/* pi-messages-fixture.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Real-shaped Taskcluster queue messages for the message list and details
 * tests and the window benchmark: the payloads follow the shapes of
 * reference/taskcluster/queue-message-schemas (task-status, task-run,
 * task-*-message), the routing keys the words of exchanges/queue.json.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "pi-json-util.h"
#include "pi-message.h"

G_BEGIN_DECLS

#define FIXTURE_EXCHANGE_PREFIX "exchange/taskcluster-queue/v1/"

static const char *fixture_states[] = { "pending", "running", "completed", "failed", "exception" };
static const char *fixture_exchanges[] = { "task-pending", "task-running", "task-completed", "task-failed", "task-exception" };

/* A 22-character slug-like id, deterministic from @n and @salt. */
static G_GNUC_UNUSED void
fixture_slug (char    out[23],
              guint64 n,
              guint   salt)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint64 x = n * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull + 1;

  for (guint i = 0; i < 22; i++)
    {
      x ^= x >> 31;
      x *= 0x94D049BB133111EBull;
      out[i] = alphabet[(x >> 17) & 63];
    }
  out[22] = '\0';
}

/* The event data text (the message object of docs/PROTOCOL.md section 4) of
 * message @n. @extra_tag, when set, is added as a task tag (a way for tests
 * to plant searchable text in the payload). About 1.1 KB. */
static G_GNUC_UNUSED char *
fixture_message_text (guint64     n,
                      const char *extra_tag)
{
  GString *s = g_string_sized_new (1280);
  guint kind = n % G_N_ELEMENTS (fixture_states);
  const char *state = fixture_states[kind];
  char task_id[23], group_id[23];
  guint run_id = n % 2;

  fixture_slug (task_id, n, 1);
  fixture_slug (group_id, n / 50, 2);

  g_string_append (s, "{\"payload\":{\"version\":1,\"status\":{");
  g_string_append_printf (s,
    "\"taskId\":\"%s\",\"provisionerId\":\"proj-releng\",\"workerType\":\"b-linux-gcp\","
    "\"taskQueueId\":\"proj-releng/b-linux-gcp\",\"schedulerId\":\"gecko-level-3\","
    "\"projectId\":\"gecko\",\"taskGroupId\":\"%s\",\"deadline\":\"2026-11-28T09:12:44.118Z\","
    "\"expires\":\"2027-11-27T09:12:44.118Z\",\"retriesLeft\":5,\"state\":\"%s\",\"runs\":[",
    task_id, group_id, state);
  for (guint r = 0; r <= run_id; r++)
    g_string_append_printf (s,
      "%s{\"runId\":%u,\"state\":\"%s\",\"reasonCreated\":\"%s\",%s"
      "\"workerGroup\":\"us-east1\",\"workerId\":\"i-0a7c3%05u\","
      "\"scheduled\":\"2026-11-27T09:12:45.002Z\",\"started\":\"2026-11-27T09:12:47.310Z\"%s}",
      r ? "," : "", r, r < run_id ? "exception" : state, r ? "retry" : "scheduled",
      r < run_id ? "\"reasonResolved\":\"claim-expired\"," : "",
      (guint)(n % 100000),
      r < run_id || kind >= 2 ? ",\"resolved\":\"2026-11-27T09:20:01.877Z\"" : "");
  g_string_append_printf (s,
    "]},\"runId\":%u,\"workerGroup\":\"us-east1\",\"workerId\":\"i-0a7c3%05u\","
    "\"task\":{\"tags\":{\"kind\":\"build\",\"label\":\"build-linux64-shippable/opt\","
    "\"createdForUser\":\"release@example.com\",\"trust-domain\":\"gecko\"",
    run_id, (guint)(n % 100000));
  if (extra_tag != NULL)
    {
      g_string_append (s, ",\"note\":");
      pi_json_append_string (s, extra_tag, -1);
    }
  g_string_append_printf (s,
    "}}},\"exchange\":\"" FIXTURE_EXCHANGE_PREFIX "%s\","
    "\"routingKey\":\"primary.%s.%u.us-east1.i-0a7c3%05u.proj-releng.b-linux-gcp.gecko-level-3.%s._\","
    "\"redelivered\":%s,\"routes\":[\"index.gecko.v2.mozilla-central.latest.firefox.linux64-opt\","
    "\"tc-treeherder.v2.mozilla-central.%08x\",\"checks\"]}",
    fixture_exchanges[kind], task_id, run_id, (guint)(n % 100000), group_id,
    n % 7 == 6 ? "true" : "false", (guint)(n * 2654435761u));

  return g_string_free (s, FALSE);
}

static G_GNUC_UNUSED PiMessage *
fixture_message_new (guint64     n,
                     const char *extra_tag)
{
  g_autofree char *text = fixture_message_text (n, extra_tag);

  return pi_message_new_from_data (text, strlen (text), n, g_get_real_time ());
}

/* Messages @first .. @first + @n - 1, every one with @extra_tag (or none). */
static G_GNUC_UNUSED GPtrArray *
fixture_batch_new (guint64     first,
                   guint       n,
                   const char *extra_tag)
{
  GPtrArray *batch = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (batch, fixture_message_new (first + i, extra_tag));

  return batch;
}

G_END_DECLS
