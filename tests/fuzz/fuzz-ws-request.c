/* fuzz-ws-request.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-ws-request.h"

#include "fuzz-common.h"

/*
 * A text frame from a client of /subscription/raw or /subscription/named
 * (pi_ws_request_parse()): the first byte picks the endpoint. Checks that
 * a request or an error comes back, never both; that a subscribe holds 1
 * to 100 valid bindings; and that an error has a message for the client.
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
  g_autoptr(PiWsRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  PiWsEndpoint endpoint;

  if (size == 0)
    return 0;

  endpoint = (data[0] & 1) ? PI_WS_ENDPOINT_NAMED : PI_WS_ENDPOINT_RAW;
  request = pi_ws_request_parse (endpoint, (const char *) data + 1, size - 1, &error);

  FUZZ_CHECK ((request == NULL) == (error != NULL));
  if (error != NULL)
    {
      FUZZ_CHECK (error->domain == PI_WS_REQUEST_ERROR);
      FUZZ_CHECK (error->message != NULL && error->message[0] != '\0');
      return 0;
    }

  switch (request->type)
    {
    case PI_WS_REQUEST_SUBSCRIBE:
      FUZZ_CHECK (request->bindings != NULL);
      FUZZ_CHECK (request->bindings->len >= 1 && request->bindings->len <= PI_WS_MAX_BINDINGS);
      for (guint i = 0; i < request->bindings->len; i++)
        FUZZ_CHECK (pi_binding_validate (g_ptr_array_index (request->bindings, i), NULL));
      break;
    case PI_WS_REQUEST_UNSUBSCRIBE:
      FUZZ_CHECK (request->subscription_id != NULL);
      break;
    case PI_WS_REQUEST_INIT:
      break;
    default:
      FUZZ_CHECK (FALSE);
    }

  return 0;
}
