/* pi-status-line.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-session"

#include <glib/gi18n.h>

#include "pi-deployments.h"
#include "pi-session.h"
#include "pi-status-line.h"

/* The header's two lines: what is listened to ("Community", a host) and how
 * that goes ("Live · 7 messages/s · WebSocket", "Paused · 32 held"), with
 * the rate counted while live. Kept current from the source, the feed and
 * the starter it watches. GTK-free; PiSession holds one.
 *
 * The second line comes in two wordings: the whole one, and one for a
 * phone's width, which says the same in fewer words. At 360 px the header
 * leaves the subtitle 134 px, about 20 characters: the host is the title's
 * already, a countdown keeps its number, and the protocol waits for a
 * wider window (the whole wording is the title's tooltip). */
struct _PiStatusLine
{
  GObject          parent_instance;

  /* Watched */
  PiSource        *source;
  PiMessageFeed   *feed;
  PiSourceStarter *starter;

  char            *server_url;
  char            *title;
  char            *subtitle;
  char            *narrow_subtitle;

  /* The source's server while it was last live; whether the stream to it
   * was lost since (and not yet live again, nor disconnected) */
  char            *live_url;
  gboolean         lost;
  gboolean         restarted;     /* a new stream started since the loss */
  PiStreamState    last_state;

  /* Messages per second over the last second, while live */
  guint            tick_id;
  guint64          rate_count;
  gint64           rate_time;
  double           rate;
};

G_DEFINE_FINAL_TYPE (PiStatusLine, pi_status_line, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_NARROW_SUBTITLE,
  PROP_RATE,
  PROP_LOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * pi_status_line_describe_loss:
 * @source: a source whose live stream was lost (see #PiStatusLine:lost)
 * @narrow: the wording for a phone's width, about 20 characters
 *
 * Returns: (transfer full): the loss in words for the source's state now,
 *   as the header and the connection details tell it
 */
char *
pi_status_line_describe_loss (PiSource *source,
                              gboolean  narrow)
{
  PiStreamState state = pi_source_get_state (source);
  guint seconds = pi_source_get_retry_seconds (source);

  switch (state)
    {
    case PI_STREAM_STATE_RECONNECTING:
      if (narrow)
        /* Translators: "Connection lost · reconnecting in %u s" where
         * the header is narrow: at most about 20 characters. */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Lost · retry in %u s",
                                             "Lost · retry in %u s",
                                             seconds),
                                seconds);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Connection lost · reconnecting in %u s",
                                           "Connection lost · reconnecting in %u s",
                                           seconds),
                              seconds);

    case PI_STREAM_STATE_FAILED:
      /* The reason is told once, by the window's banner or page. */
      return g_strdup (_("Connection Lost"));

    case PI_STREAM_STATE_CONNECTING:
    case PI_STREAM_STATE_WAITING_FOR_READY:
    case PI_STREAM_STATE_LIVE:
    case PI_STREAM_STATE_DISCONNECTED:
    default:
      if (narrow)
        /* Translators: "Connection lost · reconnecting…" where the
         * header is narrow. */
        return g_strdup (_("Lost · retrying…"));
      return g_strdup (_("Connection lost · reconnecting…"));
    }
}

static char *
build_subtitle (PiStatusLine *self,
                gboolean      narrow)
{
  PiStreamState state = pi_source_get_state (self->source);
  const char *protocol = pi_source_get_protocol_name (self->source);
  g_autofree char *held = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *live = NULL;

  /* Held messages are the thing to know while paused, whatever the link does. */
  if (pi_message_feed_get_paused (self->feed))
    {
      guint n_held = pi_message_feed_get_n_held (self->feed);

      held = pi_session_format_count (n_held);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Paused · %s held", "Paused · %s held", n_held),
                              held);
    }

  /* Messages had been arriving: what follows is a loss, not a first try. */
  if (pi_status_line_get_lost (self))
    return pi_status_line_describe_loss (self->source, narrow);

  switch (state)
    {
    case PI_STREAM_STATE_LIVE:
      rate = pi_session_format_count ((guint64) (self->rate + 0.5));
      if (narrow)
        /* Translators: "Live · 7 messages/s · WebSocket" where the header
         * is narrow: the rate alone. */
        return g_strdup_printf (_("Live · %s/s"), rate);
      live = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Live · %s message/s", "Live · %s messages/s",
                                           (gulong) (self->rate + 0.5)),
                              rate);
      if (protocol != NULL && protocol[0] != '\0')
        return g_strdup_printf ("%s · %s", live, protocol);
      return g_steal_pointer (&live);

    case PI_STREAM_STATE_CONNECTING:
      /* The title names the server already ("Connecting to HOST…"). */
      if (narrow)
        return g_strdup (_("Connecting…"));
      return g_strdup (pi_source_get_state_text (self->source));

    case PI_STREAM_STATE_WAITING_FOR_READY:
      if (narrow)
        /* Translators: "Waiting for the server to bind…" where the header
         * is narrow. */
        return g_strdup (_("Waiting to bind…"));
      return g_strdup (pi_source_get_state_text (self->source));

    case PI_STREAM_STATE_RECONNECTING:
      if (narrow)
        {
          guint seconds = pi_source_get_retry_seconds (self->source);

          /* Translators: "Reconnecting in %u s…" where the header is narrow. */
          return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Retry in %u s…", "Retry in %u s…", seconds),
                                  seconds);
        }
      return g_strdup (pi_source_get_state_text (self->source));

    case PI_STREAM_STATE_FAILED:
      /* The reason is told once, by the window's status page or banner. */
      return g_strdup (_("Connection Failed"));

    case PI_STREAM_STATE_DISCONNECTED:
    default:
      if (pi_source_starter_get_needs_password (self->starter))
        return g_strdup (_("No Password"));
      return g_strdup (_("Not Connected"));
    }
}

static void
update_texts (PiStatusLine *self)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = build_subtitle (self, FALSE);
  g_autofree char *narrow_subtitle = build_subtitle (self, TRUE);

  title = pi_deployments_describe_url (self->server_url ? self->server_url : "");

  if (g_strcmp0 (title, self->title) != 0)
    {
      g_free (self->title);
      self->title = g_steal_pointer (&title);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }

  if (g_strcmp0 (subtitle, self->subtitle) != 0)
    {
      g_free (self->subtitle);
      self->subtitle = g_steal_pointer (&subtitle);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
    }

  if (g_strcmp0 (narrow_subtitle, self->narrow_subtitle) != 0)
    {
      g_free (self->narrow_subtitle);
      self->narrow_subtitle = g_steal_pointer (&narrow_subtitle);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NARROW_SUBTITLE]);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  PiStatusLine *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 count = pi_source_get_n_messages (self->source);
  double rate = 0;

  /* A reconnect resets the counter: never go negative. */
  if (count >= self->rate_count && now > self->rate_time)
    rate = (double) (count - self->rate_count) * G_USEC_PER_SEC / (double) (now - self->rate_time);

  self->rate_count = count;
  self->rate_time = now;

  if (rate != self->rate)
    {
      self->rate = rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
      update_texts (self);
    }

  return G_SOURCE_CONTINUE;
}

/* A loss is the end of a live stream that the source did not choose: from
 * live straight to waiting to reconnect, or failed. It lasts through the
 * attempts to reconnect (Reconnect Now's too), until live again or
 * disconnected. Restarting a live stream (other bindings) is no loss, nor
 * is the refusal of the new one; a stream restarted during a loss goes on
 * telling it while the server is away (it keeps trying, as the lost one
 * would have), but a refusal once the server answers is a refusal. */
static void
update_lost (PiStatusLine *self,
             gboolean      restart)
{
  PiStreamState state = pi_source_get_state (self->source);
  PiStreamState last_state = self->last_state;
  const char *url = pi_source_get_server_url (self->source);
  gboolean lost = self->lost;

  self->last_state = state;

  switch (state)
    {
    case PI_STREAM_STATE_LIVE:
      g_free (self->live_url);
      self->live_url = g_strdup (url);
      lost = FALSE;
      break;

    case PI_STREAM_STATE_DISCONNECTED:
      /* Left on purpose: the next stream starts afresh. */
      g_clear_pointer (&self->live_url, g_free);
      lost = FALSE;
      break;

    case PI_STREAM_STATE_RECONNECTING:
      lost = lost || last_state == PI_STREAM_STATE_LIVE;
      break;

    case PI_STREAM_STATE_FAILED:
      lost = last_state == PI_STREAM_STATE_LIVE || (lost && !self->restarted && !restart);
      break;

    case PI_STREAM_STATE_CONNECTING:
    case PI_STREAM_STATE_WAITING_FOR_READY:
    default:
      break;
    }

  /* Another server: nothing of it was ever received. */
  lost = lost && pi_deployments_same_server (url, self->live_url);

  self->restarted = lost && (self->restarted || restart);
  if (lost != self->lost)
    {
      self->lost = lost;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOST]);
    }
}

static void
on_source_notify (PiStatusLine *self,
                  GParamSpec   *pspec,
                  PiSource     *source)
{
  gboolean live = pi_source_get_state (source) == PI_STREAM_STATE_LIVE;

  /* Only pi_source_connect() sets the connect URL: a new stream. */
  update_lost (self, pspec != NULL && g_strcmp0 (pspec->name, "connect-url") == 0);

  /* The rate is only counted while live: a quiet window does no work. */
  if (live && self->tick_id == 0)
    {
      self->rate_count = pi_source_get_n_messages (source);
      self->rate_time = g_get_monotonic_time ();
      self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
    }
  else if (!live && self->tick_id != 0)
    {
      g_clear_handle_id (&self->tick_id, g_source_remove);
      self->rate = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
    }

  update_texts (self);
}

static void
pi_status_line_dispose (GObject *object)
{
  PiStatusLine *self = PI_STATUS_LINE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  if (self->feed != NULL)
    g_signal_handlers_disconnect_by_data (self->feed, self);
  if (self->starter != NULL)
    g_signal_handlers_disconnect_by_data (self->starter, self);
  g_clear_object (&self->source);
  g_clear_object (&self->feed);
  g_clear_object (&self->starter);

  G_OBJECT_CLASS (pi_status_line_parent_class)->dispose (object);
}

static void
pi_status_line_finalize (GObject *object)
{
  PiStatusLine *self = PI_STATUS_LINE (object);

  g_free (self->server_url);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->narrow_subtitle);
  g_free (self->live_url);

  G_OBJECT_CLASS (pi_status_line_parent_class)->finalize (object);
}

static void
pi_status_line_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PiStatusLine *self = PI_STATUS_LINE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_SUBTITLE:
      g_value_set_string (value, self->subtitle);
      break;

    case PROP_NARROW_SUBTITLE:
      g_value_set_string (value, self->narrow_subtitle);
      break;

    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;

    case PROP_LOST:
      g_value_set_boolean (value, self->lost);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_status_line_class_init (PiStatusLineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_status_line_dispose;
  object_class->finalize = pi_status_line_finalize;
  object_class->get_property = pi_status_line_get_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PiStatusLine:narrow-subtitle:
   *
   * The subtitle in fewer words, for a header at a phone's width: the
   * same state, the same numbers ("Lost · reconnecting in 4 s").
   */
  properties[PROP_NARROW_SUBTITLE] =
    g_param_spec_string ("narrow-subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PiStatusLine:lost:
   *
   * Whether the stream was lost after messages had been arriving from the
   * same server: its failures read as a loss ("Connection lost ·
   * reconnecting in 4 s"), not as a first failure to connect.
   */
  properties[PROP_LOST] =
    g_param_spec_boolean ("lost", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_status_line_init (PiStatusLine *self)
{
}

static void
on_changed (PiStatusLine *self)
{
  update_texts (self);
}

/**
 * pi_status_line_new:
 * @source: the source whose state it tells
 * @feed: the feed whose pause it tells
 * @starter: the starter that may wait for a password
 *
 * Returns: (transfer full): the status line, current
 */
PiStatusLine *
pi_status_line_new (PiSource        *source,
                    PiMessageFeed   *feed,
                    PiSourceStarter *starter)
{
  PiStatusLine *self;

  g_return_val_if_fail (PI_IS_SOURCE (source), NULL);
  g_return_val_if_fail (PI_IS_MESSAGE_FEED (feed), NULL);
  g_return_val_if_fail (PI_IS_SOURCE_STARTER (starter), NULL);

  self = g_object_new (PI_TYPE_STATUS_LINE, NULL);
  self->source = g_object_ref (source);
  self->feed = g_object_ref (feed);
  self->starter = g_object_ref (starter);

  g_signal_connect_object (source, "notify::state", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::state-text", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::protocol-name", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::retry-seconds", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::connect-url", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (feed, "notify::paused", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (feed, "notify::n-held", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (starter, "notify::needs-password", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  update_texts (self);

  return self;
}

/* What is listened to: the title names it. */
void
pi_status_line_set_server_url (PiStatusLine *self,
                               const char   *server_url)
{
  g_return_if_fail (PI_IS_STATUS_LINE (self));

  if (g_strcmp0 (self->server_url, server_url) == 0)
    return;

  g_free (self->server_url);
  self->server_url = g_strdup (server_url);
  update_texts (self);
}

const char *
pi_status_line_get_title (PiStatusLine *self)
{
  g_return_val_if_fail (PI_IS_STATUS_LINE (self), NULL);

  return self->title;
}

const char *
pi_status_line_get_subtitle (PiStatusLine *self)
{
  g_return_val_if_fail (PI_IS_STATUS_LINE (self), NULL);

  return self->subtitle;
}

/* See #PiStatusLine:narrow-subtitle. */
const char *
pi_status_line_get_narrow_subtitle (PiStatusLine *self)
{
  g_return_val_if_fail (PI_IS_STATUS_LINE (self), NULL);

  return self->narrow_subtitle;
}

double
pi_status_line_get_rate (PiStatusLine *self)
{
  g_return_val_if_fail (PI_IS_STATUS_LINE (self), 0);

  return self->rate;
}

/* See #PiStatusLine:lost. */
gboolean
pi_status_line_get_lost (PiStatusLine *self)
{
  g_return_val_if_fail (PI_IS_STATUS_LINE (self), FALSE);

  return self->lost;
}
