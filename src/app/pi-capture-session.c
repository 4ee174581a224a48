/* pi-capture-session.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-capture-session"

#include "pi-capture-session.h"

/* What a capture window browses, as PiSession is what a live window listens
 * to: a saved capture (or an old web inspector download), its header once
 * read, and the store its messages are read into. It has no source: nothing
 * connects, pauses or clears. GTK-free; PiCaptureWindow shows
 * it. */
struct _PiCaptureSession
{
  GObject         parent_instance;

  GFile          *file;
  PiMessageStore *store;
  PiCaptureInfo  *info;       /* NULL until the file is read */
  guint           capacity;   /* the store's, unless the file holds more */
};

G_DEFINE_FINAL_TYPE (PiCaptureSession, pi_capture_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  guint  n_read;
  char  *warning;
} LoadResult;

static void
load_result_free (LoadResult *result)
{
  g_free (result->warning);
  g_free (result);
}

static void
pi_capture_session_dispose (GObject *object)
{
  PiCaptureSession *self = PI_CAPTURE_SESSION (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (pi_capture_session_parent_class)->dispose (object);
}

static void
pi_capture_session_finalize (GObject *object)
{
  PiCaptureSession *self = PI_CAPTURE_SESSION (object);

  g_clear_object (&self->file);
  g_clear_pointer (&self->info, pi_capture_info_free);

  G_OBJECT_CLASS (pi_capture_session_parent_class)->finalize (object);
}

static void
pi_capture_session_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PiCaptureSession *self = PI_CAPTURE_SESSION (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, pi_capture_session_get_loading (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_capture_session_class_init (PiCaptureSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_capture_session_dispose;
  object_class->finalize = pi_capture_session_finalize;
  object_class->get_property = pi_capture_session_get_property;

  /**
   * PiCaptureSession:loading:
   *
   * Whether the file is still being read.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_capture_session_init (PiCaptureSession *self)
{
}

/**
 * pi_capture_session_new:
 * @file: a capture, or the old web inspectors' download
 * @capacity: how many messages the store keeps (more if the file holds more,
 *   up to %PI_MESSAGE_STORE_MAX_CAPACITY)
 *
 * Returns: (transfer full): a session for @file, not read yet
 */
PiCaptureSession *
pi_capture_session_new (GFile *file,
                        guint  capacity)
{
  PiCaptureSession *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (PI_TYPE_CAPTURE_SESSION, NULL);
  self->file = g_object_ref (file);
  self->capacity = capacity;
  self->store = pi_message_store_new (CLAMP (capacity, 100, PI_MESSAGE_STORE_MAX_CAPACITY));

  return self;
}

GFile *
pi_capture_session_get_file (PiCaptureSession *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SESSION (self), NULL);

  return self->file;
}

/**
 * pi_capture_session_get_store:
 * @self: a #PiCaptureSession
 *
 * Returns: (transfer none): the store the capture's messages are read into
 */
PiMessageStore *
pi_capture_session_get_store (PiCaptureSession *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SESSION (self), NULL);

  return self->store;
}

/**
 * pi_capture_session_get_info:
 * @self: a #PiCaptureSession
 *
 * Returns: (transfer none) (nullable): the capture's header, once read
 */
PiCaptureInfo *
pi_capture_session_get_info (PiCaptureSession *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SESSION (self), NULL);

  return self->info;
}

gboolean
pi_capture_session_get_loading (PiCaptureSession *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SESSION (self), FALSE);

  return self->info == NULL;
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PiCaptureSession *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autofree char *warning = NULL;
  GError *error = NULL;
  LoadResult *loaded;
  gint64 start;
  guint capacity;

  if (!(messages = pi_capture_load_finish (self->file, result, &info, &warning, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Room for the whole file, up to the store's limit. */
  capacity = MAX (self->capacity, messages->len);
  capacity = CLAMP (capacity, 100, PI_MESSAGE_STORE_MAX_CAPACITY);
  pi_message_store_set_capacity (self->store, capacity);
  self->info = g_steal_pointer (&info);
  start = g_get_monotonic_time ();
  pi_message_store_append (self->store, (PiMessage **) messages->pdata, messages->len);
  g_debug ("Read %u messages from a capture; listing them took %.0f ms",
           messages->len, (g_get_monotonic_time () - start) / 1000.0);

  loaded = g_new0 (LoadResult, 1);
  loaded->n_read = messages->len;
  loaded->warning = g_steal_pointer (&warning);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_task_return_pointer (task, loaded, (GDestroyNotify) load_result_free);
}

/**
 * pi_capture_session_load_async:
 * @self: a #PiCaptureSession
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the file is read into the store, or could not be
 * @user_data: data for @callback
 *
 * Reads the file in a thread, then fills the store in one change.
 */
void
pi_capture_session_load_async (PiCaptureSession    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PI_IS_CAPTURE_SESSION (self));
  g_return_if_fail (self->info == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_capture_session_load_async);
  pi_capture_load_async (self->file, cancellable, on_loaded, task);
}

/**
 * pi_capture_session_load_finish:
 * @self: a #PiCaptureSession
 * @result: the result given to the callback
 * @n_read: (out) (optional): how many messages the file held (more than the
 *   store keeps if it exceeded %PI_MESSAGE_STORE_MAX_CAPACITY)
 * @warning: (out) (optional) (transfer full) (nullable): what the reader
 *   skipped, in words
 * @error: return location for a #GError
 *
 * Returns: whether the file was read; a cancelled load fails with
 *   %G_IO_ERROR_CANCELLED
 */
gboolean
pi_capture_session_load_finish (PiCaptureSession  *self,
                                GAsyncResult      *result,
                                guint             *n_read,
                                char             **warning,
                                GError           **error)
{
  LoadResult *loaded;

  g_return_val_if_fail (PI_IS_CAPTURE_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!(loaded = g_task_propagate_pointer (G_TASK (result), error)))
    return FALSE;

  if (n_read != NULL)
    *n_read = loaded->n_read;
  if (warning != NULL)
    *warning = g_steal_pointer (&loaded->warning);
  load_result_free (loaded);

  return TRUE;
}
