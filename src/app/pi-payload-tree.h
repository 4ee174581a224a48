/* pi-payload-tree.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PI_TYPE_JSON_ITEM (pi_json_item_get_type ())

G_DECLARE_FINAL_TYPE (PiJsonItem, pi_json_item, PI, JSON_ITEM, GObject)

PiJsonItem *pi_json_item_new              (const char *key,
                                           const char *path,
                                           JsonNode   *node);
const char *pi_json_item_get_key          (PiJsonItem *self);
const char *pi_json_item_get_value        (PiJsonItem *self);
const char *pi_json_item_get_type_name    (PiJsonItem *self);
const char *pi_json_item_get_type_label   (PiJsonItem *self);
const char *pi_json_item_get_path         (PiJsonItem *self);
GListModel *pi_json_item_create_children  (PiJsonItem *self);
char       *pi_json_item_dup_value_text   (PiJsonItem *self);

GListModel *pi_payload_tree_new_root      (JsonNode   *payload);
char       *pi_json_path_append_member    (const char *parent_path,
                                           const char *member);
char       *pi_json_path_append_index     (const char *parent_path,
                                           guint       index);
char       *pi_json_indent                (const char *text,
                                           gssize      len);

char      **pi_payload_tree_value_css_classes    (GtkListItem *list_item,
                                                 const char  *type_name);
char       *pi_payload_tree_value_tooltip        (GtkListItem *list_item,
                                                 GObject     *object);
void        pi_payload_tree_value_tooltip_changed (GtkWidget  *label,
                                                  GParamSpec *pspec,
                                                  gpointer    user_data);

G_END_DECLS
