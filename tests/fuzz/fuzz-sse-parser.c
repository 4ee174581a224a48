/* fuzz-sse-parser.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-sse-parser.h"

#include "fuzz-common.h"

/*
 * Oracle: the events of a stream must not depend on where reads end. The
 * input is parsed in one push, then again split at points drawn from the
 * input itself (random slices, and byte by byte for short inputs); every
 * way must give the same events, the same last event ID and retry time,
 * and the same success or "event too large" failure. Each event must also
 * be what the header promises: data_len bytes of UTF-8 (NUL included),
 * NUL-terminated after them.
 */

typedef struct
{
  GString *log;
  guint    n_events;
} Events;

static void
collect_event (const PiSseEvent *event,
               gpointer          user_data)
{
  Events *events = user_data;

  FUZZ_CHECK (event->event != NULL && event->data != NULL && event->id != NULL);
  FUZZ_CHECK (event->event[0] != '\0');
  /* NUL is a character like any other in event data (the parser keeps it);
   * the text is still NUL-terminated after data_len bytes. */
  FUZZ_CHECK (event->data[event->data_len] == '\0');
  for (const char *p = event->data, *end = event->data + event->data_len; p < end; p++)
    {
      const char *nul = memchr (p, '\0', end - p);

      FUZZ_CHECK (g_utf8_validate (p, (nul ? nul : end) - p, NULL));
      if (nul == NULL)
        break;
      p = nul;
    }
  FUZZ_CHECK (g_utf8_validate (event->event, -1, NULL));
  FUZZ_CHECK (g_utf8_validate (event->id, -1, NULL));

  /* Lengths first, so that no content can fake a field boundary. */
  g_string_append_printf (events->log, "%zu:%s|%zu:", strlen (event->event), event->event,
                          event->data_len);
  g_string_append_len (events->log, event->data, event->data_len);
  g_string_append_printf (events->log, "|%zu:%s\n", strlen (event->id), event->id);
  events->n_events++;
}

typedef struct
{
  char     *log;      /* may hold NUL: compare log_len bytes */
  gsize     log_len;
  char     *last_id;
  gint64    retry;
  gboolean  ok;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_free (outcome->log);
  g_free (outcome->last_id);
}

/* Pushes @data in slices of the given lengths (the last one takes the
 * rest); each slice length 0 means one byte. */
static void
parse (const uint8_t *data,
       size_t         size,
       gsize          max_event_size,
       FuzzRand      *rand,
       guint          max_slice,
       Outcome       *outcome)
{
  Events events = { g_string_new (NULL), 0 };
  PiSseParser *parser = pi_sse_parser_new (max_event_size, collect_event, &events);
  size_t offset = 0;

  outcome->ok = TRUE;
  while (outcome->ok && offset < size)
    {
      size_t n = size - offset;
      GError *error = NULL;

      if (max_slice > 0)
        {
          /* Not inside MIN(), which would draw twice. */
          size_t slice = 1 + fuzz_rand_below (rand, max_slice);

          n = MIN (n, slice);
        }

      outcome->ok = pi_sse_parser_push (parser, (const char *) data + offset, n, &error);
      FUZZ_CHECK (outcome->ok == (error == NULL));
      if (error != NULL)
        {
          FUZZ_CHECK (g_error_matches (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE));
          g_error_free (error);
        }
      offset += n;
    }

  /* Nothing is dispatched by finish(): an unfinished event is dropped. */
  if (outcome->ok)
    {
      guint before = events.n_events;

      pi_sse_parser_finish (parser);
      FUZZ_CHECK (events.n_events == before);
    }

  outcome->last_id = g_strdup (pi_sse_parser_get_last_event_id (parser));
  outcome->retry = pi_sse_parser_get_retry (parser);

  /* A reset parser is as good as new, whatever it went through. */
  {
    gsize len = events.log->len;

    pi_sse_parser_reset (parser);
    FUZZ_CHECK (pi_sse_parser_get_retry (parser) == -1);
    FUZZ_CHECK (strcmp (pi_sse_parser_get_last_event_id (parser), "") == 0);
    /* "data: x" is 7 bytes: it fits any limit from 7 up. */
    if (max_event_size == 0 || max_event_size >= 7)
      {
        FUZZ_CHECK (pi_sse_parser_push (parser, "data: x\n\n", 9, NULL));
        FUZZ_CHECK (strcmp (events.log->str + len, "7:message|1:x|0:\n") == 0);
      }
    g_string_truncate (events.log, len);
  }

  outcome->log_len = events.log->len;
  outcome->log = g_string_free (events.log, FALSE);
  pi_sse_parser_free (parser);
}

static void
check_same (const Outcome *whole,
            const Outcome *split)
{
  FUZZ_CHECK (whole->ok == split->ok);
  FUZZ_CHECK (whole->log_len == split->log_len);
  FUZZ_CHECK (memcmp (whole->log, split->log, whole->log_len) == 0);
  /* After a failure the parser stops mid-stream, where the splits differ. */
  if (whole->ok)
    {
      FUZZ_CHECK (strcmp (whole->last_id, split->last_id) == 0);
      FUZZ_CHECK (whole->retry == split->retry);
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_glib ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzRand rand;
  /* The default limit, and a small one that the fuzzer can reach. */
  gsize limits[2] = { 0, 0 };

  fuzz_rand_init (&rand, data, size);
  limits[1] = 1 + fuzz_rand_below (&rand, 200);

  for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
    {
      Outcome whole = { 0 };

      parse (data, size, limits[l], &rand, 0, &whole);

      for (guint round = 0; round < 3; round++)
        {
          Outcome split = { 0 };
          guint max_slice = round == 0 ? 1 : round == 1 ? 8 : 1 + size / 2;

          /* Byte by byte costs a push per byte: only for short inputs. */
          if (round == 0 && size > 4096)
            continue;
          parse (data, size, limits[l], &rand, max_slice, &split);
          check_same (&whole, &split);
          outcome_clear (&split);
        }

      outcome_clear (&whole);
    }

  return 0;
}
