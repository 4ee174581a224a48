/* pi-binding.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PI_BINDING_ERROR (pi_binding_error_quark ())

typedef enum
{
  PI_BINDING_ERROR_INVALID_EXCHANGE,
  PI_BINDING_ERROR_INVALID_PATTERN,
  PI_BINDING_ERROR_INVALID_JSON,     /* message is the protocol's exact text (docs/PROTOCOL.md 2) */
  PI_BINDING_ERROR_INVALID_LINK,
} PiBindingError;

#define PI_BINDING_MAX_LENGTH 255

#define PI_TYPE_BINDING (pi_binding_get_type ())

G_DECLARE_FINAL_TYPE (PiBinding, pi_binding, PI, BINDING, GObject)

GQuark      pi_binding_error_quark          (void);
PiBinding  *pi_binding_new                  (const char   *exchange,
                                             const char   *routing_key_pattern);
PiBinding  *pi_binding_new_from_spec        (const char   *spec,
                                             GError      **error);
const char *pi_binding_get_exchange         (PiBinding    *self);
const char *pi_binding_get_routing_key_pattern (PiBinding *self);
void        pi_binding_set_exchange         (PiBinding    *self,
                                             const char   *exchange);
void        pi_binding_set_routing_key_pattern (PiBinding *self,
                                             const char   *pattern);
gboolean    pi_binding_get_enabled          (PiBinding    *self);
void        pi_binding_set_enabled          (PiBinding    *self,
                                             gboolean      enabled);
gboolean    pi_binding_equal                (PiBinding    *a,
                                             PiBinding    *b);
gboolean    pi_binding_validate             (PiBinding    *self,
                                             GError      **error);
gboolean    pi_binding_validate_exchange    (const char   *exchange,
                                             GError      **error);
gboolean    pi_binding_validate_pattern     (const char   *pattern,
                                             GError      **error);

/* Lists of bindings are GPtrArray of PiBinding, element-free-func g_object_unref. */
char       *pi_bindings_to_json             (GPtrArray    *bindings);
void        pi_bindings_append_json_array   (GString      *out,
                                             GPtrArray    *bindings);
char       *pi_bindings_to_query            (GPtrArray    *bindings);
GPtrArray  *pi_bindings_from_json           (const char   *json,
                                             GError      **error);
GPtrArray  *pi_bindings_from_share_link     (const char   *link,
                                             GError      **error);
char       *pi_bindings_to_share_link       (const char   *base_url,
                                             GPtrArray    *bindings);

G_END_DECLS
