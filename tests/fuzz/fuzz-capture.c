/* fuzz-capture.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "pi-binding.h"
#include "pi-capture.h"

#include "fuzz-common.h"

/*
 * Oracle for the capture reader (pi-capture-reader.c, pi-capture-parse.c),
 * the input being the file opened: what it reads, written again by the
 * capture writer and read back, gives the same header and the same
 * messages (kind, number, time, exchange, routing key, routes, redelivered
 * flag, payload, raw text of the undecodable, reason of a gap). A warning
 * is for people: it must be UTF-8 text.
 */

static char *scratch_dir;
static char *input_path;
static char *again_path;

static void
remove_scratch (void)
{
  g_unlink (input_path);
  g_unlink (again_path);
  g_rmdir (scratch_dir);
}

static void
write_file (const char *path,
            const void *data,
            gsize       size)
{
  FILE *file = fopen (path, "wb");

  FUZZ_CHECK (file != NULL);
  FUZZ_CHECK (size == 0 || fwrite (data, 1, size, file) == size);
  FUZZ_CHECK (fclose (file) == 0);
}

static GPtrArray *
load (const char     *path,
      PiCaptureInfo **info)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  GPtrArray *messages;

  messages = pi_capture_load (file, info, &warning, NULL, &error);
  FUZZ_CHECK ((messages == NULL) == (error != NULL));
  if (messages == NULL)
    {
      FUZZ_CHECK (*info == NULL && warning == NULL);
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
      return NULL;
    }
  FUZZ_CHECK (*info != NULL);
  FUZZ_CHECK (warning == NULL || g_utf8_validate (warning, -1, NULL));
  return messages;
}

/* The payload as the writer puts it on its line: line ends as spaces. */
static char *
payload_one_line (PiMessage *message)
{
  gsize len;
  const char *payload = pi_message_get_payload_text (message, &len);
  char *copy;

  if (payload == NULL)
    return NULL;
  copy = g_strndup (payload, len);
  FUZZ_CHECK (strlen (copy) == len);
  g_strdelimit (copy, "\r\n", ' ');
  return copy;
}

static void
check_same_message (PiMessage *a,
                    PiMessage *b)
{
  PiMessageKind kind = pi_message_get_kind (a);
  g_autofree char *payload_a = payload_one_line (a);
  g_autofree char *payload_b = payload_one_line (b);
  const char * const *routes_a = pi_message_get_routes (a);
  const char * const *routes_b = pi_message_get_routes (b);

  FUZZ_CHECK (pi_message_get_kind (b) == kind);
  FUZZ_CHECK (pi_message_get_sequence (a) == pi_message_get_sequence (b));
  FUZZ_CHECK (pi_message_get_time_received (a) == pi_message_get_time_received (b));
  FUZZ_CHECK (strcmp (pi_message_get_exchange (a), pi_message_get_exchange (b)) == 0);
  FUZZ_CHECK (strcmp (pi_message_get_routing_key (a), pi_message_get_routing_key (b)) == 0);
  FUZZ_CHECK (pi_message_get_redelivered (a) == pi_message_get_redelivered (b));
  FUZZ_CHECK (g_strv_equal ((const char * const *) routes_a, routes_b));
  FUZZ_CHECK (g_strcmp0 (payload_a, payload_b) == 0);
  FUZZ_CHECK (g_strcmp0 (pi_message_get_error (a), pi_message_get_error (b)) == 0);

  if (kind == PI_MESSAGE_KIND_UNDECODABLE)
    {
      FUZZ_CHECK (pi_message_get_size (a) == pi_message_get_size (b));
      FUZZ_CHECK (memcmp (pi_message_get_raw (a), pi_message_get_raw (b), pi_message_get_size (a)) == 0);
    }
}

static void
check_same_info (PiCaptureInfo *a,
                 PiCaptureInfo *b)
{
  GPtrArray *bindings_a = pi_capture_info_get_bindings (a);
  GPtrArray *bindings_b = pi_capture_info_get_bindings (b);

  FUZZ_CHECK (g_strcmp0 (pi_capture_info_get_server_url (a), pi_capture_info_get_server_url (b)) == 0);
  FUZZ_CHECK (g_date_time_equal (pi_capture_info_get_started (a), pi_capture_info_get_started (b)));
  FUZZ_CHECK (bindings_a->len == bindings_b->len);
  for (guint i = 0; i < bindings_a->len; i++)
    FUZZ_CHECK (pi_binding_equal (bindings_a->pdata[i], bindings_b->pdata[i]));
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_glib ();

  scratch_dir = g_dir_make_tmp ("fuzz-capture-XXXXXX", NULL);
  FUZZ_CHECK (scratch_dir != NULL);
  input_path = g_build_filename (scratch_dir, "input.jsonl", NULL);
  again_path = g_build_filename (scratch_dir, "again.jsonl", NULL);
  atexit (remove_scratch);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autoptr(PiCaptureInfo) again_info = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *header = NULL;

  write_file (input_path, data, size);
  messages = load (input_path, &info);
  if (messages == NULL)
    return 0;

  header = pi_capture_format_header (info);
  out = g_string_new (header);
  for (guint i = 0; i < messages->len; i++)
    {
      g_autofree char *line = pi_capture_format_message (messages->pdata[i]);

      g_string_append (out, line);
    }
  write_file (again_path, out->str, out->len);

  again = load (again_path, &again_info);
  if (again == NULL)
    fprintf (stderr, "written again:\n%s\n", out->str);
  FUZZ_CHECK (again != NULL);
  check_same_info (info, again_info);
  if (again->len != messages->len)
    fprintf (stderr, "written again:\n%s\n", out->str);
  FUZZ_CHECK (again->len == messages->len);
  for (guint i = 0; i < messages->len; i++)
    check_same_message (messages->pdata[i], again->pdata[i]);

  return 0;
}
