/* pi-test-keyring.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "pi-test-keyring.h"

#define KEYRING_FILE "keyring"

/**
 * pi_test_keyring_use_own:
 *
 * Points libsecret at a keyring of the test's own, never the user's: its
 * file backend (what a Flatpak without the Secret portal uses), in a new
 * temporary directory. Call before anything talks to the keyring.
 *
 * Returns: (transfer full): the directory, for pi_test_keyring_remove()
 */
char *
pi_test_keyring_use_own (void)
{
  char *dir = g_dir_make_tmp ("pi-test-keyring-XXXXXX", NULL);
  g_autofree char *keyring = NULL;

  g_assert_nonnull (dir);
  keyring = g_build_filename (dir, KEYRING_FILE, NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);

  return dir;
}

/* Removes the keyring of pi_test_keyring_use_own() and its directory. */
void
pi_test_keyring_remove (const char *dir)
{
  g_autofree char *keyring = g_build_filename (dir, KEYRING_FILE, NULL);

  g_unlink (keyring);
  g_rmdir (dir);
}
