/* gui-test-common.h — what the display tests share: starting up, a
 * generated district, a window to test, waiting on the main loop, real
 * pointer input and reading back what was drawn
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pct-map-view.h"
#include "pct-store.h"
#include "pct-window.h"

G_BEGIN_DECLS

/* The longest any wait may take before the test fails. */
#define GUI_TEST_WAIT_SECONDS 60

/* A district as the generator makes it on 2026-01-01 00:00 +08:00. */
#define GUI_TEST_REFERENCE_TIME 1767196800

typedef gboolean (*GuiTestCondition)  (gpointer   user_data);
typedef void     (*GuiTestWindowFunc) (PctWindow *window);

/* Call first in main(), after setting any environment of the test's own.
 * FALSE when there is no display: main() then fails, it never skips. */
gboolean    gui_test_init                     (int                *argc,
                                               char             ***argv);
/* The icon theme and the MIME database live in the system data dirs,
 * which G_TEST_OPTION_ISOLATE_DIRS replaces. */
void        gui_test_restore_system_data_dirs (void);

/* Runs the main loop for about that long, bounded: with a slow renderer a
 * new frame is always pending. */
void        gui_test_iterate_for              (guint               milliseconds);
/* Until condition holds; fails after GUI_TEST_WAIT_SECONDS saying what it
 * waited for. */
void        gui_test_wait_until               (GuiTestCondition    condition,
                                               gpointer            user_data,
                                               const char         *what);
/* Until condition has held for five polls 20 ms apart: for states that
 * only look settled between two bursts of work. Returns the seconds it
 * took. */
double      gui_test_wait_quiet               (GuiTestCondition    condition,
                                               gpointer            user_data,
                                               const char         *what);
/* Until the view has a size and has drawn every tile it asked for. */
void        gui_test_wait_for_map             (PctMapView         *view);
/* Until the window has opened its store and read the district. */
void        gui_test_wait_for_store           (PctWindow          *window);

/* A small district in a new temporary folder; returns its path. */
char       *gui_test_generate_district        (guint32             seed,
                                               gint64              reference_time);
/* Removes the district's folder and every file in it. */
void        gui_test_remove_district          (const char         *path);

/* A window holding a map view of the given size, not yet shown. */
GtkWindow  *gui_test_map_window_new           (int                 width,
                                               int                 height,
                                               PctMapView        **view);
/* Shows store's whole district in view. */
void        gui_test_show_district            (PctMapView         *view,
                                               PctStore           *store);
/* Runs the app on db_path (or none) and func on its first window once it
 * is shown; closes the window after. */
void        gui_test_run_app                  (const char         *db_path,
                                               GuiTestWindowFunc   func);
/* The same with the app's command line arguments after "precinct". */
void        gui_test_run_app_with_args        (const char * const *args,
                                               GuiTestWindowFunc   func);
/* A template child; fails when there is none of that name. */
GtkWidget  *gui_test_template_child           (GtkWidget          *widget,
                                               GType               template_type,
                                               const char         *name);
/* The same for a child of the main window's template. */
GtkWidget  *gui_test_window_child             (PctWindow          *window,
                                               const char         *name);

/* Moves the pointer to (x, y) of widget and clicks button there, through
 * the X server as a mouse would (XTest), so that the click takes GTK's
 * whole event path; returns once GTK has handled it. */
void        gui_test_click                    (GtkWidget          *widget,
                                               double              x,
                                               double              y,
                                               guint               button);

/* widget as its window's renderer draws it, in device pixels. */
GdkTexture *gui_test_render_widget            (GtkWidget          *widget);
/* The colour of an opaque pixel as 0xRRGGBB; fails on a translucent one. */
guint32     gui_test_texture_pixel            (GdkTexture         *texture,
                                               int                 x,
                                               int                 y);
gboolean    gui_test_colour_near              (guint32             actual,
                                               guint32             expected,
                                               int                 tolerance);
void        gui_test_assert_colour_near       (guint32             actual,
                                               guint32             expected,
                                               int                 tolerance,
                                               const char         *what);
/* The language screenshots are taken in: $LANGUAGE, or C. */
const char *gui_test_language                 (void);
/* Saves texture as file in the build tree's tests folder and says so. */
void        gui_test_save_png                 (GdkTexture         *texture,
                                               const char         *file);

G_END_DECLS
