/* fuzz-tc-graphql.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-tc-frame.h"

#include "fuzz-common.h"

/*
 * Oracle for the frames of the graphql-ws protocol: any bytes either fail with an
 * error in words or give a frame whose type name is UTF-8 and whose
 * message (for data) lies inside the input and becomes a PiMessage.
 */

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
  const char *text = (const char *) data;
  g_autoptr(GError) error = NULL;
  PiTcFrame frame;

  if (!pi_tc_frame_parse_graphql (text, size, &frame, &error))
    {
      FUZZ_CHECK (error != NULL && error->message[0] != '\0');
      pi_tc_frame_clear (&frame);
      return 0;
    }

  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (frame.type_name != NULL && g_utf8_validate (frame.type_name, -1, NULL));
  if (frame.type == PI_TC_FRAME_DATA)
    {
      g_autoptr(PiMessage) message = NULL;

      FUZZ_CHECK (frame.message >= text && frame.message + frame.message_len <= text + size);
      FUZZ_CHECK (frame.message_len >= 2 && frame.message[0] == '{');
      message = pi_message_new_from_tc_data (&frame, 1, 0);
      FUZZ_CHECK (message != NULL);
    }
  if (frame.text != NULL)
    FUZZ_CHECK (g_utf8_validate (frame.text, -1, NULL));
  pi_tc_frame_clear (&frame);
  return 0;
}
