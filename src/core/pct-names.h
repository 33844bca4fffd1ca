/* pct-names.h — invented names, places and phone numbers for the generator
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "pct-generator-private.h"

G_BEGIN_DECLS

/* A mobile number: 11 digits and the terminator. */
#define PCT_NAMES_PHONE_SIZE 12

/* A surname drawn by how common it is in China. */
const char *pct_names_surname            (PctRng     *rng);

/* A given name of one or two characters in the fashion of the birth year. */
void        pct_names_append_given       (GString    *out,
                                          PctRng     *rng,
                                          gboolean    male,
                                          int         birth_year);
char       *pct_names_person             (PctRng     *rng,
                                          gboolean    male,
                                          int         birth_year);

/* A name as a foreign passport prints it: SURNAME GIVEN, in capitals. */
void        pct_names_append_foreign     (GString    *out,
                                          PctRng     *rng,
                                          gboolean    male);

/* Two characters for an invented town, village or compound. */
void        pct_names_append_place       (GString    *out,
                                          PctRng     *rng);

/* The parts of an organisation's name: a trade name (字号) of two
 * characters, a line of business for a company, the kind of a shop. */
void        pct_names_append_trade_name  (GString    *out,
                                          PctRng     *rng);
const char *pct_names_industry           (PctRng     *rng);
const char *pct_names_shop_kind          (PctRng     *rng);

/* A mainland mobile number with a prefix that operators really issue. */
void        pct_names_mobile             (PctRng     *rng,
                                          char        out[PCT_NAMES_PHONE_SIZE]);

G_END_DECLS
