/* pi-message-raw.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-raw"

#include <glib/gi18n.h>
#include <string.h>

#include "pi-message-raw.h"
#include "pi-payload-tree.h"

/* The Raw page of the details: the message's text as received, monospace,
 * selectable, wrapped, in a read-only text view; a notice above it when a
 * line had to be shortened. */
struct _PiMessageRaw
{
  GtkWidget    parent_instance;

  /* Children */
  GtkWidget   *notice;
  GtkWidget   *scroller;
  GtkTextView *view;
};

G_DEFINE_FINAL_TYPE (PiMessageRaw, pi_message_raw, GTK_TYPE_WIDGET)

/* Bytes of one line the Raw page shows; see dup_display_text (). */
#define MAX_RAW_LINE 4096

/* Lines of the Raw page that get a hanging indent; see indent_wrapped_lines (). */
#define MAX_HANGING_INDENT_LINES 20000

/**
 * pi_message_raw_dup_message_text:
 * @message: a message that is not a gap or dropped entry
 *
 * Returns: (transfer full): what the Raw page shows and Copy Message
 *   copies: the message's text as received, laid out one member a line;
 *   text that is not JSON exactly as received
 */
char *
pi_message_raw_dup_message_text (PiMessage *message)
{
  const char *raw;

  g_return_val_if_fail (PI_IS_MESSAGE (message), NULL);

  raw = pi_message_get_raw (message);

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_UNDECODABLE)
    return g_strdup (raw);

  return pi_json_indent (raw, pi_message_get_size (message));
}

/* @text with every line longer than MAX_RAW_LINE cut short (at a
 * character boundary, with an ellipsis), made valid UTF-8 for the text
 * view. GtkTextView lays a line out as one paragraph: a line of a
 * megabyte (a long string value, or an undecodable message that is a
 * single line) would hold the main thread for many seconds. */
static char *
dup_display_text (const char *text,
                  gboolean   *shortened)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));
  const char *line = valid;

  *shortened = FALSE;

  while (*line != '\0')
    {
      const char *newline = strchr (line, '\n');
      const char *line_end = newline ? newline : line + strlen (line);

      if (line_end - line > MAX_RAW_LINE)
        {
          const char *cut = g_utf8_find_prev_char (line, line + MAX_RAW_LINE + 1);

          g_string_append_len (out, line, cut - line);
          g_string_append (out, "…");
          *shortened = TRUE;
        }
      else
        {
          g_string_append_len (out, line, line_end - line);
        }

      if (newline == NULL)
        break;
      g_string_append_c (out, '\n');
      line = newline + 1;
    }

  return g_string_free (out, FALSE);
}

/* A wrapped line of the Raw page continues under its own text, two
 * columns in, not at the left edge: each line gets a tag with a hanging
 * indent of its indentation plus two characters; the line's own spaces
 * still place its start, so a selection copies them. */
static void
indent_wrapped_lines (PiMessageRaw *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->view);
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);
  g_autoptr(PangoLayout) layout = NULL;
  int n_lines = gtk_text_buffer_get_line_count (buffer);
  int char_width;

  /* Tags for a hundred thousand lines take longer than the layout they
   * improve. */
  if (n_lines > MAX_HANGING_INDENT_LINES)
    return;

  /* The text view's own font, monospace. */
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->view), "0000000000");
  pango_layout_get_pixel_size (layout, &char_width, NULL);
  char_width /= 10;
  if (char_width <= 0)
    return;

  for (int line = 0; line < n_lines; line++)
    {
      GtkTextIter start, end;
      g_autofree char *name = NULL;
      GtkTextTag *tag;
      int spaces = 0;

      gtk_text_buffer_get_iter_at_line (buffer, &start, line);
      end = start;
      while (gtk_text_iter_get_char (&end) == ' ' && spaces < 2 * 64)
        {
          gtk_text_iter_forward_char (&end);
          spaces++;
        }
      if (gtk_text_iter_ends_line (&start))
        continue;

      name = g_strdup_printf ("hanging-%d-%d", spaces, char_width);
      if (!(tag = gtk_text_tag_table_lookup (table, name)))
        /* Pango's negative indent: the first line at the margin, the
         * lines it wraps into that much further right. */
        tag = gtk_text_buffer_create_tag (buffer, name,
                                          "indent", -(spaces + 2) * char_width,
                                          NULL);
      if (!gtk_text_iter_ends_line (&end))
        gtk_text_iter_forward_to_line_end (&end);
      gtk_text_buffer_apply_tag (buffer, tag, &start, &end);
    }
}

static void
pi_message_raw_dispose (GObject *object)
{
  PiMessageRaw *self = (PiMessageRaw *)object;

  g_clear_pointer (&self->notice, gtk_widget_unparent);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  self->view = NULL;

  G_OBJECT_CLASS (pi_message_raw_parent_class)->dispose (object);
}

static void
pi_message_raw_class_init (PiMessageRawClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_message_raw_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pimessageraw");
}

static void
pi_message_raw_init (PiMessageRaw *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  /* Only when a line was too long to lay out quickly. */
  self->notice = g_object_new (GTK_TYPE_LABEL,
                               "visible", FALSE,
                               "label", _("Lines longer than 4096 bytes are shortened here. Copy Message copies the whole text."),
                               "wrap", TRUE,
                               "xalign", 0.0f,
                               "margin-start", 12,
                               "margin-end", 12,
                               "margin-top", 6,
                               "margin-bottom", 6,
                               NULL);
  gtk_widget_add_css_class (self->notice, "dim-label");
  gtk_widget_add_css_class (self->notice, "caption");
  gtk_widget_set_parent (self->notice, GTK_WIDGET (self));

  self->view = g_object_new (GTK_TYPE_TEXT_VIEW,
                             "editable", FALSE,
                             "cursor-visible", FALSE,
                             "monospace", TRUE,
                             "wrap-mode", GTK_WRAP_WORD_CHAR,
                             "left-margin", 12,
                             "right-margin", 12,
                             "top-margin", 12,
                             "bottom-margin", 12,
                             NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Raw text of the message"),
                                  -1);

  self->scroller = g_object_new (GTK_TYPE_SCROLLED_WINDOW,
                                 "vexpand", TRUE,
                                 "hscrollbar-policy", GTK_POLICY_NEVER,
                                 "child", self->view,
                                 NULL);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
}

GtkWidget *
pi_message_raw_new (void)
{
  return g_object_new (PI_TYPE_MESSAGE_RAW, NULL);
}

/**
 * pi_message_raw_set_message:
 * @message: (nullable): a message that is not a gap or dropped entry, or
 *   %NULL for none
 *
 * Shows @message's text, made now.
 */
void
pi_message_raw_set_message (PiMessageRaw *self,
                            PiMessage    *message)
{
  GtkTextBuffer *buffer;
  g_autofree char *text = NULL;
  g_autofree char *display = NULL;
  gboolean shortened = FALSE;

  g_return_if_fail (PI_IS_MESSAGE_RAW (self));
  g_return_if_fail (!message || PI_IS_MESSAGE (message));

  buffer = gtk_text_view_get_buffer (self->view);

  if (message == NULL)
    {
      if (gtk_text_buffer_get_char_count (buffer) > 0)
        gtk_text_buffer_set_text (buffer, "", 0);
      gtk_widget_set_visible (self->notice, FALSE);
      return;
    }

  text = pi_message_raw_dup_message_text (message);
  display = dup_display_text (text, &shortened);
  gtk_text_buffer_set_text (buffer, display, -1);
  indent_wrapped_lines (self);
  gtk_widget_set_visible (self->notice, shortened);
}

/**
 * pi_message_raw_dup_text:
 *
 * Returns: (transfer full): the text shown
 */
char *
pi_message_raw_dup_text (PiMessageRaw *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter begin, end;

  g_return_val_if_fail (PI_IS_MESSAGE_RAW (self), NULL);

  buffer = gtk_text_view_get_buffer (self->view);
  gtk_text_buffer_get_bounds (buffer, &begin, &end);

  return gtk_text_buffer_get_text (buffer, &begin, &end, FALSE);
}

/**
 * pi_message_raw_get_notice:
 *
 * Returns: (transfer none): the notice that long lines are shortened
 *   (visible only then)
 */
GtkWidget *
pi_message_raw_get_notice (PiMessageRaw *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_RAW (self), NULL);

  return self->notice;
}
