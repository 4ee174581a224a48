/* pulse-listen.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pulse-listen"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <termios.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "pi-amqp-client.h"
#include "pi-binding.h"
#include "pi-capture.h"
#include "pi-listen-writer.h"
#include "pi-source.h"

/* Exit codes: done, failure, usage. */
#define EXIT_DONE    0
#define EXIT_FAILED  1
#define EXIT_USAGE   2

typedef struct
{
  GMainLoop       *loop;
  PiSource   *stream;
  int              exit_code;

  guint64          count;      /* 0: no limit */
  guint64          printed;
  gboolean         server_error;
  gboolean         output_closed;

  PiListenWriter  *writer;

  PiCaptureWriter *capture;
  GOutputStream   *capture_stream;
  char            *capture_path;
} Listen;

static void
finish (Listen *self,
        int     exit_code)
{
  if (self->exit_code < 0)
    self->exit_code = exit_code;
  g_main_loop_quit (self->loop);
}

/* --- Output ------------------------------------------------------------------ */

static gboolean
flush_output (Listen *self)
{
  g_autoptr(GError) error = NULL;

  if (!pi_listen_writer_flush (self->writer, &error))
    {
      /* The reader went away (`| head`): that is the end, not a failure. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        finish (self, EXIT_DONE);
      else
        {
          g_printerr ("pulse-listen: %s: %s\n", _("Could not write the output"), error->message);
          finish (self, EXIT_FAILED);
        }
      self->output_closed = TRUE;
      return FALSE;
    }

  if (self->capture_stream != NULL &&
      !g_output_stream_flush (self->capture_stream, NULL, &error))
    {
      g_printerr ("pulse-listen: %s: %s\n", self->capture_path, error->message);
      finish (self, EXIT_FAILED);
      return FALSE;
    }

  return TRUE;
}

static void
on_messages (PiSource *stream,
             GPtrArray     *batch,
             Listen        *self)
{
  if (self->output_closed)
    return;

  for (guint i = 0; i < batch->len; i++)
    {
      PiMessage *message = g_ptr_array_index (batch, i);
      gboolean is_gap = pi_message_get_kind (message) == PI_MESSAGE_KIND_GAP ||
                        pi_message_get_kind (message) == PI_MESSAGE_KIND_DROPPED;

      if (self->count > 0 && self->printed >= self->count)
        break;

      pi_listen_writer_add_message (self->writer, message);
      if (!is_gap)
        self->printed++;

      if (self->capture != NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!pi_capture_writer_write (self->capture, message, &error))
            {
              g_printerr ("pulse-listen: %s: %s\n", self->capture_path, error->message);
              finish (self, EXIT_FAILED);
              break;
            }
        }
    }

  if (flush_output (self) && self->count > 0 && self->printed >= self->count)
    finish (self, EXIT_DONE);
}

static void
on_raw_events (PiSource *stream,
               GPtrArray     *batch,
               Listen        *self)
{
  if (self->output_closed)
    return;

  for (guint i = 0; i < batch->len; i++)
    {
      PiRawEvent *raw = g_ptr_array_index (batch, i);

      if (self->count > 0 && self->printed >= self->count)
        break;

      pi_listen_writer_add_raw_event (self->writer, raw);
      self->printed++;
    }

  if (flush_output (self) && self->count > 0 && self->printed >= self->count)
    finish (self, EXIT_DONE);
}

/* --- Status on stderr ------------------------------------------------------------ */

/* "REASON. NEXT": the reason (the server's own words, often) may end its
 * sentence already, with a question or an exclamation; then only a space
 * goes between. A trailing colon or comma gives way to the full stop. */
static char *
join_sentences (const char *reason,
                const char *next)
{
  g_autofree char *first = g_strstrip (g_strdup (reason ? reason : ""));
  gsize len = strlen (first);
  const char *last;
  gunichar c;

  if (len == 0)
    return g_strdup (next);

  last = g_utf8_find_prev_char (first, first + len);
  c = last != NULL ? g_utf8_get_char_validated (last, -1) : 0;

  switch (c)
    {
    case '.':
    case '?':
    case '!':
    case 0x2026:  /* … */
    case 0x203D:  /* ‽ */
    case 0x3002:  /* 。 */
    case 0xFF01:  /* ！ */
    case 0xFF1F:  /* ？ */
      return g_strdup_printf ("%s %s", first, next);

    case ':':
    case ';':
    case ',':
      first[len - 1] = '\0';
      if (g_strchomp (first)[0] == '\0')
        return g_strdup (next);
      break;

    default:
      break;
    }

  /* Translators: a reason that does not end its sentence, then the next
   * sentence, e.g. "The connection was lost. Reconnecting in 2 s…" */
  return g_strdup_printf (_("%s. %s"), first, next);
}

static void
on_state (PiSource *stream,
          GParamSpec    *pspec,
          Listen        *self)
{
  const char *text = pi_source_get_state_text (stream);
  const char *reason = pi_source_get_error_message (stream);

  switch (pi_source_get_state (stream))
    {
    case PI_STREAM_STATE_CONNECTING:
    case PI_STREAM_STATE_WAITING_FOR_READY:
    case PI_STREAM_STATE_LIVE:
      g_printerr ("pulse-listen: %s\n", text);
      break;

    case PI_STREAM_STATE_RECONNECTING:
      /* An error event after `ready` is retried: it is not the final word. */
      self->server_error = FALSE;
      {
        g_autofree char *line = join_sentences (reason, text);

        g_printerr ("pulse-listen: %s\n", line);
      }
      break;

    case PI_STREAM_STATE_FAILED:
      flush_output (self);
      if (self->server_error)
        g_printerr ("pulse-listen: %s %s\n", _("The server reported an error:"), reason ? reason : text);
      else
        g_printerr ("pulse-listen: %s\n", reason ? reason : text);
      finish (self, EXIT_FAILED);
      break;

    case PI_STREAM_STATE_DISCONNECTED:
    default:
      break;
    }
}

static void
on_server_error (PiSource *stream,
                 const char    *text,
                 Listen        *self)
{
  self->server_error = TRUE;
}

static gboolean
on_signal (gpointer user_data)
{
  Listen *self = user_data;

  /* Ctrl-C is how a user ends a listen: a clean, successful exit. */
  finish (self, EXIT_DONE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  Listen *self = user_data;

  finish (self, EXIT_DONE);
  return G_SOURCE_REMOVE;
}

/* --- Command line ------------------------------------------------------------------ */

/* One binding refused or ended while the others stream: said on stderr, not fatal. */
static void
on_binding_error (PiSource   *stream,
                  PiBinding  *binding,
                  const char *text,
                  gpointer    user_data)
{
  if (binding == NULL)
    return;
  /* Refused, or ended by the server (GraphQL `complete`): either way,
   * nothing more comes for it. */
  g_printerr ("pulse-listen: ");
  g_printerr (_("No messages for the binding %s=%s: %s"),
              pi_binding_get_exchange (binding), pi_binding_get_routing_key_pattern (binding), text);
  g_printerr ("\n");
}

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_printerr ("pulse-listen: %s\n", message);
  g_printerr (_("Try “pulse-listen --help” for examples.\n"));
  return EXIT_USAGE;
}

/* --- The broker's password ------------------------------------------------------ */

static struct termios saved_termios;
static gboolean       echo_off;

static void
restore_echo (void)
{
  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  echo_off = FALSE;
}

/* Ctrl-C at the prompt must not leave the terminal without echo. */
static void
on_prompt_signal (int signum)
{
  restore_echo ();
  signal (signum, SIG_DFL);
  raise (signum);
}

/* Reads a line from the terminal without showing it. */
static char *
prompt_password (const char *prompt)
{
  g_autoptr(GString) line = g_string_new (NULL);
  struct termios quiet;
  void (*old_int) (int);
  void (*old_term) (int);
  int c;

  if (tcgetattr (STDIN_FILENO, &saved_termios) != 0)
    return NULL;

  g_printerr ("%s", prompt);
  old_int = signal (SIGINT, on_prompt_signal);
  old_term = signal (SIGTERM, on_prompt_signal);
  quiet = saved_termios;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;

  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);

  restore_echo ();
  signal (SIGINT, old_int);
  signal (SIGTERM, old_term);
  /* The terminal showed the line end; a redirected stderr did not. */
  if (!isatty (STDERR_FILENO))
    g_printerr ("\n");

  if (c == EOF && line->len == 0)
    return NULL;
  return g_strdup (line->str);
}

/* PULSE_PASSWORD, or asked for on the terminal; never an argument, which
 * other users of the machine can read. */
static char *
get_broker_password (const char  *url,
                     GError     **error)
{
  g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse (url, NULL);
  const char *user = address != NULL ? address->user : "guest";
  const char *env = g_getenv ("PULSE_PASSWORD");

  if (env != NULL)
    return g_strdup (env);

  if (isatty (STDIN_FILENO))
    {
      g_autofree char *shown = address != NULL ? pi_amqp_address_to_string (address) : g_strdup (url);
      /* Translators: the prompt for the broker's password; %s is the
       * address with the user, e.g. amqps://someone@pulse.mozilla.org/ */
      g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), shown);
      char *password = prompt_password (prompt);

      if (password != NULL)
        return password;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("No password for the broker user “%s”: set the environment variable PULSE_PASSWORD, "
                 "or run pulse-listen on a terminal to be asked"), user);
  return NULL;
}

/* The AMQP library tells a server's log about each connection; here the
 * status lines say it already, in order with the rest. */
static void
quiet_log_handler (const char     *log_domain,
                   GLogLevelFlags  log_level,
                   const char     *message,
                   gpointer        user_data)
{
  const char *debug = g_getenv ("G_MESSAGES_DEBUG");

  if (debug != NULL && (strstr (debug, "all") != NULL || strstr (debug, log_domain) != NULL))
    g_log_default_handler (log_domain, log_level, message, user_data);
}

static gboolean
open_capture (Listen      *self,
              const char  *path,
              const char  *server_url,
              GPtrArray   *bindings,
              GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GFileOutputStream) file_stream = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;

  file_stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (file_stream == NULL)
    return FALSE;

  /* Buffered, flushed after each batch: whole lines reach the file at
   * least ~30 times a second without a system call per message. */
  self->capture_stream = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (file_stream), 256 * 1024);
  info = pi_capture_info_new (server_url, bindings, NULL);
  self->capture = pi_capture_writer_new (self->capture_stream, info, error);
  if (self->capture == NULL)
    return FALSE;

  return g_output_stream_flush (self->capture_stream, NULL, error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  g_autofree char *server = NULL;
  g_autofree char *root_url = NULL;
  g_autofree char *amqp = NULL;
  g_autofree char *password = NULL;
  g_autofree char *output = NULL;
  g_auto(GStrv) events = NULL;
  g_auto(GStrv) where = NULL;
  g_auto(GStrv) bind_specs = NULL;
  g_auto(GStrv) rest = NULL;
  gboolean raw = FALSE;
  gint64 count = 0;
  int timeout = 0;
  int ping_timeout = 0;
  gint64 queue_length = 0;
  Listen self = { 0 };
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server,
      N_("Events server: root URL, …/api/events/v1 base, or full connect URL"), N_("URL") },
    { "root-url", 0, 0, G_OPTION_ARG_STRING, &root_url,
      N_("Taskcluster deployment root URL (default: $TASKCLUSTER_ROOT_URL); WebSocket, GraphQL or events v1 as it serves"),
      N_("URL") },
    { "amqp", 0, 0, G_OPTION_ARG_STRING, &amqp,
      N_("Connect straight to a broker (Mozilla Pulse or any RabbitMQ): amqps://USER@HOST/; "
         "the password comes from $PULSE_PASSWORD or is asked for"),
      N_("URL") },
    { "queue-length", 0, 0, G_OPTION_ARG_INT64, &queue_length,
      N_("With --amqp: the most messages the broker keeps while this client is behind; "
         "past it the oldest are dropped and counted (default 1000)"),
      N_("N") },
    { "event", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &events,
      N_("Listen to the queue's named event (e.g. taskCompleted) instead of bindings; repeatable"), N_("NAME") },
    { "where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where,
      N_("With --event: only routing keys whose WORD is VALUE (e.g. taskGroupId=…); repeatable"), N_("WORD=VALUE") },
    { "bind", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &bind_specs,
      N_("Watch an exchange; PATTERN defaults to # (repeatable)"), N_("EXCHANGE=PATTERN") },
    { "raw", 'r', 0, G_OPTION_ARG_NONE, &raw,
      N_("Print every server-sent event as {\"event\",\"id\",\"data\"}"), NULL },
    { "count", 'n', 0, G_OPTION_ARG_INT64, &count,
      N_("Exit after N messages"), N_("N") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
      N_("Exit after S seconds"), N_("S") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_("Also save a capture that Pulse Inspector opens"), N_("FILE") },
    { "ping-timeout", 0, 0, G_OPTION_ARG_INT, &ping_timeout,
      N_("Reconnect after S seconds without data (default 60)"), N_("S") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, N_("[SHARE-LINK]") },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A closed stdout is reported by write(), not by a fatal signal. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    _("Listen to an events server and print each message as one JSON object per line.\n"
      "Status and errors go to stderr. Exit status: 0 done (count reached, timeout or\n"
      "Ctrl-C), 1 failure, 2 usage error."));
  g_option_context_set_description (context,
    _("Examples:\n"
      "  pulse-listen --server https://tc.example.com \\\n"
      "      --bind 'exchange/taskcluster-queue/v1/task-completed=route.index.project.#'\n"
      "  pulse-listen -s http://127.0.0.1:8080 -b exchange/taskcluster-queue/v1/task-failed \\\n"
      "      --count 10 --output failures.jsonl\n"
      "  pulse-listen -s https://tc.example.com \\\n"
      "      'https://tools.example.com/pulse-inspector?bindings%5B0%5D%5Bexchange%5D=…'\n"
      "  pulse-listen --raw -s http://localhost:3000/stream   # any SSE server\n"
      "  pulse-listen -s https://tc.example.com -b EXCHANGE | jq .payload\n"
      "  PULSE_PASSWORD=… pulse-listen --amqp amqps://USER@pulse.mozilla.org/ \\\n"
      "      -b exchange/taskcluster-queue/v1/task-completed   # Mozilla Pulse, no server\n"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);

  if (rest != NULL && g_strv_length (rest) > 1)
    return usage_error (context, _("Only one share link can be given"));
  if (count < 0)
    return usage_error (context, _("--count must be a positive number"));
  if (timeout < 0)
    return usage_error (context, _("--timeout must be a positive number of seconds"));
  if (ping_timeout < 0)
    return usage_error (context, _("--ping-timeout must be a positive number of seconds"));
  if (raw && output != NULL)
    return usage_error (context, _("--output saves messages; it cannot be used with --raw"));
  if (queue_length < 0 || queue_length > G_MAXINT32)
    return usage_error (context, _("--queue-length must be a positive number of messages"));
  if (server != NULL && pi_amqp_url_is_amqp (server) && amqp == NULL)
    amqp = g_steal_pointer (&server);
  if (amqp != NULL && (server != NULL || root_url != NULL))
    return usage_error (context, _("--amqp connects to a broker: it cannot be combined with --server or --root-url"));
  if (amqp != NULL && raw)
    return usage_error (context, _("--raw shows an events server's server-sent events; a broker has none"));
  if (amqp != NULL && events != NULL)
    return usage_error (context, _("--event needs a Taskcluster deployment's root URL; "
                                   "with --amqp, bind the service's exchanges instead"));
  if (amqp == NULL && queue_length > 0)
    return usage_error (context, _("--queue-length bounds a broker's queue: it needs --amqp"));

  if (bind_specs != NULL || rest != NULL)
    bindings = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; bind_specs != NULL && bind_specs[i] != NULL; i++)
    {
      PiBinding *binding = pi_binding_new_from_spec (bind_specs[i], &error);
      g_autofree char *message = NULL;

      if (binding == NULL)
        {
          message = g_strdup_printf (_("Bad --bind “%s”: %s"), bind_specs[i], error->message);
          return usage_error (context, message);
        }
      g_ptr_array_add (bindings, binding);
    }

  if (rest != NULL)
    {
      g_autoptr(GPtrArray) linked = pi_bindings_from_share_link (rest[0], &error);
      g_autofree char *message = NULL;

      if (linked == NULL)
        {
          message = g_strdup_printf (_("Cannot read the share link: %s"), error->message);
          return usage_error (context, message);
        }
      for (guint i = 0; i < linked->len; i++)
        {
          PiBinding *binding = g_ptr_array_index (linked, i);

          if (!pi_binding_validate (binding, &error))
            {
              message = g_strdup_printf (_("Bad binding in the share link: %s"), error->message);
              return usage_error (context, message);
            }
          g_ptr_array_add (bindings, g_object_ref (binding));
        }

      /* A connect URL carries its server too. */
      if (server == NULL && strstr (rest[0], "/connect") != NULL)
        server = g_strdup (rest[0]);
    }

  if (amqp != NULL)
    {
      g_autofree char *shown = pi_source_check_amqp_address (amqp, &error);

      if (shown == NULL)
        return usage_error (context, error->message);
      server = g_steal_pointer (&amqp);
    }
  if (server == NULL && root_url != NULL)
    server = g_strdup (root_url);
  if (server == NULL && g_getenv ("TASKCLUSTER_ROOT_URL") != NULL && *g_getenv ("TASKCLUSTER_ROOT_URL") != '\0')
    server = g_strdup (g_getenv ("TASKCLUSTER_ROOT_URL"));
  if (server == NULL)
    return usage_error (context, _("Which server? Give --server URL or --root-url URL"));
  if (events != NULL)
    {
      /* A named subscription is the server's: it is not added to
       * bindings, and events v1 has none (nothing would be subscribed). */
      if (bindings != NULL)
        return usage_error (context, _("--event cannot be combined with --bind or a share link: "
                                       "give either named events or bindings"));
      if (raw)
        return usage_error (context, _("--event cannot be combined with --raw: raw mode reads events v1, "
                                       "which has no named events"));
      if (pi_source_url_is_events_v1 (server))
        {
          g_autofree char *message =
            g_strdup_printf (_("Named events (--event) need a Taskcluster deployment's root URL; "
                               "“%s” is an events v1 address"), server);

          return usage_error (context, message);
        }
      bindings = g_ptr_array_new_with_free_func (g_object_unref);
    }
  if (bindings == NULL && !raw)
    return usage_error (context, _("Nothing to listen to: give --bind EXCHANGE=PATTERN or a share link"));

  if (pi_amqp_url_is_amqp (server))
    {
      g_log_set_handler ("pi-amqp", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet_log_handler, NULL);
      password = get_broker_password (server, &error);
      if (password == NULL)
        {
          g_printerr ("pulse-listen: %s\n", error->message);
          return EXIT_USAGE;
        }
    }
  else
    {
      g_autofree char *url = pi_source_derive_connect_url (server, bindings, &error);

      if (url == NULL)
        return usage_error (context, error->message);
    }

  self.exit_code = -1;
  self.count = (guint64) count;
  self.writer = pi_listen_writer_new (STDOUT_FILENO);
  self.loop = g_main_loop_new (NULL, FALSE);
  self.stream = pi_source_new ();

  pi_source_set_server_url (self.stream, server);
  pi_source_set_bindings (self.stream, bindings);
  pi_source_set_raw (self.stream, raw);
  if (events != NULL)
    pi_source_set_named_subscription (self.stream, "queue", (const char * const *) events,
                                      (const char * const *) where);
  if (g_getenv ("TASKCLUSTER_CLIENT_ID") != NULL && g_getenv ("TASKCLUSTER_ACCESS_TOKEN") != NULL)
    pi_source_set_credentials (self.stream, g_getenv ("TASKCLUSTER_CLIENT_ID"),
                               g_getenv ("TASKCLUSTER_ACCESS_TOKEN"));
  if (ping_timeout > 0)
    pi_source_set_ping_timeout (self.stream, ping_timeout);
  if (password != NULL)
    pi_source_set_password (self.stream, password);
  if (queue_length > 0)
    pi_source_set_queue_length (self.stream, (guint) queue_length);

  if (output != NULL)
    {
      self.capture_path = g_strdup (output);
      if (!open_capture (&self, output, server, bindings, &error))
        {
          g_printerr ("pulse-listen: %s: %s\n", output, error->message);
          return EXIT_FAILED;
        }
    }

  g_signal_connect (self.stream, "notify::state", G_CALLBACK (on_state), &self);
  g_signal_connect (self.stream, "messages", G_CALLBACK (on_messages), &self);
  g_signal_connect (self.stream, "raw-events", G_CALLBACK (on_raw_events), &self);
  g_signal_connect (self.stream, "server-error", G_CALLBACK (on_server_error), &self);
  g_signal_connect (self.stream, "binding-error", G_CALLBACK (on_binding_error), NULL);

  g_unix_signal_add (SIGINT, on_signal, &self);
  g_unix_signal_add (SIGTERM, on_signal, &self);
  if (timeout > 0)
    {
      /* g_timeout_add_seconds may fire up to a second early, and --timeout=1
       * must mean at least one second; for long runs that does not matter. */
      if (timeout <= 24 * 3600)
        g_timeout_add ((guint) timeout * 1000, on_timeout, &self);
      else
        g_timeout_add_seconds ((guint) timeout, on_timeout, &self);
    }

  /* The URL was checked above; a failure here is reported by on_state(). */
  if (pi_source_connect (self.stream, NULL))
    g_main_loop_run (self.loop);

  /* Stops the worker: no more batches; then keep what was received. */
  g_signal_handlers_disconnect_by_data (self.stream, &self);
  pi_source_disconnect (self.stream);
  flush_output (&self);

  if (self.capture != NULL)
    {
      g_autoptr(GError) close_error = NULL;

      if (!pi_capture_writer_close (self.capture, &close_error))
        {
          g_printerr ("pulse-listen: %s: %s\n", self.capture_path, close_error->message);
          self.exit_code = EXIT_FAILED;
        }
    }

  g_clear_pointer (&self.capture, pi_capture_writer_free);
  g_clear_object (&self.capture_stream);
  g_clear_object (&self.stream);
  g_clear_pointer (&self.loop, g_main_loop_unref);
  g_clear_pointer (&self.writer, pi_listen_writer_free);
  g_free (self.capture_path);

  return self.exit_code < 0 ? EXIT_DONE : self.exit_code;
}
