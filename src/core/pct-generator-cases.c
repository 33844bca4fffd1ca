/* pct-generator-cases.c — a year of incidents and their work orders
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each order is lived through from report to evaluation, GB/T 30428.8
 * step by step, on the district's working calendar; what lies after the
 * reference time is cut off, so that the orders of the last days are open
 * in whatever state they had reached, and the late ones among them are
 * overdue. An order is meant to be late or on time before its timeline is
 * drawn, so the share of overdue closures is set rather than accidental.
 *
 * Events, as (action: from_state → to_state):
 *   report: (none) → reported      file: reported → filed
 *   dispatch: filed|returned → dispatched        return: dispatched → returned
 *   dispose: dispatched → disposing              feedback: disposing → disposed
 *   verify: disposed → verifying                 rework: verifying → disposing
 *   close: verifying → closed                    evaluate: closed → evaluated
 *   void: filed|returned → voided                park: disposing → parked
 *   extend, escalate: the state they happen in, unchanged
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pct-calendar.h"
#include "pct-generator-private.h"
#include "pct-regions.h"

#define ORDERS_LARGE          100000
#define UNFILED_RATE          0.02
#define VOID_RATE             0.03
#define RETURN_RATE           0.05
#define REWORK_RATE           0.04
#define EXTENSION_RATE        0.05
#define PARK_RATE             0.02
#define LATE_RATE             0.12
#define LATE_RATE_RETURNED    0.30
#define STUCK_RATE            0.15
#define STUCK_WINDOW          (30 * DAY)
#define EVALUATION_RATE       0.85
#define ESCALATION_OF_LATE    0.22
#define MINUTE                60
#define HOUR                  (60 * MINUTE)
#define DAY                   (24 * HOUR)
#define HISTORY               (365 * DAY)
#define CHINA_UTC_OFFSET      (8 * HOUR)
#define MAX_EVENTS            32
#define JITTER_DEGREES        0.00012

typedef enum
{
  SOURCE_GRID_WORKER,
  SOURCE_INSPECTOR,
  SOURCE_HOTLINE,
  SOURCE_CITIZEN,
  SOURCE_SENSOR,
  SOURCE_OPERATOR,
  N_SOURCES
} Source;

static const char * const source_names[N_SOURCES] = {
  [SOURCE_GRID_WORKER] = "grid_worker",
  [SOURCE_INSPECTOR] = "inspector",
  [SOURCE_HOTLINE] = "hotline",
  [SOURCE_CITIZEN] = "citizen",
  [SOURCE_SENSOR] = "sensor",
  [SOURCE_OPERATOR] = "operator",
};

static const double source_weights[N_SOURCES] = {
  [SOURCE_GRID_WORKER] = 0.40,
  [SOURCE_INSPECTOR] = 0.22,
  [SOURCE_HOTLINE] = 0.20,
  [SOURCE_CITIZEN] = 0.10,
  [SOURCE_SENSOR] = 0.05,
  [SOURCE_OPERATOR] = 0.03,
};

typedef struct
{
  const char *text;     /* {p} is the place, {n} a number in [lo, hi] */
  int         lo;
  int         hi;
} Template;

/* How often a category comes up, who handles it and how it is described.
 * Department codes are those of pct-generator-reference.c. */
typedef struct
{
  const char *code;
  double      weight;
  const char *department;
  int         severity;
  guint       sensor : 1;       /* IoT devices report it (covers, hydrants, water level, gas) */
  guint       street_level : 1; /* a grid worker or street office may handle it */
  Template    templates[3];
} CaseProfile;

static const CaseProfile profiles[] = {
  { "E0101", 2.0, "D02", 2, 0, 1, { { "{p}楼顶私自搭建彩钢棚约{n}平方米", 10, 80 },
                                   { "{p}底楼住户占用公共绿地私搭棚屋", 0, 0 } } },
  { "E0102", 12.0, "D04", 1, 0, 1, { { "{p}有暴露垃圾约{n}袋未及时清运", 2, 15 },
                                    { "{p}绿化带内堆放生活垃圾约{n}平方米", 1, 6 } } },
  { "E0103", 4.0, "D04", 2, 0, 0, { { "{p}堆放建筑渣土约{n}立方米", 1, 20 } } },
  { "E0104", 7.0, "D04", 1, 0, 1, { { "{p}路面有泥浆污渍约{n}米", 5, 60 },
                                   { "{p}人行道积存落叶和烟头，路面不洁", 0, 0 } } },
  { "E0105", 0.8, "D04", 2, 0, 0, { { "{p}附近河面漂浮垃圾约{n}平方米", 2, 30 } } },
  { "E0106", 2.0, "D05", 1, 0, 1, { { "{p}绿地内散落垃圾，环境脏乱", 0, 0 } } },
  { "E0107", 3.0, "D04", 1, 0, 1, { { "{p}丢弃旧沙发、床垫等废弃家具{n}件", 1, 6 } } },
  { "E0108", 0.6, "D02", 2, 0, 1, { { "{p}有人焚烧垃圾树叶，烟雾较大", 0, 0 } } },
  { "E0109", 0.8, "D14", 2, 0, 0, { { "{p}餐馆未安装油烟净化设施，油烟扰民", 0, 0 } } },
  { "E0110", 0.3, "D04", 1, 0, 0, { { "{p}路面有动物尸体", 0, 0 } } },
  { "E0201", 9.0, "D02", 1, 0, 1, { { "{p}电杆上乱张贴小广告约{n}处", 3, 30 },
                                   { "{p}墙面张贴办证、开锁小广告", 0, 0 } } },
  { "E0202", 2.0, "D02", 1, 0, 1, { { "{p}墙面被乱涂写约{n}处", 2, 15 } } },
  { "E0203", 1.0, "D02", 2, 0, 0, { { "{p}未经审批设置户外广告牌{n}块", 1, 4 } } },
  { "E0204", 1.0, "D02", 1, 0, 1, { { "{p}有人散发小广告传单", 0, 0 } } },
  { "E0205", 1.0, "D02", 2, 0, 0, { { "{p}商铺广告牌匾破损，存在坠落隐患", 0, 0 } } },
  { "E0206", 0.8, "D02", 1, 0, 1, { { "{p}私自悬挂横幅{n}条", 1, 5 } } },
  { "E0301", 1.5, "D07", 2, 0, 0, { { "{p}工地夜间{n}点后仍在施工，噪声扰民", 22, 24 } } },
  { "E0302", 2.0, "D07", 2, 0, 0, { { "{p}工地裸土未覆盖，扬尘较大", 0, 0 },
                                   { "{p}施工现场未采取降尘措施", 0, 0 } } },
  { "E0303", 2.0, "D02", 2, 0, 0, { { "{p}渣土车沿路遗撒约{n}米", 20, 300 } } },
  { "E0304", 1.0, "D07", 2, 0, 0, { { "{p}堆放施工废弃料约{n}立方米", 1, 10 } } },
  { "E0305", 0.3, "D03", 2, 0, 0, { { "{p}有单位未经许可开挖路面约{n}米", 5, 40 } } },
  { "E0306", 1.0, "D02", 2, 0, 0, { { "{p}未经审批新建砖混结构房屋约{n}平方米", 20, 200 } } },
  { "E0307", 0.8, "D07", 2, 0, 0, { { "{p}工地围挡破损约{n}米", 2, 20 } } },
  { "E0401", 0.4, "D03", 3, 0, 0, { { "{p}路面塌陷约{n}平方米", 1, 12 } } },
  { "E0402", 1.0, "D03", 3, 1, 0, { { "{p}井盖移位约{n}度", 10, 45 },
                                   { "{p}井盖缺失，存在安全隐患", 0, 0 } } },
  { "E0403", 1.0, "D03", 3, 1, 0, { { "{p}道路积水深约{n}厘米", 10, 40 } } },
  { "E0404", 0.5, "D10", 3, 0, 0, { { "{p}供水管道爆裂，路面冒水", 0, 0 } } },
  { "E0405", 0.1, "D12", 4, 1, 0, { { "{p}闻到明显燃气味，疑似燃气泄漏", 0, 0 } } },
  { "E0406", 0.1, "D03", 3, 0, 0, { { "{p}路面结冰，行人易滑倒", 0, 0 } } },
  { "E0407", 0.5, "D05", 3, 0, 0, { { "{p}行道树倒伏，阻断{n}条车道", 1, 2 } } },
  { "E0408", 1.0, "D10", 2, 0, 0, { { "{p}下水道堵塞，污水外溢", 0, 0 } } },
  { "E0409", 0.2, "D15", 3, 0, 0, { { "{p}边坡落石约{n}块", 2, 20 } } },
  { "E0501", 10.0, "D02", 1, 0, 1, { { "{p}有{n}个摊位占道经营水果蔬菜", 1, 6 },
                                    { "{p}商贩占用人行道经营，影响通行", 0, 0 } } },
  { "E0502", 6.0, "D02", 1, 0, 1, { { "{p}商户在店外摆放桌椅经营", 0, 0 },
                                   { "{p}餐馆占用门前人行道约{n}平方米经营", 3, 30 } } },
  { "E0503", 4.0, "D02", 1, 0, 1, { { "{p}有流动摊贩{n}处叫卖", 1, 5 } } },
  { "E0504", 7.0, "D09", 2, 0, 0, { { "{p}有{n}辆机动车占用人行道停放", 1, 8 },
                                   { "{p}机动车违停堵塞消防通道", 0, 0 } } },
  { "E0505", 5.0, "D02", 1, 0, 1, { { "{p}共享单车乱停放约{n}辆", 5, 40 } } },
  { "E0506", 2.0, "D02", 2, 0, 1, { { "{p}夜间露天烧烤，油烟扰民", 0, 0 } } },
  { "E0507", 0.3, "D02", 1, 0, 1, { { "{p}有人占道乞讨", 0, 0 } } },
  { "E0508", 2.0, "D14", 2, 0, 0, { { "{p}商铺使用高音喇叭招揽顾客，噪声扰民", 0, 0 } } },
  { "E0509", 0.8, "D02", 1, 0, 1, { { "{p}沿街晾晒衣物", 0, 0 } } },
  { "E0601", 0.6, "D08", 2, 0, 0, { { "{p}有商户无证照经营", 0, 0 } } },
  { "E0602", 0.3, "D08", 2, 0, 0, { { "{p}商户违规销售散装食品", 0, 0 } } },
  { "E0603", 0.3, "D08", 2, 0, 0, { { "{p}餐饮店后厨卫生条件差，存在食品安全隐患", 0, 0 } } },
  { "E0604", 0.2, "D08", 1, 0, 0, { { "{p}商户未明码标价", 0, 0 } } },
  { "E0605", 0.5, "D08", 1, 0, 0, { { "{p}农贸市场内垃圾未及时清理", 0, 0 } } },
  { PCT_GEN_CAT_WATER_COVER, 1.5, "D10", 3, 1, 0, { { "{p}上水井盖破损", 0, 0 },
                                                   { "{p}上水井盖移位约{n}厘米", 3, 20 },
                                                   { "{p}上水井盖缺失，已临时围挡", 0, 0 } } },
  { PCT_GEN_CAT_SEWER_COVER, 1.5, "D10", 2, 1, 0, { { "{p}污水井盖破损，有异味溢出", 0, 0 },
                                                   { "{p}污水井盖下沉约{n}厘米", 2, 10 } } },
  { PCT_GEN_CAT_RAIN_COVER, 1.5, "D03", 2, 1, 0, { { "{p}雨水井盖破损", 0, 0 },
                                                  { "{p}雨水井盖移位约{n}度", 10, 45 } } },
  { "C0104", 1.0, "D03", 2, 0, 0, { { "{p}雨水箅子缺失{n}块", 1, 3 },
                                   { "{p}雨水箅子堵塞", 0, 0 } } },
  { "C0105", 0.5, "D11", 2, 1, 0, { { "{p}电力井盖破损", 0, 0 } } },
  { "C0107", 0.5, "D03", 2, 1, 0, { { "{p}通信井盖松动，车辆经过时异响", 0, 0 } } },
  { PCT_GEN_CAT_HYDRANT, 0.6, "D13", 3, 1, 0, { { "{p}消防栓漏水", 0, 0 },
                                               { "{p}消防栓被撞倒", 0, 0 },
                                               { "{p}消防栓出水压力不足", 0, 0 } } },
  { "C0112", 2.5, "D03", 2, 0, 0, { { "{p}路灯不亮，共{n}盏", 1, 8 },
                                   { "{p}路灯灯杆倾斜", 0, 0 } } },
  { PCT_GEN_CAT_CAMERA, 0.3, "D09", 2, 0, 0, { { "{p}监控电子眼损坏，画面无信号", 0, 0 } } },
  { "C0202", 0.4, "D06", 2, 0, 0, { { "{p}公交站亭玻璃破损", 0, 0 } } },
  { "C0205", 0.4, "D09", 3, 0, 0, { { "{p}交通信号灯故障，{n}个方向不亮", 1, 4 } } },
  { "C0206", 0.4, "D09", 2, 0, 0, { { "{p}交通标志牌被树枝遮挡", 0, 0 },
                                   { "{p}交通标志牌倾斜", 0, 0 } } },
  { "C0207", 0.8, "D06", 2, 0, 0, { { "{p}交通护栏损坏约{n}米", 2, 30 } } },
  { "C0208", 0.3, "D03", 1, 0, 0, { { "{p}路名牌缺失", 0, 0 } } },
  { "C0210", 1.5, "D03", 2, 0, 0, { { "{p}人行道板松动破损约{n}平方米", 1, 15 } } },
  { "C0212", 0.2, "D06", 1, 0, 0, { { "{p}减速带损坏", 0, 0 } } },
  { "C0301", 0.6, "D04", 2, 0, 0, { { "{p}公共厕所设施损坏，无法使用", 0, 0 },
                                   { "{p}公共厕所保洁不到位", 0, 0 } } },
  { "C0302", 1.5, "D04", 1, 0, 1, { { "{p}垃圾箱破损", 0, 0 },
                                   { "{p}垃圾箱满溢未清运", 0, 0 } } },
  { "C0305", 0.5, "D02", 2, 0, 0, { { "{p}广告牌匾松动，存在坠落隐患", 0, 0 } } },
  { "C0402", 1.2, "D05", 1, 0, 0, { { "{p}行道树枯死{n}株", 1, 4 },
                                   { "{p}行道树枝条遮挡交通标志", 0, 0 } } },
  { "C0403", 0.4, "D05", 1, 0, 0, { { "{p}护树设施损坏", 0, 0 } } },
  { "C0404", 0.6, "D05", 1, 0, 0, { { "{p}绿地被踩踏毁坏约{n}平方米", 2, 30 } } },
  { "C0407", 0.2, "D05", 1, 0, 0, { { "{p}街头座椅损坏", 0, 0 } } },
  { "C0501", 0.3, "D03", 1, 0, 1, { { "{p}宣传栏玻璃破损", 0, 0 } } },
  { PCT_GEN_CAT_EXTINGUISHER, 0.3, "D13", 2, 0, 0, { { "{p}灭火器过期未更换{n}具", 1, 6 },
                                                    { "{p}灭火器缺失", 0, 0 } } },
  { PCT_GEN_CAT_FIRE_EXIT, 0.2, "D13", 3, 0, 0, { { "{p}安全出口指示灯不亮", 0, 0 },
                                                 { "{p}安全出口被杂物堵塞", 0, 0 } } },
};

/* Where along a door or in a compound the problem is. */
static const char * const door_spots[] = { "门前", "门前", "旁", "对面", "附近", "路段" };
static const char * const compound_spots[] = { "楼下", "旁", "附近", "入口处" };

static const char * const void_notes[] = {
  "重复上报，已合并", "不属于城市管理受理范围", "现场核实无此问题", "上报信息不全，无法核实",
};
static const char * const rework_notes[] = {
  "核查未通过：现场仍有残留", "核查未通过：问题反弹", "核查未通过：处置不彻底",
  "核查未通过：照片与现场不符",
};
static const char * const return_notes[] = {
  "非本单位职责，申请退回", "权属不清，申请退回重新派遣",
};

/* Satisfaction 1–5 given by the reporter, by whether the case closed in
 * time. */
static const double scores_on_time[] = { 0.01, 0.02, 0.07, 0.30, 0.60 };
static const double scores_late[] = { 0.08, 0.20, 0.35, 0.27, 0.10 };

/* Hour-of-day weights of reports from people; sensors report any time. */
static const double hour_weights[24] = {
  0.3, 0.2, 0.2, 0.2, 0.2, 0.4, 0.8, 2.0, 4.0, 6.0, 6.0, 5.5,
  4.0, 4.5, 5.5, 5.5, 5.0, 4.0, 3.0, 2.5, 2.0, 1.5, 1.0, 0.6,
};

typedef struct
{
  gint64             id;
  const CaseProfile *profile;
  int                time_limit;
  PctTimeUnit        time_unit;
  gint64             department_id;
  GArray            *facilities;   /* Place, for component categories */
} Category;

typedef struct
{
  gint64      address_id;
  gint64      grid_id;
  double      lon;
  double      lat;
  const char *road;
  const char *door;
  const char *compound;
  const char *building;
  const char *display;
} Place;

typedef struct
{
  gint64      id;
  const char *name;
  gint64      department_id;
} Worker;

typedef struct
{
  const char *action;
  const char *from;
  const char *to;
  const char *actor;
  gint64      department_id;
  gint64      at;
  const char *note;
} Event;

typedef struct
{
  gint64 reported_at;
  gint64 filed_at;
  Source source;
} Seed;

typedef struct
{
  PctStore           *store;
  const PctGenParams *params;
  PctRng              rng;
  PctCalendar        *calendar;
  GStringChunk       *strings;

  GArray             *categories;       /* Category with a profile */
  double             *category_weights;
  GArray             *places;           /* Place */
  GArray             *dispatchers;      /* Worker */
  GArray             *inspectors;       /* Worker */
  GHashTable         *handlers;         /* department id → GArray of Worker */
  GHashTable         *grid_workers;     /* grid id → Worker * */
  GArray             *all_workers;      /* Worker, owns what grid_workers points at */
  GArray             *functional_departments; /* gint64 */

  const char         *number_prefix;
  gint64              window_start;
  gint64              reference;

  GString            *description;
  char                uuid[37];

  guint64             n_orders;
  guint64             n_events;
  guint64             n_unfiled;
  gint64              next_incident_id;
  gint64              next_order_id;
  int                 temp_cache_size;
} CaseContext;

/* Two-letter abbreviations of Chongqing's districts for order numbers;
 * other districts number their orders under AJ (案卷). */
static const struct
{
  const char *code;
  const char *prefix;
} number_prefixes[] = {
  { "500101", "WZ" }, { "500102", "FL" }, { "500103", "YZ" }, { "500104", "DK" },
  { "500105", "JB" }, { "500106", "SP" }, { "500107", "JL" }, { "500108", "NA" },
  { "500109", "BB" }, { "500110", "QJ" }, { "500111", "DZ" }, { "500112", "YB" },
  { "500113", "BN" }, { "500114", "QZ" }, { "500115", "CS" }, { "500116", "JJ" },
  { "500117", "HC" }, { "500118", "YC" }, { "500119", "NC" }, { "500120", "BS" },
};

static void
report_progress (CaseContext *ctx,
                 guint64      done,
                 guint64      total)
{
  _pct_gen_report (ctx->params, "cases", done, total);
}

static gint64
rng_between (PctRng *rng,
             gint64  lo,
             gint64  hi)
{
  return hi > lo ? pct_rng_range (rng, lo, hi) : lo;
}

/* A duration with a long right tail, as waiting times have: the median is
 * median seconds, clamped to [lo, hi]. */
static gint64
lognormal_duration (PctRng *rng,
                    double  median,
                    double  sigma,
                    gint64  lo,
                    gint64  hi)
{
  double value = median * exp (pct_rng_normal (rng, 0.0, sigma));

  return CLAMP ((gint64) value, lo, hi);
}

static const char *
pick_string (PctRng             *rng,
             const char * const *strings,
             guint               n)
{
  return strings[pct_rng_range (rng, 0, n)];
}

/* Random hex in the shape of a version 4 UUID, from the generator's own
 * stream so that the same seed gives the same identifiers. */
static const char *
make_uuid (CaseContext *ctx)
{
  guint64 high = pct_rng_next (&ctx->rng);
  guint64 low = pct_rng_next (&ctx->rng);

  g_snprintf (ctx->uuid, sizeof ctx->uuid, "%08x-%04x-4%03x-%04x-%012" G_GINT64_MODIFIER "x",
              (guint) (high >> 32), (guint) ((high >> 16) & 0xffff), (guint) (high & 0xfff),
              (guint) (0x8000 | ((low >> 48) & 0x3fff)),
              (guint64) (low & G_GUINT64_CONSTANT (0xffffffffffff)));
  return ctx->uuid;
}

static const char *
nullable_text (sqlite3_stmt *stmt,
               int           column,
               GStringChunk *strings)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text != NULL && *text != '\0' ? g_string_chunk_insert_const (strings, text) : NULL;
}

static const CaseProfile *
find_profile (const char *code)
{
  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      if (g_strcmp0 (profiles[i].code, code) == 0)
        return &profiles[i];
    }

  return NULL;
}

static gint64
department_id (CaseContext *ctx,
               const char  *code)
{
  sqlite3_stmt *stmt = pct_store_prepare (ctx->store, "SELECT id FROM departments WHERE code = ?",
                                          NULL);
  gint64 id = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

static void
category_clear (gpointer data)
{
  Category *category = data;

  g_clear_pointer (&category->facilities, g_array_unref);
}

static gboolean
load_categories (CaseContext  *ctx,
                 GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT id, code, time_limit, time_unit FROM categories ORDER BY id",
                            error);
  if (stmt == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Category category = { 0 };

      category.profile = find_profile ((const char *) sqlite3_column_text (stmt, 1));
      if (category.profile == NULL || category.profile->weight <= 0)
        continue;
      category.id = sqlite3_column_int64 (stmt, 0);
      category.time_limit = sqlite3_column_int (stmt, 2);
      if (!pct_time_unit_from_string ((const char *) sqlite3_column_text (stmt, 3),
                                      &category.time_unit)
          || category.time_limit <= 0)
        {
          /* A category without a limit still gets a deadline: a working
           * week is what a district would give an unlisted minor class. */
          category.time_limit = 5;
          category.time_unit = PCT_TIME_UNIT_WORK_DAYS;
        }
      g_array_append_val (ctx->categories, category);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "categories");

  if (ctx->categories->len == 0)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   "The store has no case categories; reference data must come first");
      return FALSE;
    }

  ctx->category_weights = g_new (double, ctx->categories->len);
  for (guint i = 0; i < ctx->categories->len; i++)
    {
      Category *category = &g_array_index (ctx->categories, Category, i);

      ctx->category_weights[i] = category->profile->weight;
      category->department_id = department_id (ctx, category->profile->department);
    }

  return TRUE;
}

static gboolean
load_places (CaseContext  *ctx,
             GError      **error)
{
  sqlite3_stmt *stmt;
  GHashTable *by_category;
  int rc;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT a.id, coalesce (a.grid_id, 0), a.lon, a.lat, r.name, "
                            "       a.door_number, a.compound, a.building_no, a.display "
                            "FROM addresses a LEFT JOIN roads r ON r.id = a.road_id "
                            "WHERE a.kind IN ('door', 'building') ORDER BY a.id",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Place place = {
        .address_id = sqlite3_column_int64 (stmt, 0),
        .grid_id = sqlite3_column_int64 (stmt, 1),
        .lon = sqlite3_column_double (stmt, 2),
        .lat = sqlite3_column_double (stmt, 3),
        .road = nullable_text (stmt, 4, ctx->strings),
        .door = nullable_text (stmt, 5, ctx->strings),
        .compound = nullable_text (stmt, 6, ctx->strings),
        .building = nullable_text (stmt, 7, ctx->strings),
        .display = g_string_chunk_insert (ctx->strings,
                                          (const char *) sqlite3_column_text (stmt, 8)),
      };

      g_array_append_val (ctx->places, place);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "addresses");

  /* Component cases happen at the components themselves. */
  by_category = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < ctx->categories->len; i++)
    {
      Category *category = &g_array_index (ctx->categories, Category, i);

      g_hash_table_insert (by_category, &category->id, category);
    }

  /* A facility at a crossing has no address; its name says where it is
   * ("上水井盖 某路与某路交叉口"), and its cell is the one around it. */
  stmt = pct_store_prepare (ctx->store,
                            "SELECT f.category_id, coalesce (f.address_id, 0), "
                            "       coalesce (a.grid_id, (SELECT g.id FROM grid_rtree g "
                            "         WHERE g.min_lon <= f.lon AND g.max_lon >= f.lon "
                            "           AND g.min_lat <= f.lat AND g.max_lat >= f.lat "
                            "         ORDER BY g.id LIMIT 1), 0), "
                            "       f.lon, f.lat, r.name, a.door_number, a.compound, "
                            "       a.building_no, coalesce (a.display, "
                            "         CASE WHEN instr (f.name, ' ') > 0 "
                            "              THEN substr (f.name, instr (f.name, ' ') + 1) "
                            "              ELSE f.name END) "
                            "FROM facilities f LEFT JOIN addresses a ON a.id = f.address_id "
                            "LEFT JOIN roads r ON r.id = a.road_id ORDER BY f.id",
                            error);
  if (stmt == NULL)
    {
      g_hash_table_unref (by_category);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 category_id = sqlite3_column_int64 (stmt, 0);
      Category *category = g_hash_table_lookup (by_category, &category_id);
      Place place;

      if (category == NULL)
        continue;

      place = (Place) {
        .address_id = sqlite3_column_int64 (stmt, 1),
        .grid_id = sqlite3_column_int64 (stmt, 2),
        .lon = sqlite3_column_double (stmt, 3),
        .lat = sqlite3_column_double (stmt, 4),
        .road = nullable_text (stmt, 5, ctx->strings),
        .door = nullable_text (stmt, 6, ctx->strings),
        .compound = nullable_text (stmt, 7, ctx->strings),
        .building = nullable_text (stmt, 8, ctx->strings),
        .display = g_string_chunk_insert (ctx->strings,
                                          (const char *) sqlite3_column_text (stmt, 9)),
      };
      if (category->facilities == NULL)
        category->facilities = g_array_new (FALSE, FALSE, sizeof (Place));
      g_array_append_val (category->facilities, place);
    }
  sqlite3_reset (stmt);
  g_hash_table_unref (by_category);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "facilities");

  return TRUE;
}

static void
worker_array_free (gpointer data)
{
  g_array_unref (data);
}

static gboolean
load_workers (CaseContext  *ctx,
              GError      **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GArray) grids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT id, name, role, coalesce (department_id, 0), "
                            "       coalesce (grid_id, 0) FROM workers ORDER BY id",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *role = (const char *) sqlite3_column_text (stmt, 2);
      gint64 grid_id = sqlite3_column_int64 (stmt, 4);
      Worker worker = {
        .id = sqlite3_column_int64 (stmt, 0),
        .name = g_string_chunk_insert (ctx->strings, (const char *) sqlite3_column_text (stmt, 1)),
        .department_id = sqlite3_column_int64 (stmt, 3),
      };

      if (g_strcmp0 (role, "dispatcher") == 0)
        g_array_append_val (ctx->dispatchers, worker);
      else if (g_strcmp0 (role, "inspector") == 0)
        g_array_append_val (ctx->inspectors, worker);
      else if (g_strcmp0 (role, "grid_worker") == 0 && grid_id > 0)
        {
          g_array_append_val (ctx->all_workers, worker);
          g_array_append_val (grids, grid_id);
        }
      else if (worker.department_id > 0)
        {
          GArray *staff = g_hash_table_lookup (ctx->handlers, &worker.department_id);

          if (staff == NULL)
            {
              gint64 *key = g_new (gint64, 1);

              *key = worker.department_id;
              staff = g_array_new (FALSE, FALSE, sizeof (Worker));
              g_hash_table_insert (ctx->handlers, key, staff);
            }
          g_array_append_val (staff, worker);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "workers");

  /* Pointers into all_workers are taken only now that it has stopped
   * growing. */
  for (guint i = 0; i < ctx->all_workers->len; i++)
    {
      gint64 *key = g_new (gint64, 1);

      *key = g_array_index (grids, gint64, i);
      g_hash_table_insert (ctx->grid_workers, key, &g_array_index (ctx->all_workers, Worker, i));
    }

  /* The departments with staff of their own to handle cases, where a
   * misdirected dispatch can land before it is returned. */
  stmt = pct_store_prepare (ctx->store,
                            "SELECT DISTINCT department_id FROM workers "
                            "WHERE role = 'handler' AND department_id IS NOT NULL ORDER BY 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ctx->functional_departments, id);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "departments");

  return TRUE;
}

static const Worker *
pick_worker (PctRng *rng,
             GArray *workers)
{
  if (workers == NULL || workers->len == 0)
    return NULL;
  return &g_array_index (workers, Worker, pct_rng_range (rng, 0, workers->len));
}

static const char *
worker_name (const Worker *worker,
             const char   *fallback)
{
  return worker != NULL ? worker->name : fallback;
}

/* Expands a template: {p} becomes the place, {n} a number from its range. */
static void
describe (CaseContext       *ctx,
          const CaseProfile *profile,
          const Place       *place)
{
  guint n_templates = 0;
  const Template *template;
  GString *out = ctx->description;
  const char *p;

  while (n_templates < G_N_ELEMENTS (profile->templates)
         && profile->templates[n_templates].text != NULL)
    n_templates++;
  template = &profile->templates[pct_rng_range (&ctx->rng, 0, MAX (n_templates, 1))];

  g_string_truncate (out, 0);
  for (p = template->text; *p != '\0'; p++)
    {
      if (g_str_has_prefix (p, "{p}"))
        {
          if (place->road != NULL && place->door != NULL)
            {
              g_string_append (out, place->road);
              g_string_append (out, place->door);
              if (!g_str_has_suffix (place->door, "号"))
                g_string_append (out, "号");
              g_string_append (out, pick_string (&ctx->rng, door_spots,
                                                 G_N_ELEMENTS (door_spots)));
            }
          else if (place->compound != NULL && place->building != NULL)
            {
              g_string_append (out, place->compound);
              g_string_append (out, place->building);
              if (!g_str_has_suffix (place->building, "栋")
                  && !g_str_has_suffix (place->building, "幢")
                  && !g_str_has_suffix (place->building, "楼"))
                g_string_append (out, "栋");
              g_string_append (out, pick_string (&ctx->rng, compound_spots,
                                                 G_N_ELEMENTS (compound_spots)));
            }
          else
            {
              g_string_append (out, place->display);
              g_string_append (out, "附近");
            }
          p += 2;
        }
      else if (g_str_has_prefix (p, "{n}"))
        {
          g_string_append_printf (out, "%d",
                                  (int) rng_between (&ctx->rng, template->lo, template->hi + 1));
          p += 2;
        }
      else
        {
          g_string_append_c (out, *p);
        }
    }
}

static Source
pick_source (CaseContext       *ctx,
             const CaseProfile *profile,
             const Worker      *grid_worker)
{
  double weights[N_SOURCES];

  memcpy (weights, source_weights, sizeof weights);
  if (!profile->sensor)
    weights[SOURCE_SENSOR] = 0;
  if (grid_worker == NULL)
    weights[SOURCE_GRID_WORKER] = 0;
  return (Source) pct_rng_weighted (&ctx->rng, weights, N_SOURCES);
}

/* When a report reaches the centre: people report in the day, sensors at
 * any hour; weekends see fewer reports. */
static gint64
draw_report_time (CaseContext *ctx,
                  gboolean     any_hour)
{
  for (;;)
    {
      gint64 day = pct_rng_range (&ctx->rng, 0, HISTORY / DAY + 1);
      gint64 local_midnight;
      gint64 at;
      int hour;

      local_midnight = ((ctx->window_start + CHINA_UTC_OFFSET) / DAY + day) * DAY
                       - CHINA_UTC_OFFSET;
      hour = any_hour ? (int) pct_rng_range (&ctx->rng, 0, 24)
                      : (int) pct_rng_weighted (&ctx->rng, hour_weights, 24);
      at = local_midnight + hour * HOUR + pct_rng_range (&ctx->rng, 0, HOUR);

      if (at < ctx->window_start || at >= ctx->reference)
        continue;
      if (!any_hour && !pct_calendar_is_work_day (ctx->calendar, at)
          && !pct_rng_chance (&ctx->rng, 0.7))
        continue;
      return at;
    }
}

static gint64
filing_delay (PctRng *rng,
              Source  source)
{
  switch (source)
    {
    case SOURCE_SENSOR:
      return lognormal_duration (rng, 4 * MINUTE, 0.6, MINUTE, 20 * MINUTE);
    case SOURCE_HOTLINE:
      return lognormal_duration (rng, 35 * MINUTE, 0.8, 5 * MINUTE, 6 * HOUR);
    case SOURCE_CITIZEN:
      return lognormal_duration (rng, 50 * MINUTE, 0.9, 5 * MINUTE, 8 * HOUR);
    case SOURCE_GRID_WORKER:
    case SOURCE_INSPECTOR:
    case SOURCE_OPERATOR:
    case N_SOURCES:
    default:
      return lognormal_duration (rng, 12 * MINUTE, 0.7, 2 * MINUTE, 2 * HOUR);
    }
}

static int
compare_seeds (gconstpointer a,
               gconstpointer b)
{
  const Seed *sa = a;
  const Seed *sb = b;

  /* A total order, so that the result does not depend on the sort. */
  if (sa->filed_at != sb->filed_at)
    return (sa->filed_at > sb->filed_at) - (sa->filed_at < sb->filed_at);
  if (sa->reported_at != sb->reported_at)
    return (sa->reported_at > sb->reported_at) - (sa->reported_at < sb->reported_at);
  return (int) sa->source - (int) sb->source;
}

/* Timelines ---------------------------------------------------------------- */

typedef struct
{
  Event  events[MAX_EVENTS];
  guint  n;
} Timeline;

static gint64
timeline_last (const Timeline *timeline)
{
  return timeline->n > 0 ? timeline->events[timeline->n - 1].at : G_MININT64;
}

/* Appends an event no earlier than a minute after the one before, which
 * keeps the timestamps of an order strictly increasing. */
static gint64
timeline_add (Timeline   *timeline,
              const char *action,
              const char *to,
              const char *actor,
              gint64      department,
              gint64      at,
              const char *note)
{
  Event *event;

  g_return_val_if_fail (timeline->n < MAX_EVENTS, at);

  if (timeline->n > 0)
    at = MAX (at, timeline_last (timeline) + MINUTE);
  event = &timeline->events[timeline->n];
  *event = (Event) {
    .action = action,
    .from = timeline->n > 0 ? timeline->events[timeline->n - 1].to : NULL,
    .to = to,
    .actor = actor,
    .department_id = department,
    .at = at,
    .note = note,
  };
  timeline->n++;
  return at;
}

/* Slips an event that changes no state (extend, escalate) in at `at`, if
 * the order is open then; it takes the state of the event before it. */
static gboolean
timeline_insert (Timeline   *timeline,
                 const char *action,
                 const char *actor,
                 gint64      at,
                 const char *note,
                 const char *required_state)
{
  guint i;
  const char *state;

  if (timeline->n == 0 || timeline->n >= MAX_EVENTS)
    return FALSE;

  for (i = 0; i < timeline->n && timeline->events[i].at < at; i++)
    ;
  if (i == 0)
    return FALSE;
  /* Keep a minute clear on both sides for strict ordering. */
  if (at - timeline->events[i - 1].at < MINUTE
      || (i < timeline->n && timeline->events[i].at - at < MINUTE))
    return FALSE;

  state = timeline->events[i - 1].to;
  if (required_state != NULL ? g_strcmp0 (state, required_state) != 0
                             : (g_strcmp0 (state, "closed") == 0
                                || g_strcmp0 (state, "evaluated") == 0
                                || g_strcmp0 (state, "voided") == 0
                                || g_strcmp0 (state, "reported") == 0))
    return FALSE;

  memmove (&timeline->events[i + 1], &timeline->events[i],
           (timeline->n - i) * sizeof (Event));
  timeline->events[i] = (Event) {
    .action = action,
    .from = state,
    .to = state,
    .actor = actor,
    .at = at,
    .note = note,
  };
  timeline->n++;
  return TRUE;
}

typedef struct
{
  gint64        incident_id;
  const Category *category;
  const Place  *place;
  const Worker *grid_worker;
  Source        source;
  int           severity;
  double        lon;
  double        lat;
  gint64        reported_at;
  gint64        filed_at;
  gint64        deadline;
  gint64        extended_deadline;
  int           evaluation;
  gint64        handler_department;
  gint64        handler_id;
} Order;

static const char *
reporter_name (CaseContext  *ctx,
               const Order  *order)
{
  switch (order->source)
    {
    case SOURCE_GRID_WORKER:
      return worker_name (order->grid_worker, "网格员");
    case SOURCE_INSPECTOR:
      return worker_name (pick_worker (&ctx->rng, ctx->inspectors), "监督员");
    case SOURCE_HOTLINE:
      return "12345热线";
    case SOURCE_CITIZEN:
      return "市民";
    case SOURCE_SENSOR:
      return "物联网感知设备";
    case SOURCE_OPERATOR:
      return worker_name (pick_worker (&ctx->rng, ctx->dispatchers), "视频巡查");
    case N_SOURCES:
    default:
      return NULL;
    }
}

/* Who takes the order: a grid worker may deal with a small street-level
 * problem on the spot; otherwise the category's department, or for
 * street-level problems sometimes the street office. */
static void
choose_handler (CaseContext   *ctx,
                const Order   *order,
                gint64        *department,
                const Worker **worker)
{
  const CaseProfile *profile = order->category->profile;
  const Worker *grid_worker = order->grid_worker;

  if (profile->street_level && grid_worker != NULL)
    {
      double chance = order->source == SOURCE_GRID_WORKER ? 0.45 : 0.25;

      if (pct_rng_chance (&ctx->rng, chance))
        {
          *department = grid_worker->department_id;
          *worker = grid_worker;
          return;
        }
    }

  *department = order->category->department_id;
  *worker = pick_worker (&ctx->rng, g_hash_table_lookup (ctx->handlers, department));
}

static gint64
wrong_department (CaseContext *ctx,
                  gint64       right)
{
  GArray *departments = ctx->functional_departments;

  for (int attempt = 0; attempt < 8 && departments->len > 1; attempt++)
    {
      gint64 id = g_array_index (departments, gint64,
                                 pct_rng_range (&ctx->rng, 0, departments->len));

      if (id != right)
        return id;
    }

  return 0;
}

static void
live_order (CaseContext *ctx,
            Order       *order,
            Timeline    *timeline)
{
  PctRng *rng = &ctx->rng;
  const Category *category = order->category;
  const Worker *dispatcher = pick_worker (rng, ctx->dispatchers);
  const char *dispatcher_name = worker_name (dispatcher, "值班长");
  gboolean voided = pct_rng_chance (rng, VOID_RATE);
  gboolean returned = pct_rng_chance (rng, RETURN_RATE);
  gboolean reworked = pct_rng_chance (rng, REWORK_RATE);
  gboolean extended = pct_rng_chance (rng, EXTENSION_RATE);
  gboolean parked = pct_rng_chance (rng, PARK_RATE);
  gboolean stuck = order->filed_at > ctx->reference - STUCK_WINDOW
                   && pct_rng_chance (rng, STUCK_RATE);
  gboolean late;
  gint64 department = 0;
  const Worker *handler = NULL;
  const char *handler_name;
  const Worker *verifier;
  gboolean work_time;
  double pace;
  gint64 t;
  gint64 budget;
  gint64 due;
  gint64 target;

  timeline->n = 0;
  order->deadline = pct_calendar_add (ctx->calendar, order->filed_at, category->time_limit,
                                      category->time_unit);
  order->extended_deadline = 0;
  order->evaluation = 0;

  timeline_add (timeline, "report", "reported", reporter_name (ctx, order), 0,
                order->reported_at, ctx->description->str);
  t = timeline_add (timeline, "file", "filed", dispatcher_name, 0, order->filed_at, NULL);

  if (voided && pct_rng_chance (rng, 0.7))
    {
      timeline_add (timeline, "void", "voided", dispatcher_name, 0,
                    t + lognormal_duration (rng, 40 * MINUTE, 1.0, 5 * MINUTE, DAY),
                    pick_string (rng, void_notes, G_N_ELEMENTS (void_notes)));
      return;
    }

  choose_handler (ctx, order, &department, &handler);

  if (returned || voided)
    {
      gint64 first = wrong_department (ctx, department);
      const Worker *refuser = pick_worker (rng, g_hash_table_lookup (ctx->handlers, &first));

      t = timeline_add (timeline, "dispatch", "dispatched", dispatcher_name, first,
                        t + lognormal_duration (rng, 15 * MINUTE, 0.8, 2 * MINUTE, 3 * HOUR),
                        NULL);
      t = timeline_add (timeline, "return", "returned", worker_name (refuser, NULL), first,
                        t + lognormal_duration (rng, 3 * HOUR, 1.0, 20 * MINUTE, 2 * DAY),
                        pick_string (rng, return_notes, G_N_ELEMENTS (return_notes)));
      if (voided)
        {
          timeline_add (timeline, "void", "voided", dispatcher_name, 0,
                        t + lognormal_duration (rng, HOUR, 1.0, 5 * MINUTE, DAY),
                        pick_string (rng, void_notes, G_N_ELEMENTS (void_notes)));
          return;
        }
    }

  order->handler_department = department;
  order->handler_id = handler != NULL ? handler->id : 0;
  handler_name = worker_name (handler, NULL);

  /* Short limits are worked at a short pace: an order of two working hours
   * is dispatched within minutes, one of fifteen working days need not be. */
  work_time = category->time_unit == PCT_TIME_UNIT_WORK_HOURS
              || category->time_unit == PCT_TIME_UNIT_WORK_DAYS;
  budget = work_time ? pct_calendar_work_seconds_between (ctx->calendar, order->filed_at,
                                                          order->deadline)
                     : order->deadline - order->filed_at;
  pace = CLAMP (budget / (double) (8 * HOUR), 0.1, 1.0);
  t = timeline_add (timeline, "dispatch", "dispatched", dispatcher_name, department,
                    t + lognormal_duration (rng, 15 * MINUTE * pace, 0.8, MINUTE, 3 * HOUR),
                    NULL);
  t = timeline_add (timeline, "dispose", "disposing", handler_name, department,
                    t + lognormal_duration (rng, 40 * MINUTE * pace, 0.9, 2 * MINUTE, 8 * HOUR),
                    NULL);

  due = order->deadline;
  if (extended)
    {
      /* Asked for before the deadline runs out, for as long again. */
      gint64 asked = t + (gint64) ((due - t) * (0.3 + 0.5 * pct_rng_double (rng)));

      order->extended_deadline = pct_calendar_add (ctx->calendar, due, category->time_limit,
                                                   category->time_unit);
      t = timeline_add (timeline, "extend", "disposing", handler_name, department,
                        MAX (asked, t), "需协调多部门处置，申请延期");
      due = order->extended_deadline;
    }

  if (parked)
    {
      timeline_add (timeline, "park", "parked", dispatcher_name, department,
                    t + lognormal_duration (rng, DAY, 1.0, HOUR, 10 * DAY),
                    "涉及历史遗留问题，挂账缓办");
      return;
    }

  /* Aim the closing at the deadline: well inside it, or past it by a part
   * of the time allowed. Limits in working time are met in working time,
   * so the work is done in working hours. The stuck orders of the last
   * month are still open at the reference time. */
  late = stuck || pct_rng_chance (rng, returned ? LATE_RATE_RETURNED : LATE_RATE);
  budget = work_time ? pct_calendar_work_seconds_between (ctx->calendar, order->filed_at, due)
                     : due - order->filed_at;
  budget = MAX (budget, 20 * MINUTE);
  if (stuck)
    target = MAX (due, ctx->reference) + rng_between (rng, DAY, 30 * DAY);
  else if (late)
    {
      gint64 overshoot = (gint64) (budget * (0.05 + 0.6 * pct_rng_double (rng)))
                         + rng_between (rng, 10 * MINUTE, 4 * HOUR);

      target = work_time ? pct_calendar_add_work_seconds (ctx->calendar, due, overshoot)
                         : due + overshoot;
    }
  else
    {
      gint64 within = (gint64) (budget * (0.25 + 0.5 * pct_rng_double (rng)));

      target = work_time ? pct_calendar_add_work_seconds (ctx->calendar, order->filed_at, within)
                         : order->filed_at + within;
    }

  verifier = pick_worker (rng, ctx->inspectors);
  {
    gint64 verify_gap = lognormal_duration (rng, 40 * MINUTE * pace, 0.7, 3 * MINUTE, 4 * HOUR);
    gint64 close_gap = lognormal_duration (rng, 15 * MINUTE * pace, 0.6, 2 * MINUTE, HOUR);
    gint64 soonest = t + lognormal_duration (rng, 20 * MINUTE * pace, 0.5, 3 * MINUTE, HOUR);

    t = timeline_add (timeline, "feedback", "disposed", handler_name, department,
                      MAX (target - verify_gap - close_gap, soonest), "已处置完毕");
    t = timeline_add (timeline, "verify", "verifying", worker_name (verifier, "监督员"), 0,
                      t + verify_gap, NULL);

    if (reworked)
      {
        t = timeline_add (timeline, "rework", "disposing", worker_name (verifier, "监督员"),
                          department,
                          t + lognormal_duration (rng, 20 * MINUTE, 0.5, 2 * MINUTE, 2 * HOUR),
                          pick_string (rng, rework_notes, G_N_ELEMENTS (rework_notes)));
        t = timeline_add (timeline, "feedback", "disposed", handler_name, department,
                          t + lognormal_duration (rng, 6 * HOUR * pace, 1.0, 20 * MINUTE, 4 * DAY),
                          "已重新处置");
        t = timeline_add (timeline, "verify", "verifying", worker_name (verifier, "监督员"), 0,
                          t + verify_gap, NULL);
      }

    t = timeline_add (timeline, "close", "closed", dispatcher_name, 0, t + close_gap,
                      "核查通过，予以结案");
  }

  if (pct_rng_chance (rng, EVALUATION_RATE))
    {
      const double *scores = t <= due ? scores_on_time : scores_late;

      order->evaluation = 1 + (int) pct_rng_weighted (rng, scores, G_N_ELEMENTS (scores_late));
      timeline_add (timeline, "evaluate", "evaluated", dispatcher_name, 0,
                    t + lognormal_duration (rng, 8 * HOUR, 1.0, 30 * MINUTE, 5 * DAY), NULL);
    }

  /* 督办: the command centre presses a late order some time after it fell
   * due, if it is still open then. */
  if (t > due && pct_rng_chance (rng, ESCALATION_OF_LATE))
    timeline_insert (timeline, "escalate", dispatcher_name,
                     due + rng_between (rng, HOUR, MAX (HOUR + 1, MIN (t - due, 3 * DAY))),
                     "超期未办结，督办", NULL);
}

/* Store -------------------------------------------------------------------- */

static gboolean
insert_incident (CaseContext  *ctx,
                 Order        *order,
                 const char   *status,
                 gint64        updated_at,
                 GError      **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (ctx->store,
                                          "INSERT INTO temp.pct_gen_incidents (uuid, "
                                          "category_id, source, severity, status, description, "
                                          "lon, lat, address_id, grid_id, reported_at, "
                                          "updated_at, id) "
                                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                          error);

  if (stmt == NULL)
    return FALSE;

  order->incident_id = ctx->next_incident_id++;

  sqlite3_bind_text (stmt, 1, make_uuid (ctx), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, order->category->id);
  sqlite3_bind_text (stmt, 3, source_names[order->source], -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, order->severity);
  sqlite3_bind_text (stmt, 5, status, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, ctx->description->str, (int) ctx->description->len, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 7, order->lon);
  sqlite3_bind_double (stmt, 8, order->lat);
  if (order->place->address_id > 0)
    sqlite3_bind_int64 (stmt, 9, order->place->address_id);
  if (order->place->grid_id > 0)
    sqlite3_bind_int64 (stmt, 10, order->place->grid_id);
  sqlite3_bind_int64 (stmt, 11, order->reported_at);
  sqlite3_bind_int64 (stmt, 12, updated_at);
  sqlite3_bind_int64 (stmt, 13, order->incident_id);
  return pct_store_step_done (ctx->store, stmt, error);
}

static gboolean
store_order (CaseContext     *ctx,
             Order           *order,
             const Timeline  *timeline,
             const char      *number,
             GError         **error)
{
  sqlite3_stmt *stmt;
  guint n = 0;
  const char *state;
  const char *incident_status;
  gint64 department = 0;
  gint64 worker = 0;
  gint64 disposed_at = 0;
  gint64 closed_at = 0;
  gint64 extended = 0;
  int rework_count = 0;
  gboolean escalated = FALSE;
  gboolean evaluated = FALSE;
  gint64 order_id;

  /* Only what happened by the reference time is history. */
  while (n < timeline->n && timeline->events[n].at <= ctx->reference)
    n++;
  g_return_val_if_fail (n >= 2, FALSE);

  for (guint i = 0; i < n; i++)
    {
      const Event *event = &timeline->events[i];

      if (g_str_equal (event->action, "dispatch"))
        {
          /* The dispatch to a wrong department, returned later, names
           * nobody; the final one names the handler. */
          department = event->department_id;
          worker = department == order->handler_department ? order->handler_id : 0;
        }
      else if (g_str_equal (event->action, "feedback"))
        disposed_at = event->at;
      else if (g_str_equal (event->action, "rework"))
        {
          rework_count++;
          disposed_at = 0;
        }
      else if (g_str_equal (event->action, "close"))
        closed_at = event->at;
      else if (g_str_equal (event->action, "extend"))
        extended = order->extended_deadline;
      else if (g_str_equal (event->action, "escalate"))
        escalated = TRUE;
      else if (g_str_equal (event->action, "evaluate"))
        evaluated = TRUE;
    }

  state = timeline->events[n - 1].to;
  if (g_str_equal (state, "voided"))
    incident_status = "voided";
  else if (closed_at > 0)
    incident_status = "closed";
  else
    incident_status = "filed";

  if (!insert_incident (ctx, order, incident_status, timeline->events[n - 1].at, error))
    return FALSE;

  stmt = pct_store_prepare (ctx->store,
                            "INSERT INTO temp.pct_gen_work_orders (uuid, number, incident_id, "
                            "category_id, state, department_id, worker_id, grid_id, filed_at, "
                            "deadline, extended_deadline, disposed_at, closed_at, rework_count, "
                            "escalated, evaluation, updated_at, id) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;

  order_id = ctx->next_order_id++;

  sqlite3_bind_text (stmt, 1, make_uuid (ctx), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, order->incident_id);
  sqlite3_bind_int64 (stmt, 4, order->category->id);
  sqlite3_bind_text (stmt, 5, state, -1, SQLITE_STATIC);
  if (department > 0)
    sqlite3_bind_int64 (stmt, 6, department);
  if (worker > 0)
    sqlite3_bind_int64 (stmt, 7, worker);
  if (order->place->grid_id > 0)
    sqlite3_bind_int64 (stmt, 8, order->place->grid_id);
  sqlite3_bind_int64 (stmt, 9, order->filed_at);
  sqlite3_bind_int64 (stmt, 10, order->deadline);
  if (extended > 0)
    sqlite3_bind_int64 (stmt, 11, extended);
  if (disposed_at > 0)
    sqlite3_bind_int64 (stmt, 12, disposed_at);
  if (closed_at > 0)
    sqlite3_bind_int64 (stmt, 13, closed_at);
  sqlite3_bind_int (stmt, 14, rework_count);
  sqlite3_bind_int (stmt, 15, escalated ? 1 : 0);
  if (evaluated)
    sqlite3_bind_int (stmt, 16, order->evaluation);
  sqlite3_bind_int64 (stmt, 17, timeline->events[n - 1].at);
  sqlite3_bind_int64 (stmt, 18, order_id);
  if (!pct_store_step_done (ctx->store, stmt, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      const Event *event = &timeline->events[i];

      stmt = pct_store_prepare (ctx->store,
                                "INSERT INTO temp.pct_gen_work_order_events (work_order_id, "
                                "action, from_state, to_state, actor, department_id, at, note) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, order_id);
      sqlite3_bind_text (stmt, 2, event->action, -1, SQLITE_STATIC);
      if (event->from != NULL)
        sqlite3_bind_text (stmt, 3, event->from, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, event->to, -1, SQLITE_STATIC);
      if (event->actor != NULL)
        sqlite3_bind_text (stmt, 5, event->actor, -1, SQLITE_STATIC);
      if (event->department_id > 0)
        sqlite3_bind_int64 (stmt, 6, event->department_id);
      sqlite3_bind_int64 (stmt, 7, event->at);
      if (event->note != NULL)
        sqlite3_bind_text (stmt, 8, event->note, -1, SQLITE_STATIC);
      if (!pct_store_step_done (ctx->store, stmt, error))
        return FALSE;
    }

  ctx->n_orders++;
  ctx->n_events += n;
  return TRUE;
}

/* Incidents, orders and events are written to temporary tables and copied
 * over in one statement each: a statement per incident would pay for the
 * R*Tree trigger's savepoint every time, and orders must follow their
 * incidents into the real tables for the foreign keys. Ids are given here
 * so that the rows can refer to each other before they arrive. */
static gboolean
create_staging (CaseContext  *ctx,
                GError      **error)
{
  sqlite3_stmt *stmt;

  if (!_pct_gen_set_temp_cache_size (ctx->store, PCT_GEN_STAGING_CACHE_KIB, &ctx->temp_cache_size, error)
      || !pct_store_exec (ctx->store,
                       "DROP TABLE IF EXISTS temp.pct_gen_incidents;"
                       "DROP TABLE IF EXISTS temp.pct_gen_work_orders;"
                       "DROP TABLE IF EXISTS temp.pct_gen_work_order_events;"
                       "CREATE TEMP TABLE pct_gen_incidents (id INTEGER PRIMARY KEY, uuid TEXT, "
                       "  category_id INTEGER, source TEXT, severity INTEGER, status TEXT, "
                       "  description TEXT, lon REAL, lat REAL, address_id INTEGER, "
                       "  grid_id INTEGER, reported_at INTEGER, updated_at INTEGER);"
                       "CREATE TEMP TABLE pct_gen_work_orders (id INTEGER PRIMARY KEY, "
                       "  uuid TEXT, number TEXT, incident_id INTEGER, category_id INTEGER, "
                       "  state TEXT, department_id INTEGER, worker_id INTEGER, "
                       "  grid_id INTEGER, filed_at INTEGER, deadline INTEGER, "
                       "  extended_deadline INTEGER, disposed_at INTEGER, closed_at INTEGER, "
                       "  rework_count INTEGER, escalated INTEGER, evaluation INTEGER, "
                       "  updated_at INTEGER);"
                       "CREATE TEMP TABLE pct_gen_work_order_events (id INTEGER PRIMARY KEY, "
                       "  work_order_id INTEGER, action TEXT, from_state TEXT, to_state TEXT, "
                       "  actor TEXT, department_id INTEGER, at INTEGER, note TEXT);",
                       error))
    return FALSE;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT (SELECT coalesce (max (id), 0) + 1 FROM incidents), "
                            "       (SELECT coalesce (max (id), 0) + 1 FROM work_orders)",
                            error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      pct_store_set_sql_error (ctx->store, error, "ids");
      sqlite3_reset (stmt);
      return FALSE;
    }
  ctx->next_incident_id = sqlite3_column_int64 (stmt, 0);
  ctx->next_order_id = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
copy_staging (CaseContext  *ctx,
              GError      **error)
{
  return pct_store_exec (ctx->store,
                         "INSERT INTO incidents (id, uuid, category_id, source, severity, "
                         "  status, description, lon, lat, address_id, grid_id, reported_at, "
                         "  updated_at) "
                         "SELECT id, uuid, category_id, source, severity, status, description, "
                         "  lon, lat, address_id, grid_id, reported_at, updated_at "
                         "FROM temp.pct_gen_incidents ORDER BY id;"
                         "INSERT INTO work_orders (id, uuid, number, incident_id, category_id, "
                         "  state, department_id, worker_id, grid_id, filed_at, deadline, "
                         "  extended_deadline, disposed_at, closed_at, rework_count, "
                         "  escalated, evaluation, updated_at) "
                         "SELECT id, uuid, number, incident_id, category_id, state, "
                         "  department_id, worker_id, grid_id, filed_at, deadline, "
                         "  extended_deadline, disposed_at, closed_at, rework_count, "
                         "  escalated, evaluation, updated_at "
                         "FROM temp.pct_gen_work_orders ORDER BY id;"
                         "INSERT INTO work_order_events (work_order_id, action, from_state, "
                         "  to_state, actor, department_id, at, note) "
                         "SELECT work_order_id, action, from_state, to_state, actor, "
                         "  department_id, at, note "
                         "FROM temp.pct_gen_work_order_events ORDER BY id;"
                         "DROP TABLE temp.pct_gen_incidents;"
                         "DROP TABLE temp.pct_gen_work_orders;"
                         "DROP TABLE temp.pct_gen_work_order_events;",
                         error)
         && _pct_gen_set_temp_cache_size (ctx->store, ctx->temp_cache_size, NULL, error);
}

/* Picks what, where and who for one report. */
static void
draw_order (CaseContext *ctx,
            Order       *order)
{
  PctRng *rng = &ctx->rng;
  const Category *category;
  const Place *place;
  int severity;

  category = &g_array_index (ctx->categories, Category,
                             pct_rng_weighted (rng, ctx->category_weights,
                                               ctx->categories->len));
  if (category->facilities != NULL && category->facilities->len > 0
      && pct_rng_chance (rng, 0.85))
    place = &g_array_index (category->facilities, Place,
                            pct_rng_range (rng, 0, category->facilities->len));
  else
    place = &g_array_index (ctx->places, Place, pct_rng_range (rng, 0, ctx->places->len));

  order->category = category;
  order->place = place;
  order->grid_worker = place->grid_id > 0 ? g_hash_table_lookup (ctx->grid_workers,
                                                                 &place->grid_id)
                                          : NULL;
  order->lon = place->lon + (pct_rng_double (rng) - 0.5) * 2 * JITTER_DEGREES;
  order->lat = place->lat + (pct_rng_double (rng) - 0.5) * 2 * JITTER_DEGREES;
  severity = category->profile->severity;
  if (pct_rng_chance (rng, 0.1))
    severity++;
  if (pct_rng_chance (rng, 0.05))
    severity--;
  order->severity = CLAMP (severity, 1, 4);
  describe (ctx, category->profile, place);
}

static void
format_number (CaseContext *ctx,
               gint64       filed_at,
               guint        sequence,
               char         out[32])
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_utc (filed_at + CHINA_UTC_OFFSET);

  g_snprintf (out, 32, "%s%04d%02d%02d-%05u", ctx->number_prefix,
              g_date_time_get_year (local), g_date_time_get_month (local),
              g_date_time_get_day_of_month (local), sequence);
}

static gint64
local_day (gint64 unix_time)
{
  return (unix_time + CHINA_UTC_OFFSET) / DAY;
}

static gboolean
generate_orders (CaseContext  *ctx,
                 GError      **error)
{
  guint64 n_orders = (guint64) MAX (50, llround (ORDERS_LARGE * ctx->params->scale));
  guint64 n_unfiled = (guint64) llround (n_orders * UNFILED_RATE / (1 - UNFILED_RATE));
  g_autoptr(GArray) seeds = g_array_sized_new (FALSE, FALSE, sizeof (Seed), n_orders);
  Timeline *timeline = g_new0 (Timeline, 1);
  gint64 day = -1;
  guint sequence = 0;
  gboolean ok = FALSE;

  /* Filing times first, in order, so that numbers run with time. The
   * filing that would come after the reference time is drawn again. */
  while (seeds->len < n_orders)
    {
      Seed seed;

      seed.source = (Source) pct_rng_weighted (&ctx->rng, source_weights, N_SOURCES);
      seed.reported_at = draw_report_time (ctx, seed.source == SOURCE_SENSOR);
      seed.filed_at = seed.reported_at + filing_delay (&ctx->rng, seed.source);
      if (seed.filed_at <= ctx->reference)
        g_array_append_val (seeds, seed);
    }
  g_array_sort (seeds, compare_seeds);

  for (guint i = 0; i < seeds->len; i++)
    {
      const Seed *seed = &g_array_index (seeds, Seed, i);
      Order order = { 0 };
      char number[32];

      draw_order (ctx, &order);
      /* The drawn source stands unless it cannot report this category
       * here: no sensor on it, no grid worker in the cell. */
      order.source = seed->source;
      if ((order.source == SOURCE_SENSOR && !order.category->profile->sensor)
          || (order.source == SOURCE_GRID_WORKER && order.grid_worker == NULL))
        order.source = pick_source (ctx, order.category->profile, order.grid_worker);
      order.reported_at = seed->reported_at;
      order.filed_at = seed->filed_at;

      live_order (ctx, &order, timeline);

      if (local_day (order.filed_at) != day)
        {
          day = local_day (order.filed_at);
          sequence = 0;
        }
      format_number (ctx, order.filed_at, ++sequence, number);

      if (!store_order (ctx, &order, timeline, number, error))
        goto out;

      report_progress (ctx, i + 1, seeds->len + n_unfiled);
    }

  /* Reports that never became cases: the newest still wait to be filed,
   * the older ones were turned down (不予立案). */
  for (guint64 i = 0; i < n_unfiled; i++)
    {
      Order order = { 0 };
      gboolean pending = pct_rng_chance (&ctx->rng, 0.3);

      draw_order (ctx, &order);
      order.source = pick_source (ctx, order.category->profile, order.grid_worker);
      order.reported_at = pending
                          ? ctx->reference - rng_between (&ctx->rng, MINUTE, DAY)
                          : draw_report_time (ctx, order.source == SOURCE_SENSOR);
      if (!insert_incident (ctx, &order, pending ? "reported" : "voided", order.reported_at,
                            error))
        goto out;
      ctx->n_unfiled++;
      report_progress (ctx, seeds->len + i + 1, seeds->len + n_unfiled);
    }
  ok = TRUE;

out:
  g_free (timeline);
  return ok;
}

gboolean
_pct_gen_cases (PctStore            *store,
                const PctGenParams  *params,
                GError             **error)
{
  CaseContext ctx = { .store = store, .params = params };
  gboolean ok = FALSE;

  pct_rng_init (&ctx.rng, params->seed, "cases");
  ctx.reference = params->reference_time;
  ctx.window_start = params->reference_time - HISTORY;
  ctx.number_prefix = "AJ";
  for (guint i = 0; i < G_N_ELEMENTS (number_prefixes); i++)
    {
      if (g_strcmp0 (number_prefixes[i].code, params->district_code) == 0)
        ctx.number_prefix = number_prefixes[i].prefix;
    }

  ctx.strings = g_string_chunk_new (1 << 20);
  ctx.categories = g_array_new (FALSE, TRUE, sizeof (Category));
  g_array_set_clear_func (ctx.categories, category_clear);
  ctx.places = g_array_new (FALSE, FALSE, sizeof (Place));
  ctx.dispatchers = g_array_new (FALSE, FALSE, sizeof (Worker));
  ctx.inspectors = g_array_new (FALSE, FALSE, sizeof (Worker));
  ctx.all_workers = g_array_new (FALSE, FALSE, sizeof (Worker));
  ctx.functional_departments = g_array_new (FALSE, FALSE, sizeof (gint64));
  ctx.handlers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, worker_array_free);
  ctx.grid_workers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  ctx.description = g_string_new (NULL);

  ctx.calendar = pct_calendar_new_from_store (store, error);
  if (ctx.calendar == NULL)
    goto out;

  if (!load_categories (&ctx, error) || !load_places (&ctx, error) || !load_workers (&ctx, error))
    goto out;

  if (ctx.places->len == 0)
    {
      /* Without addresses there is nowhere for anything to happen. */
      ok = TRUE;
      goto out;
    }

  ok = create_staging (&ctx, error)
       && generate_orders (&ctx, error)
       && copy_staging (&ctx, error);
  if (ok)
    g_debug ("%" G_GUINT64_FORMAT " work orders with %" G_GUINT64_FORMAT " events, "
             "%" G_GUINT64_FORMAT " reports never filed",
             ctx.n_orders, ctx.n_events, ctx.n_unfiled);

out:
  g_clear_object (&ctx.calendar);
  g_string_chunk_free (ctx.strings);
  g_array_unref (ctx.categories);
  g_free (ctx.category_weights);
  g_array_unref (ctx.places);
  g_array_unref (ctx.dispatchers);
  g_array_unref (ctx.inspectors);
  g_array_unref (ctx.all_workers);
  g_array_unref (ctx.functional_departments);
  g_hash_table_unref (ctx.handlers);
  g_hash_table_unref (ctx.grid_workers);
  g_string_free (ctx.description, TRUE);
  return ok;
}
