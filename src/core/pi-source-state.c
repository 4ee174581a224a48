/* pi-source-state.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-source-private.h"

/*
 * The main side of PiSource: the state in words, the reconnect
 * countdown, and the records the worker queued, applied in order.
 */

void
pi_source_stop_countdown (PiSource *self)
{
  if (self->countdown != NULL)
    {
      g_source_destroy (self->countdown);
      g_clear_pointer (&self->countdown, g_source_unref);
    }
}

static void
pi_source_update_text (PiSource *self)
{
  g_autofree char *text = NULL;

  switch (self->state)
    {
    case PI_STREAM_STATE_DISCONNECTED:
      text = g_strdup (_("Disconnected"));
      break;

    case PI_STREAM_STATE_CONNECTING:
      text = g_strdup_printf (_("Connecting to %s…"), self->host ? self->host : "");
      break;

    case PI_STREAM_STATE_WAITING_FOR_READY:
      text = g_strdup (_("Waiting for the server to bind…"));
      break;

    case PI_STREAM_STATE_LIVE:
      text = g_strdup (self->resumed ? _("Live: reconnected, nothing lost") : _("Live"));
      break;

    case PI_STREAM_STATE_RECONNECTING:
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Reconnecting in %u s…",
                                           "Reconnecting in %u s…",
                                           self->retry_seconds),
                              self->retry_seconds);
      break;

    case PI_STREAM_STATE_FAILED:
      text = g_strdup (self->error_message ? self->error_message : _("Failed"));
      break;

    default:
      g_assert_not_reached ();
    }

  if (g_strcmp0 (text, self->state_text) != 0)
    {
      g_free (self->state_text);
      self->state_text = g_steal_pointer (&text);
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_STATE_TEXT]);
    }
}

void
pi_source_set_error_message (PiSource *self,
                             const char    *message)
{
  if (g_strcmp0 (message, self->error_message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_ERROR_MESSAGE]);
    }
}

static void
pi_source_set_retry_seconds (PiSource *self,
                             guint          seconds)
{
  if (self->retry_seconds != seconds)
    {
      self->retry_seconds = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_RETRY_SECONDS]);
    }
}

static gboolean
pi_source_countdown_cb (gpointer user_data)
{
  PiSource *self = user_data;

  if (self->retry_seconds > 1)
    {
      pi_source_set_retry_seconds (self, self->retry_seconds - 1);
      pi_source_update_text (self);
      return G_SOURCE_CONTINUE;
    }

  g_clear_pointer (&self->countdown, g_source_unref);
  return G_SOURCE_REMOVE;
}

void
pi_source_set_state (PiSource *self,
                     PiStreamState  state,
                     const char    *reason,
                     guint          retry_msec)
{
  g_object_freeze_notify (G_OBJECT (self));

  pi_source_stop_countdown (self);

  if (state == PI_STREAM_STATE_RECONNECTING)
    {
      pi_source_set_retry_seconds (self, (retry_msec + 999) / 1000);
      if (self->retry_seconds > 1 && self->worker != NULL)
        {
          self->countdown = g_timeout_source_new_seconds (1);
          g_source_set_callback (self->countdown, pi_source_countdown_cb, self, NULL);
          g_source_attach (self->countdown, pi_stream_worker_get_main_context (self->worker));
        }
    }
  else
    pi_source_set_retry_seconds (self, 0);

  if (reason != NULL)
    pi_source_set_error_message (self, reason);
  else if (state == PI_STREAM_STATE_LIVE)
    pi_source_set_error_message (self, NULL);
  if (state == PI_STREAM_STATE_LIVE)
    self->stream_served = TRUE;

  if (self->state != state)
    {
      /* Named once it is live: before, the worker may still be probing. */
      const char *protocol = NULL;

      if (state == PI_STREAM_STATE_LIVE)
        protocol = self->attempt_protocol ? self->attempt_protocol : _("Events v1");

      self->state = state;
      if (g_set_str (&self->protocol_name, protocol))
        g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_PROTOCOL_NAME]);
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_STATE]);
    }

  pi_source_update_text (self);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
pi_source_apply (PiSource *self,
                 PiStreamRecord *record)
{
  switch (record->kind)
    {
    case PI_STREAM_RECORD_STATE:
      self->needs_credentials = record->state == PI_STREAM_STATE_FAILED && record->credentials;
      if (record->state == PI_STREAM_STATE_LIVE || record->state == PI_STREAM_STATE_FAILED)
        self->resumed = record->resumed;
      pi_source_set_state (self, record->state, record->text, record->retry_msec);
      break;

    case PI_STREAM_RECORD_MESSAGES:
      {
        guint n_real = 0;
        guint i;

        for (i = 0; i < record->batch->len; i++)
          {
            PiMessage *message = g_ptr_array_index (record->batch, i);

            if (pi_message_get_kind (message) != PI_MESSAGE_KIND_GAP &&
                pi_message_get_kind (message) != PI_MESSAGE_KIND_DROPPED)
              n_real++;
            self->next_sequence = pi_message_get_sequence (message) + 1;
          }
        self->n_messages += n_real;
        if (n_real > 0)
          g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_N_MESSAGES]);
        g_signal_emit (self, pi_source_signals[SIGNAL_MESSAGES], 0, record->batch);
      }
      break;

    case PI_STREAM_RECORD_RAW:
      self->n_messages += record->batch->len;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_N_MESSAGES]);
      g_signal_emit (self, pi_source_signals[SIGNAL_RAW_EVENTS], 0, record->batch);
      break;

    case PI_STREAM_RECORD_READY:
      g_signal_emit (self, pi_source_signals[SIGNAL_READY], 0);
      break;

    case PI_STREAM_RECORD_PING:
      g_clear_pointer (&self->last_ping, g_date_time_unref);
      self->last_ping = g_date_time_new_now_utc ();
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_LAST_PING]);
      g_signal_emit (self, pi_source_signals[SIGNAL_PING], 0, record->text);
      break;

    case PI_STREAM_RECORD_SERVER_ERROR:
      pi_source_set_error_message (self, record->text);
      g_signal_emit (self, pi_source_signals[SIGNAL_SERVER_ERROR], 0, record->text);
      break;

    case PI_STREAM_RECORD_DROPPED:
      self->n_dropped += record->count;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_N_DROPPED]);
      break;

    case PI_STREAM_RECORD_RECONNECT:
      self->n_reconnects++;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_N_RECONNECTS]);
      break;

    case PI_STREAM_RECORD_BINDING_ERROR:
      if (self->bindings != NULL && record->count < self->bindings->len)
        {
          PiBinding *binding = g_ptr_array_index (self->bindings, record->count);

          if (self->binding_errors == NULL)
            self->binding_errors = g_ptr_array_new_with_free_func (g_free);
          if (self->binding_errors->len < self->bindings->len)
            g_ptr_array_set_size (self->binding_errors, self->bindings->len);
          g_free (g_ptr_array_index (self->binding_errors, record->count));
          g_ptr_array_index (self->binding_errors, record->count) = g_strdup (record->text);
          g_signal_emit (self, pi_source_signals[SIGNAL_BINDING_ERROR], 0, binding, record->text);
        }
      break;

    case PI_STREAM_RECORD_BINDING_CLEAR:
      if (self->binding_errors != NULL)
        {
          g_clear_pointer (&self->binding_errors, g_ptr_array_unref);
          g_signal_emit (self, pi_source_signals[SIGNAL_BINDING_ERROR], 0, NULL, NULL);
        }
      break;

    case PI_STREAM_RECORD_PROTOCOL:
      g_set_str (&self->attempt_protocol, record->text);
      if (self->state == PI_STREAM_STATE_LIVE &&
          g_set_str (&self->protocol_name, record->text))
        g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_PROTOCOL_NAME]);
      break;

    default:
      g_assert_not_reached ();
    }
}

gboolean
pi_source_dispatch_cb (gpointer user_data)
{
  PiSource *self = user_data;
  g_autoptr(PiSource) hold = g_object_ref (self);
  GQueue records = G_QUEUE_INIT;
  guint generation = self->generation;
  PiStreamRecord *record;
  guint64 n_bytes;

  pi_stream_worker_take_records (self->worker, &records, &n_bytes);

  if (self->n_bytes != n_bytes)
    {
      self->n_bytes = n_bytes;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_N_BYTES]);
    }

  /* A handler may disconnect (and even connect again): stop at once,
   * nothing of the old connection after it. */
  while (self->generation == generation && (record = g_queue_pop_head (&records)) != NULL)
    {
      pi_source_apply (self, record);
      pi_stream_record_free (record);
    }

  g_queue_clear_full (&records, (GDestroyNotify) pi_stream_record_free);

  return G_SOURCE_CONTINUE;
}

void
pi_source_stop_worker (PiSource *self)
{
  PiStreamWorker *worker = g_steal_pointer (&self->worker);

  if (worker == NULL)
    return;

  self->generation++;
  pi_stream_worker_stop (worker);
}
