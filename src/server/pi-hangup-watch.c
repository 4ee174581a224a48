/* pi-hangup-watch.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "pi-hangup-watch.h"

/*
 * Tells when the peers of many sockets hang up, while nothing reads them:
 * libsoup does not read while it writes a response, so a client that
 * hangs up would only be noticed on a later write.
 *
 * One source for every socket, not one each: GLib's main loop prepares,
 * polls and checks every source on every iteration, which with 10,000
 * idle streams was most of the server's CPU. The sockets are in one epoll
 * set, and the main loop polls only its descriptor.
 */

struct _PiHangupWatch
{
  PiHangupFunc  func;
  int           epoll;
  GSource      *source;
  GHashTable   *data;   /* fd -> the caller's data, of every watched socket */
};

/* Peeks at @fd: EOF (or an error) means its peer is gone. */
static void
check (PiHangupWatch *watch,
       int            fd,
       gpointer       data)
{
  char byte;
  gssize n;

  n = recv (fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;

  pi_hangup_watch_remove (watch, fd);

  if (n > 0)
    watch->func (data, PI_HANGUP_DATA);
  else
    watch->func (data, n == 0 ? PI_HANGUP_HALF_CLOSED : PI_HANGUP_RESET);
}

static gboolean
ready_cb (int           fd,
          GIOCondition  condition,
          gpointer      user_data)
{
  PiHangupWatch *watch = user_data;
  struct epoll_event events[256];
  int n = epoll_wait (fd, events, G_N_ELEMENTS (events), 0);

  /* The callback must not free what another event of the batch names
   * (PiServerClient closes its stream on a later turn). */
  for (int i = 0; i < n; i++)
    {
      gpointer data;

      if (g_hash_table_lookup_extended (watch->data, GINT_TO_POINTER (events[i].data.fd), NULL, &data))
        check (watch, events[i].data.fd, data);
    }

  return G_SOURCE_CONTINUE;
}

/**
 * pi_hangup_watch_new:
 * @func: called with a socket's data once its peer hung up (or sent
 *   something, after which it is no longer watched either)
 * @error: why the sockets cannot be watched
 *
 * Returns: (transfer full) (nullable): a watch, attached to the thread-default
 *   main context
 */
PiHangupWatch *
pi_hangup_watch_new (PiHangupFunc   func,
                     GError       **error)
{
  PiHangupWatch *watch;
  int fd;

  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = epoll_create1 (EPOLL_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "epoll: %s", g_strerror (saved));
      return NULL;
    }

  watch = g_new0 (PiHangupWatch, 1);
  watch->func = func;
  watch->epoll = fd;
  watch->data = g_hash_table_new (NULL, NULL);
  watch->source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (watch->source, G_SOURCE_FUNC (ready_cb), watch, NULL);
  g_source_set_static_name (watch->source, "[pi] client hangups");
  g_source_attach (watch->source, g_main_context_get_thread_default ());

  return watch;
}

/**
 * pi_hangup_watch_add:
 * @watch: a watch
 * @fd: a connected socket; watched until removed, reported, or closed
 * @data: given to the watch's function
 * @error: why @fd is not watched
 *
 * Returns: whether @fd is watched now
 */
gboolean
pi_hangup_watch_add (PiHangupWatch  *watch,
                     int             fd,
                     gpointer        data,
                     GError        **error)
{
  struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };

  g_return_val_if_fail (watch != NULL, FALSE);
  g_return_val_if_fail (fd >= 0, FALSE);

  if (epoll_ctl (watch->epoll, EPOLL_CTL_ADD, fd, &event) != 0)
    {
      int saved = errno;

      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved), g_strerror (saved));
      return FALSE;
    }

  g_hash_table_insert (watch->data, GINT_TO_POINTER (fd), data);
  return TRUE;
}

/**
 * pi_hangup_watch_remove:
 * @watch: a watch
 * @fd: a socket pi_hangup_watch_add() watches, before it is closed (its
 *   number may be another socket's then)
 *
 * Stops watching @fd; its data is not reported any more.
 */
void
pi_hangup_watch_remove (PiHangupWatch *watch,
                        int            fd)
{
  g_return_if_fail (watch != NULL);

  if (g_hash_table_remove (watch->data, GINT_TO_POINTER (fd)))
    epoll_ctl (watch->epoll, EPOLL_CTL_DEL, fd, NULL);
}

void
pi_hangup_watch_free (PiHangupWatch *watch)
{
  if (watch == NULL)
    return;

  g_source_destroy (watch->source);
  g_source_unref (watch->source);
  close (watch->epoll);
  g_hash_table_unref (watch->data);
  g_free (watch);
}
