/* pi-test-keyring.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *pi_test_keyring_use_own (void);
void  pi_test_keyring_remove  (const char *dir);

G_END_DECLS
