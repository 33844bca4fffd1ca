/* pct-generator-reference.c — categories, departments, holidays and staff
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference data every district has before its first case: the
 * GB/T 30428.2 category table with time limits, the departments cases are
 * dispatched to, the public holidays deadlines skip, and the people who
 * work the cases. Categories and departments come first (facilities need
 * both); the workers come after the geography, since each grid cell gets
 * its own grid worker.
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "pct-calendar.h"
#include "pct-generator-private.h"
#include "pct-names.h"
#include "pct-regions.h"

#define CHINA_UTC_OFFSET (8 * 60 * 60)

typedef struct
{
  const char  *code;
  const char  *major;
  const char  *minor;
  int          time_limit;
  PctTimeUnit  time_unit;
} CategoryData;

/* GB/T 30428.2 components ('C' + major + minor, the same four digits that
 * sit inside a 16-digit component code) and events ('E' + major + minor).
 * The time limit of a component is that of repairing or replacing it when
 * a case reports it damaged or missing. Covers, signals and gas boxes are
 * hazards around the clock, so their limits are in elapsed hours. */
static const CategoryData components[] = {
  { PCT_GEN_CAT_WATER_COVER, "公用设施", "上水井盖", 4, PCT_TIME_UNIT_HOURS },
  { PCT_GEN_CAT_SEWER_COVER, "公用设施", "污水井盖", 4, PCT_TIME_UNIT_HOURS },
  { PCT_GEN_CAT_RAIN_COVER, "公用设施", "雨水井盖", 4, PCT_TIME_UNIT_HOURS },
  { "C0104", "公用设施", "雨水箅子", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "C0105", "公用设施", "电力井盖", 4, PCT_TIME_UNIT_HOURS },
  { "C0106", "公用设施", "路灯井盖", 4, PCT_TIME_UNIT_HOURS },
  { "C0107", "公用设施", "通信井盖", 4, PCT_TIME_UNIT_HOURS },
  { "C0108", "公用设施", "燃气井盖", 4, PCT_TIME_UNIT_HOURS },
  { "C0109", "公用设施", "热力井盖", 4, PCT_TIME_UNIT_HOURS },
  { PCT_GEN_CAT_HYDRANT, "公用设施", "消防栓", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0111", "公用设施", "配电箱", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0112", "公用设施", "路灯", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0113", "公用设施", "通信交接箱", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0114", "公用设施", "邮筒", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0115", "公用设施", "报刊亭", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0116", "公用设施", "燃气调压箱", 4, PCT_TIME_UNIT_HOURS },
  { PCT_GEN_CAT_CAMERA, "公用设施", "监控电子眼", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0118", "公用设施", "信息亭", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0201", "道路交通", "停车场", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0202", "道路交通", "公交站亭", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0203", "道路交通", "过街天桥", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0204", "道路交通", "地下通道", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0205", "道路交通", "交通信号灯", 4, PCT_TIME_UNIT_HOURS },
  { "C0206", "道路交通", "交通标志牌", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0207", "道路交通", "交通护栏", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0208", "道路交通", "路名牌", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0209", "道路交通", "隔音屏", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0210", "道路交通", "人行道板", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0211", "道路交通", "盲道", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0212", "道路交通", "减速带", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0301", "市容环境", "公共厕所", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "C0302", "市容环境", "垃圾箱", 8, PCT_TIME_UNIT_WORK_HOURS },
  { "C0303", "市容环境", "垃圾收集站", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "C0304", "市容环境", "灯箱霓虹灯", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0305", "市容环境", "广告牌匾", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0306", "市容环境", "户外电子屏", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0307", "市容环境", "岗亭", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0401", "园林绿化", "古树名木", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0402", "园林绿化", "行道树", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0403", "园林绿化", "护树设施", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0404", "园林绿化", "绿地", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0405", "园林绿化", "花坛花钵", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0406", "园林绿化", "雕塑", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0407", "园林绿化", "街头座椅", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0501", "房屋土地", "宣传栏", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0502", "房屋土地", "人防工事", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "C0503", "房屋土地", "公房", 10, PCT_TIME_UNIT_WORK_DAYS },
  { "C0504", "房屋土地", "危房", 24, PCT_TIME_UNIT_HOURS },
  { PCT_GEN_CAT_EXTINGUISHER, "其他设施", "灭火器", 3, PCT_TIME_UNIT_WORK_DAYS },
  { PCT_GEN_CAT_FIRE_EXIT, "其他设施", "安全出口", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0603", "其他设施", "应急照明", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0604", "其他设施", "重大危险源", 1, PCT_TIME_UNIT_DAYS },
  { "C0605", "其他设施", "工地", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "C0606", "其他设施", "水域护栏", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "C0607", "其他设施", "防汛设施", 1, PCT_TIME_UNIT_WORK_DAYS },
};

static const CategoryData events[] = {
  { "E0101", "市容环境", "私搭乱建", 15, PCT_TIME_UNIT_WORK_DAYS },
  { "E0102", "市容环境", "暴露垃圾", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0103", "市容环境", "积存垃圾渣土", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0104", "市容环境", "道路不洁", 5, PCT_TIME_UNIT_WORK_HOURS },
  { "E0105", "市容环境", "水域不洁", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0106", "市容环境", "绿地脏乱", 8, PCT_TIME_UNIT_WORK_HOURS },
  { "E0107", "市容环境", "废弃家具设备", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0108", "市容环境", "焚烧垃圾树叶", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0109", "市容环境", "餐饮油烟污染", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "E0110", "市容环境", "动物尸体", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0201", "宣传广告", "乱张贴", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0202", "宣传广告", "乱涂写乱刻画", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0203", "宣传广告", "违规户外广告", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "E0204", "宣传广告", "街头散发广告", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0205", "宣传广告", "广告牌匾破损", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "E0206", "宣传广告", "非法悬挂横幅", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0301", "施工管理", "施工扰民", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0302", "施工管理", "工地扬尘", 8, PCT_TIME_UNIT_WORK_HOURS },
  { "E0303", "施工管理", "道路遗撒", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0304", "施工管理", "施工废弃料", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0305", "施工管理", "无证掘路", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0306", "施工管理", "违法搭建", 15, PCT_TIME_UNIT_WORK_DAYS },
  { "E0307", "施工管理", "围挡破损", 2, PCT_TIME_UNIT_WORK_DAYS },
  { "E0401", "突发事件", "路面塌陷", 4, PCT_TIME_UNIT_HOURS },
  { "E0402", "突发事件", "井盖缺失/移位", 2, PCT_TIME_UNIT_HOURS },
  { "E0403", "突发事件", "道路积水", 4, PCT_TIME_UNIT_HOURS },
  { "E0404", "突发事件", "供水管道爆裂", 4, PCT_TIME_UNIT_HOURS },
  { "E0405", "突发事件", "燃气泄漏", 1, PCT_TIME_UNIT_HOURS },
  { "E0406", "突发事件", "道路结冰", 8, PCT_TIME_UNIT_HOURS },
  { "E0407", "突发事件", "树木倒伏", 4, PCT_TIME_UNIT_HOURS },
  { "E0408", "突发事件", "下水道堵塞", 8, PCT_TIME_UNIT_HOURS },
  { "E0409", "突发事件", "山体滑坡落石", 2, PCT_TIME_UNIT_HOURS },
  { "E0501", "街面秩序", "占道经营", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0502", "街面秩序", "店外经营", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0503", "街面秩序", "流动摊贩", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0504", "街面秩序", "机动车乱停放", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0505", "街面秩序", "非机动车乱停放", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0506", "街面秩序", "露天烧烤", 2, PCT_TIME_UNIT_WORK_HOURS },
  { "E0507", "街面秩序", "乞讨卖艺", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0508", "街面秩序", "噪声扰民", 4, PCT_TIME_UNIT_WORK_HOURS },
  { "E0509", "街面秩序", "违规晾晒", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0601", "市场管理", "无证照经营", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "E0602", "市场管理", "违规销售", 3, PCT_TIME_UNIT_WORK_DAYS },
  { "E0603", "市场管理", "食品安全隐患", 1, PCT_TIME_UNIT_WORK_DAYS },
  { "E0604", "市场管理", "价格欺诈", 5, PCT_TIME_UNIT_WORK_DAYS },
  { "E0605", "市场管理", "农贸市场脏乱", 1, PCT_TIME_UNIT_WORK_DAYS },
};

/* The district departments cases go to. The codes are stable: later phases
 * and imports refer to a department by its code. Street offices follow,
 * numbered on from the last of these. */
typedef struct
{
  const char *code;
  const char *name;
  gboolean    district_prefix;
} DepartmentData;

static const DepartmentData departments[] = {
  { "D01", "数字化城市管理监督指挥中心", TRUE },
  { "D02", "城市管理综合执法局", TRUE },
  { "D03", "市政设施管理处", TRUE },
  { "D04", "环境卫生管理所", TRUE },
  { "D05", "园林绿化所", TRUE },
  { "D06", "交通运输局", TRUE },
  { "D07", "住房和城乡建设委员会", TRUE },
  { "D08", "市场监督管理局", TRUE },
  { "D09", "公安分局交巡警支队", TRUE },
  { "D10", "供排水有限公司", TRUE },
  { "D11", "供电服务中心", TRUE },
  { "D12", "燃气有限公司", TRUE },
  { "D13", "消防救援支队", TRUE },
  { "D14", "生态环境局", TRUE },
  { "D15", "规划和自然资源局", TRUE },
};

#define COMMAND_CENTRE_CODE "D01"

/* Dates that depart from the Monday–Friday rule, as the State Council's
 * yearly notices set them: each holiday with the weekend days worked in
 * exchange. The notice for a year appears late in the year before, so the
 * last year here is laid out by the usual rules and marked 预排 until the
 * real one replaces it. */
typedef struct
{
  const char *first;
  const char *last;
  gboolean    workday;
  const char *name;
} HolidayData;

static const HolidayData holidays[] = {
  { "2024-01-01", "2024-01-01", FALSE, "元旦" },
  { "2024-02-04", "2024-02-04", TRUE, "春节调休上班" },
  { "2024-02-10", "2024-02-17", FALSE, "春节" },
  { "2024-02-18", "2024-02-18", TRUE, "春节调休上班" },
  { "2024-04-04", "2024-04-06", FALSE, "清明节" },
  { "2024-04-07", "2024-04-07", TRUE, "清明节调休上班" },
  { "2024-04-28", "2024-04-28", TRUE, "劳动节调休上班" },
  { "2024-05-01", "2024-05-05", FALSE, "劳动节" },
  { "2024-05-11", "2024-05-11", TRUE, "劳动节调休上班" },
  { "2024-06-08", "2024-06-10", FALSE, "端午节" },
  { "2024-09-14", "2024-09-14", TRUE, "中秋节调休上班" },
  { "2024-09-15", "2024-09-17", FALSE, "中秋节" },
  { "2024-09-29", "2024-09-29", TRUE, "国庆节调休上班" },
  { "2024-10-01", "2024-10-07", FALSE, "国庆节" },
  { "2024-10-12", "2024-10-12", TRUE, "国庆节调休上班" },

  { "2025-01-01", "2025-01-01", FALSE, "元旦" },
  { "2025-01-26", "2025-01-26", TRUE, "春节调休上班" },
  { "2025-01-28", "2025-02-04", FALSE, "春节" },
  { "2025-02-08", "2025-02-08", TRUE, "春节调休上班" },
  { "2025-04-04", "2025-04-06", FALSE, "清明节" },
  { "2025-04-27", "2025-04-27", TRUE, "劳动节调休上班" },
  { "2025-05-01", "2025-05-05", FALSE, "劳动节" },
  { "2025-05-31", "2025-06-02", FALSE, "端午节" },
  { "2025-09-28", "2025-09-28", TRUE, "国庆节调休上班" },
  { "2025-10-01", "2025-10-08", FALSE, "国庆节、中秋节" },
  { "2025-10-11", "2025-10-11", TRUE, "国庆节调休上班" },

  { "2026-01-01", "2026-01-03", FALSE, "元旦" },
  { "2026-01-04", "2026-01-04", TRUE, "元旦调休上班" },
  { "2026-02-14", "2026-02-14", TRUE, "春节调休上班" },
  { "2026-02-15", "2026-02-23", FALSE, "春节" },
  { "2026-02-28", "2026-02-28", TRUE, "春节调休上班" },
  { "2026-04-04", "2026-04-06", FALSE, "清明节" },
  { "2026-05-01", "2026-05-05", FALSE, "劳动节" },
  { "2026-05-09", "2026-05-09", TRUE, "劳动节调休上班" },
  { "2026-06-19", "2026-06-21", FALSE, "端午节" },
  { "2026-09-20", "2026-09-20", TRUE, "国庆节调休上班" },
  { "2026-09-25", "2026-09-27", FALSE, "中秋节" },
  { "2026-10-01", "2026-10-07", FALSE, "国庆节" },
  { "2026-10-10", "2026-10-10", TRUE, "国庆节调休上班" },

  { "2027-01-01", "2027-01-03", FALSE, "元旦（预排）" },
  { "2027-01-31", "2027-01-31", TRUE, "春节调休上班（预排）" },
  { "2027-02-05", "2027-02-12", FALSE, "春节（预排）" },
  { "2027-02-20", "2027-02-20", TRUE, "春节调休上班（预排）" },
  { "2027-04-03", "2027-04-05", FALSE, "清明节（预排）" },
  { "2027-04-25", "2027-04-25", TRUE, "劳动节调休上班（预排）" },
  { "2027-05-01", "2027-05-05", FALSE, "劳动节（预排）" },
  { "2027-06-09", "2027-06-09", FALSE, "端午节（预排）" },
  { "2027-09-15", "2027-09-15", FALSE, "中秋节（预排）" },
  { "2027-09-26", "2027-09-26", TRUE, "国庆节调休上班（预排）" },
  { "2027-10-01", "2027-10-07", FALSE, "国庆节（预排）" },
  { "2027-10-09", "2027-10-09", TRUE, "国庆节调休上班（预排）" },
};

/* For a year outside the table only the holidays on fixed solar dates can
 * be laid out; the lunar ones and the swapped days need the notice. */
static const struct
{
  const char *first;   /* MM-DD */
  const char *last;
  const char *name;
} fixed_holidays[] = {
  { "01-01", "01-01", "元旦（固定日期）" },
  { "05-01", "05-03", "劳动节（固定日期）" },
  { "10-01", "10-07", "国庆节（固定日期）" },
};

/* Sizes of the staff besides the grid workers, at scale 1. */
#define DISPATCHERS_LARGE     24
#define INSPECTORS_LARGE      120
#define HANDLERS_LARGE        12

static char *
district_name (const PctGenParams *params)
{
  const PctRegion *region = pct_regions_lookup (params->district_code);

  return g_strdup (region != NULL ? region->name : "");
}

static void
landline (PctRng *rng,
          char    out[16])
{
  gint64 number = pct_rng_range (rng, 40000000, 90000000);

  g_snprintf (out, 16, "023-%08" G_GINT64_FORMAT, number);
}

static gboolean
insert_categories (PctStore            *store,
                   const CategoryData  *data,
                   guint                n,
                   const char          *kind,
                   GError             **error)
{
  sqlite3_stmt *stmt;

  for (guint i = 0; i < n; i++)
    {
      stmt = pct_store_prepare (store,
                                "INSERT INTO categories (code, kind, major, minor, time_limit, "
                                "time_unit) VALUES (?, ?, ?, ?, ?, ?)",
                                error);
      if (stmt == NULL)
        return FALSE;

      sqlite3_bind_text (stmt, 1, data[i].code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, data[i].major, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, data[i].minor, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, data[i].time_limit);
      sqlite3_bind_text (stmt, 6, pct_time_unit_to_string (data[i].time_unit), -1,
                         SQLITE_STATIC);
      if (!pct_store_step_done (store, stmt, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
insert_department (PctStore    *store,
                   const char  *code,
                   const char  *name,
                   const char  *phone,
                   GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT INTO departments (code, name, phone) "
                                          "VALUES (?, ?, ?)",
                                          error);

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, phone, -1, SQLITE_TRANSIENT);
  return pct_store_step_done (store, stmt, error);
}

/* Gives every street (街道) and township (镇, 乡) of the district its
 * office as a department, unless it has one. Called both before the
 * geography (when the driver has loaded the regions already) and after it,
 * so street offices exist whichever way the regions arrive. */
static gboolean
ensure_street_offices (PctStore  *store,
                       PctRng    *rng,
                       GError   **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int next_number = 0;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT max(CAST(substr(code, 2) AS INTEGER)) FROM departments "
                            "WHERE code GLOB 'D[0-9]*'",
                            error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    next_number = sqlite3_column_int (stmt, 0) + 1;
  sqlite3_reset (stmt);

  /* Collected first: the departments cannot be inserted while this
   * statement still reads. */
  stmt = pct_store_prepare (store,
                            "SELECT r.name || CASE r.level WHEN 23 THEN '办事处' "
                            "                                ELSE '人民政府' END AS office "
                            "FROM regions r "
                            "WHERE r.level IN (21, 22, 23) "
                            "  AND NOT EXISTS (SELECT 1 FROM departments d "
                            "                  WHERE d.name = r.name || CASE r.level "
                            "                    WHEN 23 THEN '办事处' ELSE '人民政府' END) "
                            "ORDER BY r.code",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "street offices");

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *code = g_strdup_printf ("D%02d", next_number++);
      char phone[16];

      landline (rng, phone);
      if (!insert_department (store, code, g_ptr_array_index (names, i), phone, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
insert_calendar_day (PctStore    *store,
                     const GDate *date,
                     gboolean     workday,
                     const char  *name,
                     GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT INTO calendar (date, workday, name) "
                                          "VALUES (?, ?, ?) "
                                          "ON CONFLICT (date) DO UPDATE SET "
                                          "workday = excluded.workday, name = excluded.name",
                                          error);
  char text[16];

  if (stmt == NULL)
    return FALSE;

  g_snprintf (text, sizeof text, "%04d-%02d-%02d", g_date_get_year (date),
              g_date_get_month (date), g_date_get_day (date));
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, workday ? 1 : 0);
  sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
parse_iso_date (const char *text,
                GDate      *date)
{
  int year;
  int month;
  int day;

  if (sscanf (text, "%d-%d-%d", &year, &month, &day) != 3
      || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return FALSE;

  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) day, (GDateMonth) month, (GDateYear) year);
  return TRUE;
}

static gboolean
insert_range (PctStore    *store,
              const char  *first,
              const char  *last,
              gboolean     workday,
              const char  *name,
              GError     **error)
{
  GDate day;
  GDate end;

  if (!parse_iso_date (first, &day) || !parse_iso_date (last, &end))
    g_return_val_if_reached (FALSE);

  for (; g_date_compare (&day, &end) <= 0; g_date_add_days (&day, 1))
    {
      if (!insert_calendar_day (store, &day, workday, name, error))
        return FALSE;
    }

  return TRUE;
}

/* The year before the reference time (the case history reaches into it),
 * its own year and the next (deadlines of late cases run into it). */
static gboolean
insert_calendar (PctStore            *store,
                 const PctGenParams  *params,
                 GError             **error)
{
  g_autoptr(GDateTime) reference = g_date_time_new_from_unix_utc (params->reference_time
                                                                  + CHINA_UTC_OFFSET);
  int reference_year = g_date_time_get_year (reference);

  for (int year = reference_year - 1; year <= reference_year + 1; year++)
    {
      char prefix[8];
      gboolean known = FALSE;

      g_snprintf (prefix, sizeof prefix, "%04d-", year);
      for (guint i = 0; i < G_N_ELEMENTS (holidays); i++)
        {
          if (!g_str_has_prefix (holidays[i].first, prefix))
            continue;
          known = TRUE;
          if (!insert_range (store, holidays[i].first, holidays[i].last, holidays[i].workday,
                             holidays[i].name, error))
            return FALSE;
        }

      for (guint i = 0; !known && i < G_N_ELEMENTS (fixed_holidays); i++)
        {
          g_autofree char *first = g_strconcat (prefix, fixed_holidays[i].first, NULL);
          g_autofree char *last = g_strconcat (prefix, fixed_holidays[i].last, NULL);

          if (!insert_range (store, first, last, FALSE, fixed_holidays[i].name, error))
            return FALSE;
        }
    }

  return TRUE;
}

gboolean
_pct_gen_reference_data (PctStore            *store,
                         const PctGenParams  *params,
                         GError             **error)
{
  g_autofree char *district = district_name (params);
  PctRng rng;

  pct_rng_init (&rng, params->seed, "reference");

  if (!insert_categories (store, components, G_N_ELEMENTS (components), "component", error)
      || !insert_categories (store, events, G_N_ELEMENTS (events), "event", error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (departments); i++)
    {
      g_autofree char *name = g_strconcat (departments[i].district_prefix ? district : "",
                                           departments[i].name, NULL);
      char phone[16];

      landline (&rng, phone);
      if (!insert_department (store, departments[i].code, name, phone, error))
        return FALSE;
    }

  if (!ensure_street_offices (store, &rng, error))
    return FALSE;

  return insert_calendar (store, params, error);
}

/* Workers ------------------------------------------------------------------ */

static gboolean
insert_worker (PctStore    *store,
               PctRng      *rng,
               const char  *role,
               gint64       department_id,
               gint64       grid_id,
               GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT INTO workers (name, phone, role, "
                                          "department_id, grid_id) VALUES (?, ?, ?, ?, ?)",
                                          error);
  gboolean male = pct_rng_chance (rng, 0.55);
  int birth_year = (int) pct_rng_range (rng, 1966, 2002);
  g_autofree char *name = NULL;
  char phone[PCT_NAMES_PHONE_SIZE];

  if (stmt == NULL)
    return FALSE;

  name = pct_names_person (rng, male, birth_year);
  pct_names_mobile (rng, phone);

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, phone, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, role, -1, SQLITE_STATIC);
  if (department_id > 0)
    sqlite3_bind_int64 (stmt, 4, department_id);
  if (grid_id > 0)
    sqlite3_bind_int64 (stmt, 5, grid_id);
  return pct_store_step_done (store, stmt, error);
}

static gint64
department_id_for_code (PctStore    *store,
                        const char  *code,
                        GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT id FROM departments WHERE code = ?",
                                          error);
  gint64 id = 0;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

static int
scaled (double value,
        double scale,
        int    minimum)
{
  return MAX (minimum, (int) lround (value * scale));
}

gboolean
_pct_gen_workers (PctStore            *store,
                  const PctGenParams  *params,
                  GError             **error)
{
  g_autoptr(GArray) grids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) grid_departments = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* The command centre's staff grows with the district more slowly than
   * the cases do: a shift needs its dispatchers whatever the size. */
  int n_dispatchers = scaled (DISPATCHERS_LARGE, sqrt (params->scale), 3);
  int n_inspectors = scaled (INSPECTORS_LARGE, params->scale, 4);
  int n_handlers = scaled (HANDLERS_LARGE, sqrt (params->scale), 2);
  gint64 centre_id;
  sqlite3_stmt *stmt;
  PctRng rng;
  int rc;

  pct_rng_init (&rng, params->seed, "workers");

  if (!ensure_street_offices (store, &rng, error))
    return FALSE;

  /* The office of the street (or township) whose community holds the
   * cell; a cell without a community falls back on the command centre. */
  stmt = pct_store_prepare (store,
                            "SELECT g.id, coalesce (d.id, 0) FROM grid_cells g "
                            "LEFT JOIN regions c ON c.code = g.community_code "
                            "LEFT JOIN regions s ON s.code = c.parent_code "
                            "LEFT JOIN departments d ON d.name = s.name || "
                            "  CASE s.level WHEN 23 THEN '办事处' ELSE '人民政府' END "
                            "ORDER BY g.id",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 grid_id = sqlite3_column_int64 (stmt, 0);
      gint64 department_id = sqlite3_column_int64 (stmt, 1);

      g_array_append_val (grids, grid_id);
      g_array_append_val (grid_departments, department_id);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "grid cells");

  centre_id = department_id_for_code (store, COMMAND_CENTRE_CODE, error);
  if (centre_id < 0)
    return FALSE;

  for (guint i = 0; i < grids->len; i++)
    {
      gint64 department_id = g_array_index (grid_departments, gint64, i);

      if (!insert_worker (store, &rng, "grid_worker",
                          department_id > 0 ? department_id : centre_id,
                          g_array_index (grids, gint64, i), error))
        return FALSE;
    }

  /* The command centre's own staff: dispatchers (受理员, 值班长) who file
   * and dispatch cases, and inspectors (监督员) who report and verify. */
  for (int i = 0; i < n_dispatchers; i++)
    {
      if (!insert_worker (store, &rng, "dispatcher", centre_id, 0, error))
        return FALSE;
    }
  for (int i = 0; i < n_inspectors; i++)
    {
      if (!insert_worker (store, &rng, "inspector", centre_id, 0, error))
        return FALSE;
    }

  /* Handlers in every department that receives cases. */
  for (guint i = 1; i < G_N_ELEMENTS (departments); i++)
    {
      gint64 department_id = department_id_for_code (store, departments[i].code, error);

      if (department_id < 0)
        return FALSE;
      if (department_id == 0)
        continue;
      for (int j = 0; j < n_handlers; j++)
        {
          if (!insert_worker (store, &rng, "handler", department_id, 0, error))
            return FALSE;
        }
    }

  return TRUE;
}
