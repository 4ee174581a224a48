/* fuzz-common.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

/* What every target shares: the libFuzzer entry points, and an oracle
 * failure that is a crash (libFuzzer keeps the input that caused it). */

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* g_assert() can be compiled out; the oracle must not be. */
#define FUZZ_CHECK(cond) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      { \
        fprintf (stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #cond); \
        abort (); \
      } \
  } G_STMT_END

/* A critical or a warning from GLib or from our code is a bug too (the
 * tests run with G_DEBUG=fatal-warnings for the same reason). */
static inline void
fuzz_init_glib (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv ("GIO_USE_VFS", "local", TRUE);
}

/* A small deterministic generator seeded from the input itself, so that a
 * crashing input replays the same choices. */
typedef struct
{
  guint64 state;
} FuzzRand;

static inline void
fuzz_rand_init (FuzzRand      *rand,
                const uint8_t *data,
                size_t         size)
{
  /* FNV-1a over the input. */
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (size_t i = 0; i < size; i++)
    {
      h ^= data[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  rand->state = h | 1;
}

static inline guint32
fuzz_rand_next (FuzzRand *rand)
{
  /* xorshift64* */
  rand->state ^= rand->state >> 12;
  rand->state ^= rand->state << 25;
  rand->state ^= rand->state >> 27;
  return (guint32) ((rand->state * G_GUINT64_CONSTANT (0x2545F4914F6CDD1D)) >> 32);
}

/* A number in [0, n). */
static inline guint32
fuzz_rand_below (FuzzRand *rand,
                 guint32   n)
{
  return n == 0 ? 0 : fuzz_rand_next (rand) % n;
}
