/* pi-deployments.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The pulse-events default: `pulse-events --demo` listens here. */
#define PI_LOCAL_EVENTS_URL "http://localhost:12345/api/events/v1"

/* Mozilla Pulse, the RabbitMQ that Taskcluster publishes to: AMQP over TLS
 * only, one account per user (made in PulseGuardian). */
#define PI_PULSE_HOST "pulse.mozilla.org"
#define PI_PULSE_PORT 5671

/**
 * PiDeployment:
 * @name: the name people know it by, untranslated (N_())
 * @url: its root URL or events URL
 * @description: one line on what it is, untranslated (N_())
 */
typedef struct
{
  const char *name;
  const char *url;
  const char *description;
} PiDeployment;

const PiDeployment *pi_deployments_get          (guint       *n_deployments);
char               *pi_deployments_describe_url (const char  *url);
gboolean            pi_deployments_check_url    (const char  *url,
                                                 GError     **error);
gboolean            pi_deployments_is_broker_url (const char *url);
char               *pi_deployments_pulse_url    (const char  *user,
                                                 GError     **error);
char               *pi_deployments_broker_user  (const char  *url);
char               *pi_deployments_without_password (const char *url);
gboolean            pi_deployments_same_server  (const char  *a,
                                                 const char  *b);
char               *pi_deployments_dup_chosen_server (GSettings *settings);

G_END_DECLS
