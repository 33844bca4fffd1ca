/* pct-sign-in-dialog.c — signing in to the district's hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialog only gathers what signing in needs and shows how it went: it
 * emits ::sign-in and whoever owns the sync answers with set_busy() and
 * set_error(), or closes it once the hub has accepted the user.
 */

#define G_LOG_DOMAIN "pct-sign-in-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-file-chooser.h"
#include "pct-sign-in-dialog.h"

struct _PctSignInDialog
{
  AdwWindow        parent_instance;

  /* Template widgets */
  GtkStack        *button_stack;
  GtkWidget       *sign_in_button;
  GtkSpinner      *spinner;
  GtkRevealer     *error_revealer;
  GtkLabel        *error_label;
  AdwEntryRow     *server_row;
  AdwActionRow    *ca_row;
  GtkWidget       *ca_button;
  GtkWidget       *ca_clear_button;
  AdwEntryRow     *user_row;
  AdwEntryRow     *password_row;
  GtkSwitch       *remember_switch;

  char            *ca_file;
};

G_DEFINE_FINAL_TYPE (PctSignInDialog, pct_sign_in_dialog, ADW_TYPE_WINDOW)

enum {
  SIGN_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
server_is_valid (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static void
update_sensitivity (PctSignInDialog *self)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  gboolean server_ok = server_is_valid (server);

  /* Only the scheme is judged while typing; whether the server answers is
   * for the attempt to tell. */
  if (*server != '\0' && !server_ok)
    gtk_widget_add_css_class (GTK_WIDGET (self->server_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");

  gtk_widget_set_sensitive (self->sign_in_button,
                            server_ok &&
                            *gtk_editable_get_text (GTK_EDITABLE (self->user_row)) != '\0' &&
                            *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0');
}

static void
update_ca_row (PctSignInDialog *self)
{
  if (self->ca_file != NULL)
    {
      g_autofree char *name = g_path_get_basename (self->ca_file);
      adw_action_row_set_subtitle (self->ca_row, name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->ca_row), self->ca_file);
    }
  else
    {
      adw_action_row_set_subtitle (self->ca_row,
                                   _("Only the system’s trusted authorities"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->ca_row), NULL);
    }
  gtk_widget_set_visible (self->ca_clear_button, self->ca_file != NULL);
}

static void
entry_changed_cb (PctSignInDialog *self)
{
  update_sensitivity (self);
}

static void
cancel_clicked_cb (PctSignInDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
sign_in_clicked_cb (PctSignInDialog *self)
{
  if (!gtk_widget_get_sensitive (self->sign_in_button) ||
      g_str_equal (gtk_stack_get_visible_child_name (self->button_stack), "spinner"))
    return;

  pct_sign_in_dialog_set_error (self, NULL);
  g_signal_emit (self, signals[SIGN_IN], 0);
}

static void
ca_chosen_cb (PctSignInDialog      *self,
              int                   response,
              GtkFileChooserNative *chooser)
{
  g_autofree char *path = pct_file_chooser_get_path (chooser, response);

  if (path != NULL)
    {
      g_free (self->ca_file);
      self->ca_file = g_steal_pointer (&path);
      update_ca_row (self);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
ca_choose_clicked_cb (PctSignInDialog *self)
{
  static const char * const patterns[] = { "*.pem", "*.crt", "*.PEM", "*.CRT", NULL };
  GtkFileChooserNative *chooser;

  chooser = pct_file_chooser_new_open (GTK_WINDOW (self), _("Choose the Hub’s Certificate Authority"),
                                       _("PEM Certificates"), patterns, self->ca_file);
  g_signal_connect_object (chooser, "response", G_CALLBACK (ca_chosen_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
ca_clear_clicked_cb (PctSignInDialog *self)
{
  g_clear_pointer (&self->ca_file, g_free);
  update_ca_row (self);
}

static void
pct_sign_in_dialog_finalize (GObject *object)
{
  PctSignInDialog *self = PCT_SIGN_IN_DIALOG (object);

  g_free (self->ca_file);

  G_OBJECT_CLASS (pct_sign_in_dialog_parent_class)->finalize (object);
}

static void
pct_sign_in_dialog_class_init (PctSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = pct_sign_in_dialog_finalize;

  /**
   * PctSignInDialog::sign-in:
   *
   * The user asked to sign in with what the dialog holds.
   */
  signals[SIGN_IN] = g_signal_new ("sign-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, button_stack);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, ca_row);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, ca_button);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, PctSignInDialog, remember_switch);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_clear_clicked_cb);
}

static void
pct_sign_in_dialog_init (PctSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_ca_row (self);
}

PctSignInDialog *
pct_sign_in_dialog_new (GtkWindow  *parent,
                        const char *server,
                        const char *ca_file,
                        const char *user)
{
  PctSignInDialog *self = g_object_new (PCT_TYPE_SIGN_IN_DIALOG,
                                        "transient-for", parent,
                                        NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server != NULL ? server : "https://");
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user != NULL ? user : "");
  self->ca_file = ca_file != NULL && *ca_file != '\0' ? g_strdup (ca_file) : NULL;
  update_ca_row (self);
  update_sensitivity (self);

  /* Focus goes to the first thing still to fill in. */
  if (server != NULL && user != NULL && *user != '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else if (server != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->user_row));

  return self;
}

const char *
pct_sign_in_dialog_get_server (PctSignInDialog *self)
{
  g_return_val_if_fail (PCT_IS_SIGN_IN_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->server_row));
}

const char *
pct_sign_in_dialog_get_ca_file (PctSignInDialog *self)
{
  g_return_val_if_fail (PCT_IS_SIGN_IN_DIALOG (self), NULL);
  return self->ca_file;
}

const char *
pct_sign_in_dialog_get_user (PctSignInDialog *self)
{
  g_return_val_if_fail (PCT_IS_SIGN_IN_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->user_row));
}

const char *
pct_sign_in_dialog_get_password (PctSignInDialog *self)
{
  g_return_val_if_fail (PCT_IS_SIGN_IN_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
}

gboolean
pct_sign_in_dialog_get_remember (PctSignInDialog *self)
{
  g_return_val_if_fail (PCT_IS_SIGN_IN_DIALOG (self), FALSE);
  return gtk_switch_get_active (self->remember_switch);
}

void
pct_sign_in_dialog_set_busy (PctSignInDialog *self,
                             gboolean         busy)
{
  GtkEditable *entries[] = {
    GTK_EDITABLE (self->server_row), GTK_EDITABLE (self->user_row),
    GTK_EDITABLE (self->password_row),
  };

  g_return_if_fail (PCT_IS_SIGN_IN_DIALOG (self));

  /* Read-only rather than insensitive: an entry made insensitive while it
   * has the focus loses it without being told. */
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    gtk_editable_set_editable (entries[i], !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->ca_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remember_switch), !busy);
  gtk_stack_set_visible_child_name (self->button_stack, busy ? "spinner" : "button");
  gtk_spinner_set_spinning (self->spinner, busy);
}

void
pct_sign_in_dialog_set_error (PctSignInDialog *self,
                              const char      *message)
{
  g_return_if_fail (PCT_IS_SIGN_IN_DIALOG (self));

  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
  if (message != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}
