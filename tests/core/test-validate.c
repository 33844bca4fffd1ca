/* test-validate.c — tests for identifier checks, masking and the region table
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-validate"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "pct-regions.h"
#include "pct-validate.h"

#define N_RANDOM_CODES 2000

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* One valid number for each of the 11 check characters and one credit code
 * for each of the 31, worked out apart from the code under test, so that a
 * wrong entry in a check table cannot hide behind the round trips. */
static const char * const id_numbers_every_check[] = {
  "500116199001010020", "500116199001010071", "500116199001010012",
  "500116199001010063", "500116199001010004", "500116199001010055",
  "500116199001010186", "500116199001010047", "500116199001010098",
  "500116199001010039", "50011619900101008X",
};

static const char * const usccs_every_check[] = {
  "92500116MAHN2J1K60", "92500116MAKYBERXP1", "92500116MAHU49D4H2",
  "92500116MAFMHDQAE3", "92500116MA3JJL6B34", "92500116MATH3BJ1X5",
  "92500116MABYB27376", "92500116MA1JJC1717", "92500116MA3Y7LLJY8",
  "92500116MAYUMRHCC9", "92500116MAAY4CL12A", "92500116MACRNQ6FWB",
  "92500116MAGB4NHX0C", "92500116MAA4XFD1YD", "92500116MAJXEB97RE",
  "92500116MAK23GD5QF", "92500116MADUH8NDBG", "92500116MA6R7TCPRH",
  "92500116MAMWCY742J", "92500116MAFEFF924K", "92500116MA3YBK02UL",
  "92500116MAHH400RPM", "92500116MAG612DD2N", "92500116MACB1T402P",
  "92500116MADHBKJAYQ", "92500116MA76GFBP0R", "92500116MA72HD1TJT",
  "92500116MA831TM9LU", "92500116MA626E53AW", "92500116MAJRE2T2YX",
  "92500116MAK130J4HY",
};

/* A fixed "now" so that the future-date checks do not depend on the day the
 * tests run. */
static GDateTime *
new_fixed_now (void)
{
  g_autoptr(GTimeZone) china = g_time_zone_new_offset (8 * 60 * 60);

  return g_date_time_new (china, 2026, 3, 15, 10, 0, 0);
}

/* Completes 17 characters with the ID check character. */
static char *
complete_id_number (const char *first17)
{
  char check = pct_id_number_check_char (first17);

  g_assert_cmpint (check, !=, 0);

  return g_strdup_printf ("%s%c", first17, check);
}

static char *
complete_uscc (const char *first17)
{
  char check = pct_uscc_check_char (first17);

  g_assert_cmpint (check, !=, 0);

  return g_strdup_printf ("%s%c", first17, check);
}

static void
assert_id_number_error (const char *value,
                        GDateTime  *now,
                        int         code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (pct_validate_id_number (value, now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, code);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static void
assert_uscc_error (const char *value,
                   int         code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (pct_validate_uscc (value, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, code);
}

/* Runs first so that several threads race to load the table. */
static gpointer
count_regions_thread (gpointer data)
{
  return GUINT_TO_POINTER (pct_regions_count ());
}

static void
test_regions_concurrent_load (void)
{
  GThread *threads[8];
  guint counts[G_N_ELEMENTS (threads)];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("regions", count_regions_thread, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    counts[i] = GPOINTER_TO_UINT (g_thread_join (threads[i]));

  g_assert_cmpuint (counts[0], >, 0);
  for (guint i = 1; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpuint (counts[i], ==, counts[0]);
  g_assert_cmpuint (pct_regions_count (), ==, counts[0]);
}

static void
test_regions_provinces (void)
{
  static const char * const provinces[] = {
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
    "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
    "420000", "430000", "440000", "450000", "460000", "500000", "510000", "520000",
    "530000", "540000", "610000", "620000", "630000", "640000", "650000",
  };

  g_assert_cmpuint (G_N_ELEMENTS (provinces), ==, 31);

  for (guint i = 0; i < G_N_ELEMENTS (provinces); i++)
    {
      const PctRegion *region = pct_regions_lookup (provinces[i]);

      g_assert_nonnull (region);
      g_assert_cmpstr (region->code, ==, provinces[i]);
      g_assert_null (region->parent_code);
      g_assert_true (pct_regions_province_known (provinces[i]));
    }

  g_assert_cmpstr (pct_regions_lookup ("500000")->name, ==, "重庆市");
  g_assert_cmpstr (pct_regions_lookup ("110000")->name, ==, "北京市");
  g_assert_cmpstr (pct_regions_lookup ("510000")->name, ==, "四川省");

  g_assert_true (pct_regions_province_known ("50"));
  g_assert_true (pct_regions_province_known ("11010519491231002X"));
  g_assert_false (pct_regions_province_known ("99"));
  g_assert_false (pct_regions_province_known ("00"));
  g_assert_false (pct_regions_province_known ("5"));
  g_assert_false (pct_regions_province_known (""));
  g_assert_false (pct_regions_province_known ("x1"));
}

static void
test_regions_lookup (void)
{
  const PctRegion *region;

  region = pct_regions_lookup ("500116");
  g_assert_nonnull (region);
  g_assert_cmpstr (region->name, ==, "江津区");
  g_assert_cmpstr (region->parent_code, ==, "500100");

  region = pct_regions_lookup ("500100");
  g_assert_nonnull (region);
  g_assert_cmpstr (region->name, ==, "市辖区");
  g_assert_cmpstr (region->parent_code, ==, "500000");

  region = pct_regions_lookup ("500243");
  g_assert_nonnull (region);
  g_assert_cmpstr (region->name, ==, "彭水苗族土家族自治县");
  g_assert_cmpstr (region->parent_code, ==, "500200");

  g_assert_cmpstr (pct_regions_lookup ("500101")->name, ==, "万州区");
  g_assert_cmpstr (pct_regions_lookup ("110108")->name, ==, "海淀区");
  g_assert_cmpstr (pct_regions_lookup ("510100")->name, ==, "成都市");
  g_assert_cmpstr (pct_regions_lookup ("513400")->name, ==, "凉山彝族自治州");

  g_assert_null (pct_regions_lookup ("500199"));
  g_assert_null (pct_regions_lookup ("990000"));
  g_assert_null (pct_regions_lookup ("50011"));
  g_assert_null (pct_regions_lookup ("5001160"));
  g_assert_null (pct_regions_lookup ("50011a"));
  g_assert_null (pct_regions_lookup (""));
}

/* Chongqing has 26 districts and 12 counties; each must be there exactly
 * once under the right grouping entry. */
static void
test_regions_chongqing_complete (void)
{
  guint districts = 0;
  guint counties = 0;

  for (guint i = 0; i < pct_regions_count (); i++)
    {
      const PctRegion *region = pct_regions_get_nth (i);

      if (g_strcmp0 (region->parent_code, "500100") == 0)
        districts++;
      else if (g_strcmp0 (region->parent_code, "500200") == 0)
        counties++;
    }

  g_assert_cmpuint (districts, ==, 26);
  g_assert_cmpuint (counties, ==, 12);
}

static void
test_regions_consistent (void)
{
  guint n = pct_regions_count ();

  /* 31 provinces and Beijing's 16 districts alone are more than this. */
  g_assert_cmpuint (n, >=, 47);

  for (guint i = 0; i < n; i++)
    {
      const PctRegion *region = pct_regions_get_nth (i);

      g_assert_nonnull (region);
      g_assert_cmpuint (strlen (region->code), ==, 6);
      g_assert_true (g_utf8_validate (region->name, -1, NULL));
      g_assert_cmpstr (region->name, !=, "");
      g_assert_true (pct_regions_lookup (region->code) == region);

      /* Sorted and free of duplicates. */
      if (i > 0)
        g_assert_cmpstr (pct_regions_get_nth (i - 1)->code, <, region->code);

      /* Every parent is in the table and shares the province. */
      if (region->parent_code != NULL)
        {
          g_assert_nonnull (pct_regions_lookup (region->parent_code));
          g_assert_cmpint (strncmp (region->code, region->parent_code, 2), ==, 0);
        }
      else
        {
          g_assert_true (g_str_has_suffix (region->code, "0000"));
        }
    }
}

static void
test_regions_display_name (void)
{
  g_autofree char *jiangjin = pct_regions_dup_display_name ("500116");
  g_autofree char *pengshui = pct_regions_dup_display_name ("500243");
  g_autofree char *chengdu = pct_regions_dup_display_name ("510100");
  g_autofree char *jinjiang = pct_regions_dup_display_name ("510104");
  g_autofree char *beijing = pct_regions_dup_display_name ("110000");
  g_autofree char *haidian = pct_regions_dup_display_name ("110108");
  g_autofree char *unknown = pct_regions_dup_display_name ("500199");

  g_assert_cmpstr (jiangjin, ==, "重庆市江津区");
  g_assert_cmpstr (pengshui, ==, "重庆市彭水苗族土家族自治县");
  g_assert_cmpstr (chengdu, ==, "四川省成都市");
  g_assert_cmpstr (jinjiang, ==, "四川省成都市锦江区");
  g_assert_cmpstr (beijing, ==, "北京市");
  g_assert_cmpstr (haidian, ==, "北京市海淀区");
  g_assert_null (unknown);
}

static void
test_id_number_valid (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_id_number ("11010519491231002X", now, &error));
  g_assert_no_error (error);

  g_assert_true (pct_validate_id_number ("11010519491231002x", now, &error));
  g_assert_no_error (error);

  /* NULL means the real current time; 1949 is in the past whenever this runs. */
  g_assert_true (pct_validate_id_number ("11010519491231002X", NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (id_numbers_every_check); i++)
    {
      const char *id = id_numbers_every_check[i];

      /* The table is ordered by check character. */
      g_assert_cmpint (id[17], ==, "0123456789X"[i]);
      g_assert_cmpint (pct_id_number_check_char (id), ==, id[17]);
      g_assert_true (pct_validate_id_number (id, now, &error));
      g_assert_no_error (error);
    }

  /* A NULL error location is allowed. */
  g_assert_true (pct_validate_id_number ("11010519491231002X", now, NULL));
  g_assert_false (pct_validate_id_number ("11010519491231002", now, NULL));
}

static void
test_id_number_check_char (void)
{
  g_assert_cmpint (pct_id_number_check_char ("11010519491231002"), ==, 'X');
  /* Characters after the first 17 are ignored. */
  g_assert_cmpint (pct_id_number_check_char ("11010519491231002X"), ==, 'X');
  g_assert_cmpint (pct_id_number_check_char ("1101051949123100"), ==, 0);
  g_assert_cmpint (pct_id_number_check_char ("1101051949123100A"), ==, 0);
  g_assert_cmpint (pct_id_number_check_char (""), ==, 0);
}

static void
test_id_number_checksum (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GError) error = NULL;

  g_assert_false (pct_validate_id_number ("110105194912310021", now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM);
  g_assert_cmpstr (error->message, ==, "The check character of the ID number is 1, expected X");
  g_clear_error (&error);

  /* One digit changed in the sequence number. */
  g_assert_false (pct_validate_id_number ("11010519491231003X", now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM);
}

static void
test_id_number_date (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) utc_evening = g_date_time_new (utc, 2026, 3, 15, 20, 0, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *feb31 = complete_id_number ("11010519490231002");
  g_autofree char *feb29_leap = complete_id_number ("50011620000229123");
  g_autofree char *feb29_plain = complete_id_number ("50011619000229123");
  g_autofree char *month13 = complete_id_number ("50011619901301123");
  g_autofree char *day00 = complete_id_number ("50011619900100123");
  g_autofree char *tomorrow = complete_id_number ("50011620260316123");
  g_autofree char *today = complete_id_number ("50011620260315123");
  g_autofree char *next_year = complete_id_number ("50011620270101123");
  g_autofree char *y1899 = complete_id_number ("50011618991231123");
  g_autofree char *y1900 = complete_id_number ("50011619000101123");
  g_autoptr(GDateTime) leap_now = g_date_time_new (utc, 2024, 2, 28, 16, 30, 0);
  g_autofree char *leap_day = complete_id_number ("50011620240229123");
  g_autofree char *march_first = complete_id_number ("50011620240301123");

  g_assert_false (pct_validate_id_number (feb31, now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE);
  g_assert_cmpstr (error->message, ==, "The birth date 1949-02-31 in the ID number does not exist");
  g_clear_error (&error);

  g_assert_true (pct_validate_id_number (feb29_leap, now, &error));
  g_assert_no_error (error);

  /* 1900 was not a leap year. */
  assert_id_number_error (feb29_plain, now, PCT_VALIDATE_ERROR_DATE);
  assert_id_number_error (month13, now, PCT_VALIDATE_ERROR_DATE);
  assert_id_number_error (day00, now, PCT_VALIDATE_ERROR_DATE);

  g_assert_false (pct_validate_id_number (tomorrow, now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE);
  g_assert_nonnull (strstr (error->message, "2026-03-16"));
  g_assert_nonnull (strstr (error->message, "future"));
  g_clear_error (&error);

  assert_id_number_error (next_year, now, PCT_VALIDATE_ERROR_DATE);

  /* A child born today is no error. */
  g_assert_true (pct_validate_id_number (today, now, &error));
  g_assert_no_error (error);

  /* 20:00 UTC on the 15th is already the 16th in China. */
  g_assert_true (pct_validate_id_number (tomorrow, utc_evening, &error));
  g_assert_no_error (error);

  assert_id_number_error (y1899, now, PCT_VALIDATE_ERROR_DATE);
  g_assert_true (pct_validate_id_number (y1900, now, &error));
  g_assert_no_error (error);

  /* On a leap day the day before the first of March is today. */
  g_assert_true (pct_validate_id_number (leap_day, leap_now, &error));
  g_assert_no_error (error);
  assert_id_number_error (march_first, leap_now, PCT_VALIDATE_ERROR_DATE);
}

static void
test_id_number_length (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GError) error = NULL;

  g_assert_false (pct_validate_id_number ("11010519491231002", now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_assert_cmpstr (error->message, ==, "An ID number must be 18 characters long, not 17");
  g_clear_error (&error);

  assert_id_number_error ("11010519491231002X0", now, PCT_VALIDATE_ERROR_LENGTH);
  assert_id_number_error ("", now, PCT_VALIDATE_ERROR_LENGTH);
  /* The old 15-digit numbers are not accepted. */
  assert_id_number_error ("110105491231002", now, PCT_VALIDATE_ERROR_LENGTH);
}

static void
test_id_number_charset (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GError) error = NULL;

  g_assert_false (pct_validate_id_number ("1101051949A231002X", now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_cmpstr (error->message, ==, "Character 11 of the ID number (“A”) is not a digit");
  g_clear_error (&error);

  assert_id_number_error ("X10105194912310021", now, PCT_VALIDATE_ERROR_CHARSET);
  assert_id_number_error ("11010519491231002Y", now, PCT_VALIDATE_ERROR_CHARSET);
  assert_id_number_error (" 1010519491231002X", now, PCT_VALIDATE_ERROR_CHARSET);

  /* 18 characters, but the last one is not ASCII: counted as one character,
   * and quoted whole in the message. */
  g_assert_false (pct_validate_id_number ("11010519491231002中", now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_nonnull (strstr (error->message, "中"));
  g_clear_error (&error);

  /* Full-width digits are not digits. */
  assert_id_number_error ("１１０１０５１９４９１２３１００２X", now, PCT_VALIDATE_ERROR_CHARSET);
}

static void
test_id_number_region (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GError) error = NULL;
  g_autofree char *province99 = complete_id_number ("99010519491231002");
  g_autofree char *province00 = complete_id_number ("00010519491231002");
  g_autofree char *unlisted_county = complete_id_number ("50019919491231002");
  g_autofree char *hong_kong = complete_id_number ("81000019800101002");
  g_autofree char *taiwan_permit = complete_id_number ("83000019800101002");

  g_assert_false (pct_validate_id_number (province99, now, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION);
  g_assert_nonnull (strstr (error->message, "99"));
  g_clear_error (&error);

  assert_id_number_error (province00, now, PCT_VALIDATE_ERROR_REGION);

  /* Only the province is checked: county codes come and go. */
  g_assert_true (pct_validate_id_number (unlisted_county, now, &error));
  g_assert_no_error (error);

  g_assert_true (pct_validate_id_number (hong_kong, now, &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_id_number (taiwan_permit, now, &error));
  g_assert_no_error (error);
}

static void
test_id_number_random (void)
{
  g_autoptr(GDateTime) now = new_fixed_now ();
  g_autoptr(GDate) first = g_date_new_dmy (1, G_DATE_JANUARY, 1900);
  g_autoptr(GDate) last = g_date_new_dmy (15, G_DATE_MARCH, 2026);
  guint n_regions = pct_regions_count ();

  for (guint i = 0; i < N_RANDOM_CODES; i++)
    {
      const PctRegion *region = pct_regions_get_nth (g_test_rand_int_range (0, n_regions));
      g_autoptr(GDate) birth = g_date_new_julian (
          g_test_rand_int_range (g_date_get_julian (first), g_date_get_julian (last) + 1));
      g_autoptr(GError) error = NULL;
      g_autofree char *first17 = NULL;
      g_autofree char *id = NULL;
      g_autofree char *lower = NULL;
      guint pos;
      char old;

      first17 = g_strdup_printf ("%s%04u%02u%02u%03d",
                                 region->code,
                                 (guint) g_date_get_year (birth),
                                 (guint) g_date_get_month (birth),
                                 (guint) g_date_get_day (birth),
                                 g_test_rand_int_range (0, 1000));
      g_assert_cmpuint (strlen (first17), ==, 17);

      id = complete_id_number (first17);
      lower = g_ascii_strdown (id, -1);

      if (!pct_validate_id_number (id, now, &error))
        g_error ("%s rejected: %s", id, error->message);
      g_assert_true (pct_validate_id_number (lower, now, NULL));

      /* Any single changed digit in the sequence number must be caught by
       * the checksum: the weights are all non-zero modulo 11. */
      pos = 14 + g_test_rand_int_range (0, 3);
      old = id[pos];
      id[pos] = '0' + (old - '0' + g_test_rand_int_range (1, 10)) % 10;
      g_assert_cmpint (id[pos], !=, old);
      g_assert_false (pct_validate_id_number (id, now, &error));
      g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM);
    }
}

static void
test_uscc_valid (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_uscc ("91350100M000100Y43", &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_uscc ("91310110666007217T", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (usccs_every_check); i++)
    {
      const char *code = usccs_every_check[i];

      /* The table is ordered by check character. */
      g_assert_cmpint (code[17], ==, uscc_alphabet[i]);
      g_assert_cmpint (pct_uscc_check_char (code), ==, code[17]);
      g_assert_true (pct_validate_uscc (code, &error));
      g_assert_no_error (error);
    }

  g_assert_cmpint (pct_uscc_check_char ("91350100M000100Y4"), ==, '3');
  g_assert_cmpint (pct_uscc_check_char ("91310110666007217"), ==, 'T');
  g_assert_cmpint (pct_uscc_check_char ("9131011066600721"), ==, 0);
  g_assert_cmpint (pct_uscc_check_char ("9131011066600721I"), ==, 0);
  g_assert_cmpint (pct_uscc_check_char ("9131011066600721t"), ==, 0);
}

static void
test_uscc_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *letter_region = complete_uscc ("91A50100M000100Y4");

  g_assert_false (pct_validate_uscc ("91350100M000100Y44", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM);
  g_assert_cmpstr (error->message, ==, "The check character of the credit code is 4, expected 3");
  g_clear_error (&error);

  assert_uscc_error ("91350100M000200Y43", PCT_VALIDATE_ERROR_CHECKSUM);
  assert_uscc_error ("91310110666007218T", PCT_VALIDATE_ERROR_CHECKSUM);

  g_assert_false (pct_validate_uscc ("91350100M0001I0Y43", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_nonnull (strstr (error->message, "Character 14"));
  g_assert_nonnull (strstr (error->message, "I, O, S, V and Z"));
  g_clear_error (&error);

  assert_uscc_error ("91350100MO00100Y43", PCT_VALIDATE_ERROR_CHARSET);
  assert_uscc_error ("91350100S000100Y43", PCT_VALIDATE_ERROR_CHARSET);
  assert_uscc_error ("91350100M000100Y4-", PCT_VALIDATE_ERROR_CHARSET);
  assert_uscc_error ("91350100M000100Y4中", PCT_VALIDATE_ERROR_CHARSET);

  /* Lower case is refused with its own reason, even when the upper-case
   * code would be valid. */
  g_assert_false (pct_validate_uscc ("91310110666007217t", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_nonnull (strstr (error->message, "lower case"));
  g_clear_error (&error);
  assert_uscc_error ("91350100m000100Y43", PCT_VALIDATE_ERROR_CHARSET);

  g_assert_false (pct_validate_uscc ("91350100M000100Y4", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_assert_cmpstr (error->message, ==, "A credit code must be 18 characters long, not 17");
  g_clear_error (&error);
  assert_uscc_error ("91350100M000100Y433", PCT_VALIDATE_ERROR_LENGTH);
  assert_uscc_error ("", PCT_VALIDATE_ERROR_LENGTH);

  /* The checksum is right, the region part is not six digits. */
  g_assert_false (pct_validate_uscc (letter_region, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION);
}

static void
test_uscc_random (void)
{
  for (guint i = 0; i < N_RANDOM_CODES; i++)
    {
      char first17[18];
      g_autofree char *code = NULL;
      g_autoptr(GError) error = NULL;
      guint pos;
      char old;
      char *old_in_alphabet;

      for (guint j = 0; j < 17; j++)
        {
          /* Characters 3 to 8 are a region code. */
          if (j >= 2 && j < 8)
            first17[j] = '0' + g_test_rand_int_range (0, 10);
          else
            first17[j] = uscc_alphabet[g_test_rand_int_range (0, 31)];
        }
      first17[17] = '\0';

      code = complete_uscc (first17);
      if (!pct_validate_uscc (code, &error))
        g_error ("%s rejected: %s", code, error->message);

      /* Change one of the organisation code characters to another symbol:
       * 31 is prime and no weight is 0 modulo 31, so the checksum must
       * notice. */
      pos = 8 + g_test_rand_int_range (0, 9);
      old = code[pos];
      old_in_alphabet = strchr (uscc_alphabet, old);
      g_assert_nonnull (old_in_alphabet);
      code[pos] = uscc_alphabet[((old_in_alphabet - uscc_alphabet)
                                 + g_test_rand_int_range (1, 31)) % 31];
      g_assert_cmpint (code[pos], !=, old);
      g_assert_false (pct_validate_uscc (code, &error));
      g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHECKSUM);
    }
}

static void
test_phone (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_phone ("13812345678", &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_phone ("19912345678", &error));
  g_assert_no_error (error);

  g_assert_false (pct_validate_phone ("12345678901", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_assert_nonnull (strstr (error->message, "12"));
  g_clear_error (&error);

  g_assert_false (pct_validate_phone ("23812345678", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_false (pct_validate_phone ("1381234567", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_assert_cmpstr (error->message, ==, "A mobile number must be 11 digits long, not 10");
  g_clear_error (&error);

  g_assert_false (pct_validate_phone ("138123456789", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_clear_error (&error);

  g_assert_false (pct_validate_phone ("138-1234567", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_nonnull (strstr (error->message, "Character 4"));
  g_clear_error (&error);
}

static void
test_region_code (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_region_code ("500116", &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_region_code ("110105", &error));
  g_assert_no_error (error);

  g_assert_false (pct_validate_region_code ("500199", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION);
  g_assert_cmpstr (error->message, ==, "Region code 500199 is not in the region table");
  g_clear_error (&error);

  g_assert_false (pct_validate_region_code ("50011", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_clear_error (&error);

  g_assert_false (pct_validate_region_code ("5001a6", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_clear_error (&error);
}

static void
test_coordinates (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_coordinates (29.29, 106.25, &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_coordinates (-90.0, 180.0, &error));
  g_assert_no_error (error);
  /* On the equator or the prime meridian alone is a real place. */
  g_assert_true (pct_validate_coordinates (0.0, 106.25, &error));
  g_assert_no_error (error);

  g_assert_false (pct_validate_coordinates (NAN, 106.25, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_false (pct_validate_coordinates (29.29, INFINITY, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_clear_error (&error);

  g_assert_false (pct_validate_coordinates (91.0, 106.25, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_assert_nonnull (strstr (error->message, "Latitude 91"));
  g_clear_error (&error);

  g_assert_false (pct_validate_coordinates (29.29, -180.5, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_assert_nonnull (strstr (error->message, "Longitude"));
  g_clear_error (&error);

  g_assert_false (pct_validate_coordinates (0.0, 0.0, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);
}

static void
test_grid_code (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_grid_code ("50011600100101",
                                         PCT_GRID_CODE_LENGTH_NATIONAL, &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_grid_code ("110105001001001",
                                         PCT_GRID_CODE_LENGTH_BEIJING, &error));
  g_assert_no_error (error);

  g_assert_false (pct_validate_grid_code ("50011600100101",
                                          PCT_GRID_CODE_LENGTH_BEIJING, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_assert_cmpstr (error->message, ==, "A grid code must be 15 digits long, not 14");
  g_clear_error (&error);

  g_assert_false (pct_validate_grid_code ("5001160010010A",
                                          PCT_GRID_CODE_LENGTH_NATIONAL, &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_clear_error (&error);

  /* Other schemes are a matter of configuration. */
  g_assert_true (pct_validate_grid_code ("5001160010010101", 16, &error));
  g_assert_no_error (error);
}

static void
test_component_code (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_component_code ("3205080101000001", &error));
  g_assert_no_error (error);

  g_assert_false (pct_validate_component_code ("320508010100001", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_clear_error (&error);

  g_assert_false (pct_validate_component_code ("32050801010000011", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH);
  g_clear_error (&error);

  g_assert_false (pct_validate_component_code ("320508O101000001", &error));
  g_assert_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET);
  g_assert_nonnull (strstr (error->message, "Character 7"));
  g_clear_error (&error);
}

static void
assert_masked (char       *(*mask) (const char *),
               const char   *value,
               const char   *expected)
{
  g_autofree char *masked = mask (value);

  g_assert_cmpstr (masked, ==, expected);
}

static void
test_mask_id_number (void)
{
  assert_masked (pct_mask_id_number, "50011619900101123X", "500116********123X");
  assert_masked (pct_mask_id_number, "11010519491231002X", "110105********002X");
  assert_masked (pct_mask_id_number, "110105491231002", "110105*****1002");
  assert_masked (pct_mask_id_number, "12345678901", "123456*8901");
  /* Nothing would be hidden: everything is. */
  assert_masked (pct_mask_id_number, "1234567890", "**********");
  assert_masked (pct_mask_id_number, "12345", "*****");
  assert_masked (pct_mask_id_number, "", "");
  assert_masked (pct_mask_id_number, NULL, NULL);
}

static void
test_mask_phone (void)
{
  assert_masked (pct_mask_phone, "13812345678", "138****5678");
  assert_masked (pct_mask_phone, "12345678", "123*5678");
  assert_masked (pct_mask_phone, "1234567", "*******");
  assert_masked (pct_mask_phone, "110", "***");
  assert_masked (pct_mask_phone, "", "");
  assert_masked (pct_mask_phone, NULL, NULL);
}

static void
test_mask_name (void)
{
  g_autofree char *damaged = NULL;

  assert_masked (pct_mask_name, "张三", "张*");
  assert_masked (pct_mask_name, "张三丰", "张*丰");
  assert_masked (pct_mask_name, "张小明", "张*明");
  assert_masked (pct_mask_name, "欧阳娜娜", "欧**娜");
  assert_masked (pct_mask_name, "阿卜杜拉·买买提", "阿******提");
  assert_masked (pct_mask_name, "张", "*");
  assert_masked (pct_mask_name, "Li", "L*");
  assert_masked (pct_mask_name, "Smith", "S***h");
  assert_masked (pct_mask_name, "", "");
  assert_masked (pct_mask_name, NULL, NULL);

  /* Invalid UTF-8 still comes out masked and as valid UTF-8. */
  damaged = pct_mask_name ("\xE5\xBC\xA0\xFF\xE4\xB8\x89");
  g_assert_nonnull (damaged);
  g_assert_true (g_utf8_validate (damaged, -1, NULL));
  g_assert_true (g_str_has_prefix (damaged, "张*"));
  g_assert_true (g_str_has_suffix (damaged, "三"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/regions/concurrent-load", test_regions_concurrent_load);
  g_test_add_func ("/regions/provinces", test_regions_provinces);
  g_test_add_func ("/regions/lookup", test_regions_lookup);
  g_test_add_func ("/regions/chongqing-complete", test_regions_chongqing_complete);
  g_test_add_func ("/regions/consistent", test_regions_consistent);
  g_test_add_func ("/regions/display-name", test_regions_display_name);

  g_test_add_func ("/validate/id-number/valid", test_id_number_valid);
  g_test_add_func ("/validate/id-number/check-char", test_id_number_check_char);
  g_test_add_func ("/validate/id-number/checksum", test_id_number_checksum);
  g_test_add_func ("/validate/id-number/date", test_id_number_date);
  g_test_add_func ("/validate/id-number/length", test_id_number_length);
  g_test_add_func ("/validate/id-number/charset", test_id_number_charset);
  g_test_add_func ("/validate/id-number/region", test_id_number_region);
  g_test_add_func ("/validate/id-number/random", test_id_number_random);

  g_test_add_func ("/validate/uscc/valid", test_uscc_valid);
  g_test_add_func ("/validate/uscc/invalid", test_uscc_invalid);
  g_test_add_func ("/validate/uscc/random", test_uscc_random);

  g_test_add_func ("/validate/phone", test_phone);
  g_test_add_func ("/validate/region-code", test_region_code);
  g_test_add_func ("/validate/coordinates", test_coordinates);
  g_test_add_func ("/validate/grid-code", test_grid_code);
  g_test_add_func ("/validate/component-code", test_component_code);

  g_test_add_func ("/mask/id-number", test_mask_id_number);
  g_test_add_func ("/mask/phone", test_mask_phone);
  g_test_add_func ("/mask/name", test_mask_name);

  return g_test_run ();
}
