/* bench-unsubscribe.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Streams of the shared upstream (pi-amqp-fanout.c) waiting on one binding
 * the broker has not confirmed (nothing listens on its port), then leaving
 * in the order they came: each the first of those still waiting. It was
 * quadratic (each walked the list of all the others); it should be linear.
 *
 * Printed: the best of three runs at 5,000 and at 40,000 streams, and
 * their ratio (8 times the streams: about 8 where quadratic is 64). The
 * exit status is 0 when the ratio is under 25.
 *
 *   BUILD/tests/bench-unsubscribe
 */

#include "config.h"

#include <stdio.h>

#include <gio/gio.h>

#include "pi-amqp-client.h"
#include "pi-amqp-fanout.h"

static void
ignore_ready (gpointer user_data)
{
}

static void
ignore_message (GBytes   *event,
                gpointer  user_data)
{
}

static void
ignore_failed (const char *text,
               gpointer    user_data)
{
}

static double
time_unsubscribe (guint n)
{
  static const PiSubscriptionCallbacks callbacks = { ignore_ready, ignore_message, ignore_failed, NULL };
  static const PiAmqpBinding binding = { "exchange/bench/v1/slow", "slow.#" };
  g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse ("amqp://guest:guest@127.0.0.1:1/", NULL);
  g_autoptr(PiAmqpClient) client = pi_amqp_client_new (address, NULL, NULL);
  PiAmqpFanout *fanout = pi_amqp_fanout_new (client, 0, 0);
  g_autofree PiAmqpFanoutStream **streams = g_new (PiAmqpFanoutStream *, n);
  g_autoptr(GTimer) timer = NULL;
  double seconds;

  for (guint i = 0; i < n; i++)
    streams[i] = pi_amqp_fanout_subscribe (fanout, &binding, 1, &callbacks, NULL);

  timer = g_timer_new ();
  for (guint i = 0; i < n; i++)
    pi_amqp_fanout_unsubscribe (fanout, streams[i]);
  seconds = g_timer_elapsed (timer, NULL);

  pi_amqp_fanout_free (fanout);
  return seconds;
}

static double
best_of_three (guint n)
{
  return MIN (time_unsubscribe (n), MIN (time_unsubscribe (n), time_unsubscribe (n)));
}

int
main (void)
{
  double small, large;

  time_unsubscribe (1000);   /* warm-up */
  small = best_of_three (5000);
  large = best_of_three (40000);
  printf ("SUMMARY unsubscribe_5000_ms=%.1f unsubscribe_40000_ms=%.1f ratio=%.1f (linear 8, quadratic 64) %s\n",
          small * 1000, large * 1000, large / small, large < small * 25 ? "linear" : "NOT linear");

  return large < small * 25 ? 0 : 1;
}
