/* pct-validate.c — checks for identifiers and masking of personal data
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-validate"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-regions.h"
#include "pct-validate.h"

#define ID_NUMBER_LENGTH      18
#define USCC_LENGTH           18
#define PHONE_LENGTH          11
#define REGION_CODE_LENGTH    6
#define COMPONENT_CODE_LENGTH 16

/* The earliest birth year accepted on an ID number. */
#define ID_NUMBER_MIN_YEAR 1900

/* ID numbers and the calendar dates in them are Chinese civil dates; China
 * has kept UTC+8 without daylight saving since 1991, so a fixed offset gives
 * the right day without depending on the system's tz database. */
#define CHINA_UTC_OFFSET_SECONDS (8 * 60 * 60)

/* GB 32100 leaves out I, O, S, V and Z, which read too much like 1, 0, 5, U
 * and 2. A character's position in this string is its value. */
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const guint id_number_weights[17] = {
  7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2,
};

static const guint uscc_weights[17] = {
  1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
};

G_DEFINE_QUARK (pct-validate-error-quark, pct_validate_error)

/* Counts characters rather than bytes so that a message about length matches
 * what the user sees; bytes are the best guess for text that is not UTF-8. */
static guint
count_chars (const char *value)
{
  if (g_utf8_validate (value, -1, NULL))
    return (guint) g_utf8_strlen (value, -1);

  return (guint) strlen (value);
}

/* Returns the character at p for quoting in a message, or a \xNN escape
 * when p does not start a valid UTF-8 sequence. */
static char *
describe_char (const char *p)
{
  gunichar c = g_utf8_get_char_validated (p, -1);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    return g_strdup_printf ("\\x%02X", (guint) (guchar) *p);

  return g_strndup (p, g_utf8_next_char (p) - p);
}

/* Returns the index of the first of the first n bytes that is not an ASCII
 * digit, or -1. Every byte before a hit is ASCII, so the index is also the
 * character position. */
static int
find_non_digit (const char *value,
                guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (value[i]))
        return (int) i;
    }

  return -1;
}

static int
parse_digits (const char *p,
              guint       n)
{
  int result = 0;

  for (guint i = 0; i < n; i++)
    result = result * 10 + (p[i] - '0');

  return result;
}

static int
uscc_value (char c)
{
  const char *p;

  if (c == '\0')
    return -1;

  p = strchr (uscc_alphabet, c);

  return p != NULL ? (int) (p - uscc_alphabet) : -1;
}

/* Residence permits for residents of Taiwan carry the prefix 83, which is
 * not a GB/T 2260 province (Taiwan itself is 71); those of Hong Kong and
 * Macao use 81 and 82, which are. The permits follow GB 11643 otherwise, so
 * they are accepted as ID numbers. */
static gboolean
id_number_region_plausible (const char *value)
{
  if (value[0] == '8' && value[1] == '3')
    return TRUE;

  return pct_regions_province_known (value);
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar:
 * the year counted from March, so that the leap day ends it. */
static gint64
days_from_civil (int year,
                 int month,
                 int day)
{
  gint64 y = month <= 2 ? year - 1 : year;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 year_of_era = y - era * 400;
  gint64 day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  gint64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

  return era * 146097 + day_of_era - 719468;
}

/* Today in China, as days from 1970-01-01. Millions of people are read
 * in a full sync: no time zone is made for each. */
static gint64
china_today (GDateTime *now)
{
  gint64 seconds = now != NULL ? g_date_time_to_unix (now) : g_get_real_time () / G_USEC_PER_SEC;
  gint64 local = seconds + CHINA_UTC_OFFSET_SECONDS;

  return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

static gboolean
check_birth_date (const char  *digits,
                  GDateTime   *now,
                  GError     **error)
{
  int year = parse_digits (digits, 4);
  int month = parse_digits (digits + 4, 2);
  int day = parse_digits (digits + 6, 2);

  if (year < ID_NUMBER_MIN_YEAR)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE,
                   _("The birth year %d in the ID number is before %d"),
                   year, ID_NUMBER_MIN_YEAR);
      return FALSE;
    }

  if (month < 1 || month > 12 || day < 1 || day > 31
      || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE,
                   _("The birth date %04d-%02d-%02d in the ID number does not exist"),
                   year, month, day);
      return FALSE;
    }

  if (days_from_civil (year, month, day) > china_today (now))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE,
                   _("The birth date %04d-%02d-%02d in the ID number lies in the future"),
                   year, month, day);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_id_number_check_char:
 * @first17: the first 17 digits of a GB 11643 ID number; anything after
 *   them is ignored
 *
 * Returns: the check character, '0' to '9' or 'X', or 0 if @first17 does
 *   not start with 17 digits
 */
char
pct_id_number_check_char (const char *first17)
{
  static const char check_chars[] = "10X98765432";
  guint sum = 0;

  g_return_val_if_fail (first17 != NULL, 0);

  /* The loop stops at the terminator of a short string: '\0' is not a
   * digit. */
  for (guint i = 0; i < G_N_ELEMENTS (id_number_weights); i++)
    {
      if (!g_ascii_isdigit (first17[i]))
        return 0;
      sum += (guint) (first17[i] - '0') * id_number_weights[i];
    }

  return check_chars[sum % 11];
}

/**
 * pct_validate_id_number:
 * @value: a resident ID number
 * @now: (nullable): the moment to judge the birth date against, or %NULL
 *   for the current time; it is read in China's time zone
 * @error: return location for a #PctValidateError
 *
 * Checks a GB 11643 resident ID number: 17 digits and a check character
 * (a lower-case x is accepted), a region prefix from a known province, and
 * a birth date that exists, is not before 1900 and is not after today.
 *
 * Only the province of the region prefix is checked: people keep their
 * number when their county is renamed or merged, so older codes stay valid.
 *
 * Returns: %TRUE if @value is a valid ID number
 */
gboolean
pct_validate_id_number (const char  *value,
                        GDateTime   *now,
                        GError     **error)
{
  guint n_chars;
  int bad;
  char expected;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (value);
  if (n_chars != ID_NUMBER_LENGTH)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("An ID number must be %u characters long, not %u"),
                   ID_NUMBER_LENGTH, n_chars);
      return FALSE;
    }

  bad = find_non_digit (value, ID_NUMBER_LENGTH - 1);
  if (bad >= 0)
    {
      g_autofree char *c = describe_char (value + bad);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("Character %d of the ID number (“%s”) is not a digit"),
                   bad + 1, c);
      return FALSE;
    }

  if (!g_ascii_isdigit (value[17]) && value[17] != 'X' && value[17] != 'x')
    {
      g_autofree char *c = describe_char (value + 17);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("The check character of the ID number (“%s”) is neither a digit nor X"),
                   c);
      return FALSE;
    }

  if (!id_number_region_plausible (value))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION,
                   _("The ID number starts with %.2s, which is not a known province code"),
                   value);
      return FALSE;
    }

  /* The date goes before the checksum: when a digit of it was mistyped,
   * "this date does not exist" points at the mistake, a checksum does not. */
  if (!check_birth_date (value + 6, now, error))
    return FALSE;

  expected = pct_id_number_check_char (value);
  if (g_ascii_toupper (value[17]) != expected)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM,
                   _("The check character of the ID number is %c, expected %c"),
                   value[17], expected);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_uscc_check_char:
 * @first17: the first 17 characters of a GB 32100 unified social credit
 *   code; anything after them is ignored
 *
 * Only the checksum is computed: the region part is not looked at.
 *
 * Returns: the check character, or 0 if @first17 does not start with 17
 *   characters of the credit code alphabet
 */
char
pct_uscc_check_char (const char *first17)
{
  guint sum = 0;

  g_return_val_if_fail (first17 != NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (uscc_weights); i++)
    {
      int v = uscc_value (first17[i]);

      if (v < 0)
        return 0;
      sum += (guint) v * uscc_weights[i];
    }

  return uscc_alphabet[(31 - sum % 31) % 31];
}

/**
 * pct_validate_uscc:
 * @value: a unified social credit code
 * @error: return location for a #PctValidateError
 *
 * Checks a GB 32100 unified social credit code: 18 characters from its
 * 31-symbol alphabet, a six-digit region code in characters 3 to 8, and the
 * check character. Lower case is refused: credit codes are printed and
 * registered in upper case, and a stored code has to match the register.
 *
 * Returns: %TRUE if @value is a valid credit code
 */
gboolean
pct_validate_uscc (const char  *value,
                   GError     **error)
{
  guint n_chars;
  char expected;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (value);
  if (n_chars != USCC_LENGTH)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A credit code must be %u characters long, not %u"),
                   USCC_LENGTH, n_chars);
      return FALSE;
    }

  for (guint i = 0; i < USCC_LENGTH; i++)
    {
      char c = value[i];
      char upper = g_ascii_toupper (c);

      if (uscc_value (c) >= 0)
        continue;

      if (g_ascii_islower (c) && uscc_value (upper) >= 0)
        {
          g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                       _("Character %u of the credit code (“%c”) is lower case; "
                         "credit codes use upper-case letters only"),
                       i + 1, c);
        }
      else if (g_ascii_isalpha (c) && strchr ("IOSVZ", upper) != NULL)
        {
          g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                       _("Character %u of the credit code (“%c”) is not used in "
                         "credit codes, which leave out I, O, S, V and Z"),
                       i + 1, c);
        }
      else
        {
          g_autofree char *desc = describe_char (value + i);

          g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                       _("Character %u of the credit code (“%s”) is not allowed"),
                       i + 1, desc);
        }

      return FALSE;
    }

  if (find_non_digit (value + 2, REGION_CODE_LENGTH) >= 0)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION,
                   _("Characters 3 to 8 of the credit code (“%.6s”) must be a six-digit "
                     "region code"),
                   value + 2);
      return FALSE;
    }

  expected = pct_uscc_check_char (value);
  if (value[17] != expected)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM,
                   _("The check character of the credit code is %c, expected %c"),
                   value[17], expected);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_validate_phone:
 * @value: a mobile number, digits only
 * @error: return location for a #PctValidateError
 *
 * Checks a mainland mobile number: 11 digits starting with 13 to 19.
 * Spaces, dashes and a +86 prefix are not accepted; callers that take
 * free-form input strip them first, so that what is stored is uniform.
 *
 * Returns: %TRUE if @value is a valid mobile number
 */
gboolean
pct_validate_phone (const char  *value,
                    GError     **error)
{
  guint n_chars;
  int bad;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (value);
  if (n_chars != PHONE_LENGTH)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A mobile number must be %u digits long, not %u"),
                   PHONE_LENGTH, n_chars);
      return FALSE;
    }

  bad = find_non_digit (value, PHONE_LENGTH);
  if (bad >= 0)
    {
      g_autofree char *c = describe_char (value + bad);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("Character %d of the mobile number (“%s”) is not a digit"),
                   bad + 1, c);
      return FALSE;
    }

  if (value[0] != '1' || value[1] < '3')
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                   _("A mobile number starts with 13 to 19, not %.2s"),
                   value);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_validate_region_code:
 * @code: a GB/T 2260 region code
 * @error: return location for a #PctValidateError
 *
 * Unlike the prefix of an ID number, a region code entered for an address
 * must be in the region table: addresses are registered against divisions
 * that exist now.
 *
 * Returns: %TRUE if @code is six digits and in the region table
 */
gboolean
pct_validate_region_code (const char  *code,
                          GError     **error)
{
  guint n_chars;
  int bad;

  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (code);
  if (n_chars != REGION_CODE_LENGTH)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A region code must be %u digits long, not %u"),
                   REGION_CODE_LENGTH, n_chars);
      return FALSE;
    }

  bad = find_non_digit (code, REGION_CODE_LENGTH);
  if (bad >= 0)
    {
      g_autofree char *c = describe_char (code + bad);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("Character %d of the region code (“%s”) is not a digit"),
                   bad + 1, c);
      return FALSE;
    }

  if (pct_regions_lookup (code) == NULL)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION,
                   _("Region code %s is not in the region table"),
                   code);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_validate_coordinates:
 * @lat: latitude in degrees
 * @lon: longitude in degrees
 * @error: return location for a #PctValidateError
 *
 * Besides the ranges, (0, 0) is refused: it lies in the Gulf of Guinea and
 * in practice means that an import or a device wrote no position at all.
 *
 * Returns: %TRUE if the position is usable
 */
gboolean
pct_validate_coordinates (double   lat,
                          double   lon,
                          GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!isfinite (lat) || !isfinite (lon))
    {
      g_set_error_literal (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                           _("The coordinates are not finite numbers"));
      return FALSE;
    }

  if (lat < -90.0 || lat > 90.0)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                   _("Latitude %g is outside -90 to 90"),
                   lat);
      return FALSE;
    }

  if (lon < -180.0 || lon > 180.0)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                   _("Longitude %g is outside -180 to 180"),
                   lon);
      return FALSE;
    }

  if (lat == 0.0 && lon == 0.0)
    {
      g_set_error_literal (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                           _("The coordinates 0, 0 mark a missing position"));
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_validate_grid_code:
 * @code: a grid cell code
 * @expected_length: the number of digits the local scheme uses, such as
 *   %PCT_GRID_CODE_LENGTH_NATIONAL or %PCT_GRID_CODE_LENGTH_BEIJING
 * @error: return location for a #PctValidateError
 *
 * Returns: %TRUE if @code is @expected_length digits
 */
gboolean
pct_validate_grid_code (const char  *code,
                        guint        expected_length,
                        GError     **error)
{
  guint n_chars;
  int bad;

  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (expected_length > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (code);
  if (n_chars != expected_length)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A grid code must be %u digits long, not %u"),
                   expected_length, n_chars);
      return FALSE;
    }

  bad = find_non_digit (code, expected_length);
  if (bad >= 0)
    {
      g_autofree char *c = describe_char (code + bad);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("Character %d of the grid code (“%s”) is not a digit"),
                   bad + 1, c);
      return FALSE;
    }

  return TRUE;
}

/**
 * pct_validate_component_code:
 * @code: a component (部件) code
 * @error: return location for a #PctValidateError
 *
 * The classes inside the code are not checked here: the category table is
 * data and has local extensions.
 *
 * Returns: %TRUE if @code is 16 digits
 */
gboolean
pct_validate_component_code (const char  *code,
                             GError     **error)
{
  guint n_chars;
  int bad;

  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n_chars = count_chars (code);
  if (n_chars != COMPONENT_CODE_LENGTH)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A component code must be %u digits long, not %u"),
                   COMPONENT_CODE_LENGTH, n_chars);
      return FALSE;
    }

  bad = find_non_digit (code, COMPONENT_CODE_LENGTH);
  if (bad >= 0)
    {
      g_autofree char *c = describe_char (code + bad);

      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("Character %d of the component code (“%s”) is not a digit"),
                   bad + 1, c);
      return FALSE;
    }

  return TRUE;
}

/* Keeps the first head and the last tail characters and puts one '*' in
 * place of each other one. When nothing would be hidden, everything is: a
 * short or truncated value must not come out in clear. */
static char *
mask_keeping (const char *value,
              guint       head,
              guint       tail)
{
  g_autofree char *valid = NULL;
  const char *p;
  guint n_chars;
  GString *out;

  if (value == NULL)
    return NULL;

  /* Counting characters needs valid UTF-8; a damaged import still gets
   * masked rather than passed through. */
  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  n_chars = (guint) g_utf8_strlen (value, -1);
  if (n_chars <= head + tail)
    head = tail = 0;

  out = g_string_sized_new (strlen (value));
  p = value;
  for (guint i = 0; i < n_chars; i++)
    {
      const char *next = g_utf8_next_char (p);

      if (i < head || i >= n_chars - tail)
        g_string_append_len (out, p, next - p);
      else
        g_string_append_c (out, '*');

      p = next;
    }

  return g_string_free (out, FALSE);
}

/**
 * pct_mask_id_number:
 * @value: (nullable): an ID number
 *
 * Keeps the region prefix and the last four characters, as in
 * "500116********123X".
 *
 * Returns: (nullable) (transfer full): the masked text, or %NULL for %NULL
 */
char *
pct_mask_id_number (const char *value)
{
  return mask_keeping (value, 6, 4);
}

/**
 * pct_mask_phone:
 * @value: (nullable): a mobile number
 *
 * Keeps the first three and last four digits, as in "138****5678".
 *
 * Returns: (nullable) (transfer full): the masked text, or %NULL for %NULL
 */
char *
pct_mask_phone (const char *value)
{
  return mask_keeping (value, 3, 4);
}

/**
 * pct_mask_name:
 * @value: (nullable): a person's name
 *
 * Keeps the first character, and the last one from three characters on:
 * "张*", "张*明", "欧**娜". A one-character value is starred entirely.
 *
 * Returns: (nullable) (transfer full): the masked text, or %NULL for %NULL
 */
char *
pct_mask_name (const char *value)
{
  g_autofree char *valid = NULL;

  if (value == NULL)
    return NULL;

  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  return mask_keeping (value, 1, g_utf8_strlen (value, -1) >= 3 ? 1 : 0);
}
