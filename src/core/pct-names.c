/* pct-names.c — invented names, places and phone numbers for the generator
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names are assembled from common parts, so they read as ordinary names and
 * repeat as often as ordinary names do, without describing anyone. Given
 * names follow the fashion of the birth year: 建国 and 秀英 belong to
 * grandparents, 子轩 and 欣怡 to grandchildren.
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <string.h>

#include "pct-names.h"

typedef struct
{
  const char *surname;
  guint       per_100k;   /* share of the population, per hundred thousand */
} Surname;

/* Rounded shares from published surname statistics, with the surnames
 * that are more frequent in Chongqing and its neighbours (冉, 牟, 向, 谭)
 * given their local weight. */
static const Surname surnames[] = {
  { "王", 7120 }, { "李", 7000 }, { "张", 6740 }, { "刘", 5380 }, { "陈", 4610 },
  { "杨", 3080 }, { "黄", 2500 }, { "赵", 2000 }, { "吴", 1870 }, { "周", 1730 },
  { "徐", 1450 }, { "孙", 1380 }, { "马", 1290 }, { "朱", 1260 }, { "胡", 1310 },
  { "郭", 1150 }, { "何", 1170 }, { "林", 900 }, { "罗", 1100 }, { "高", 920 },
  { "郑", 790 }, { "梁", 720 }, { "谢", 720 }, { "宋", 620 }, { "唐", 900 },
  { "许", 600 }, { "韩", 550 }, { "冯", 550 }, { "邓", 700 }, { "曹", 540 },
  { "彭", 650 }, { "曾", 600 }, { "肖", 600 }, { "田", 560 }, { "董", 450 },
  { "袁", 500 }, { "潘", 420 }, { "于", 400 }, { "蒋", 480 }, { "蔡", 420 },
  { "余", 520 }, { "杜", 420 }, { "叶", 380 }, { "程", 380 }, { "苏", 350 },
  { "魏", 340 }, { "吕", 320 }, { "丁", 310 }, { "任", 380 }, { "沈", 300 },
  { "姚", 290 }, { "卢", 290 }, { "姜", 280 }, { "崔", 260 }, { "钟", 300 },
  { "谭", 420 }, { "陆", 240 }, { "汪", 260 }, { "范", 250 }, { "金", 220 },
  { "石", 260 }, { "廖", 300 }, { "贾", 220 }, { "夏", 230 }, { "韦", 160 },
  { "付", 280 }, { "方", 210 }, { "白", 190 }, { "邹", 230 }, { "孟", 170 },
  { "熊", 280 }, { "秦", 260 }, { "邱", 220 }, { "江", 200 }, { "尹", 180 },
  { "薛", 150 }, { "闫", 130 }, { "段", 180 }, { "雷", 220 }, { "侯", 150 },
  { "龙", 200 }, { "史", 130 }, { "陶", 170 }, { "黎", 160 }, { "贺", 170 },
  { "顾", 120 }, { "毛", 150 }, { "郝", 100 }, { "龚", 170 }, { "邵", 120 },
  { "万", 150 }, { "钱", 100 }, { "严", 130 }, { "覃", 110 }, { "武", 110 },
  { "戴", 130 }, { "莫", 100 }, { "孔", 90 }, { "向", 260 }, { "汤", 110 },
  { "冉", 220 }, { "牟", 160 }, { "税", 40 }, { "母", 50 }, { "文", 120 },
  { "游", 90 }, { "敖", 50 }, { "况", 30 }, { "刁", 30 }, { "幸", 20 },
  { "欧阳", 30 }, { "司马", 6 }, { "诸葛", 4 }, { "上官", 5 },
};

/* Given names by generation: characters to combine, and whole names that
 * were common enough to draw as they are. */
typedef struct
{
  int                 born_before;
  const char * const *male_chars;
  const char * const *female_chars;
  const char * const *male_names;
  const char * const *female_names;
} Generation;

static const char * const male_chars_1[] = {
  "建", "国", "军", "华", "明", "志", "强", "伟", "德", "福", "金", "平", "文", "荣",
  "贵", "富", "忠", "学", "春", "林", "庆", "洪", "民", "新", "光", "永", "海", "成",
  "长", "树", "清", "祥", "生", "山", "全", "发", NULL
};
static const char * const female_chars_1[] = {
  "秀", "英", "兰", "桂", "芳", "珍", "玉", "凤", "华", "淑", "梅", "琴", "霞", "素",
  "翠", "莲", "菊", "荣", "萍", "云", "群", "碧", "仙", NULL
};
static const char * const male_names_1[] = {
  "建国", "国庆", "建华", "卫东", "志强", "建军", "国强", "德明", "福贵", "学文",
  "永福", "长江", "红兵", "跃进", "树林", "金山", "光明", "国华", "德福", "正清", NULL
};
static const char * const female_names_1[] = {
  "秀英", "桂兰", "秀兰", "玉兰", "桂英", "淑珍", "凤英", "秀珍", "玉珍", "秀芳",
  "红梅", "素芬", "翠花", "桂芳", "玉梅", "淑华", "碧珍", "群英", NULL
};

static const char * const male_chars_2[] = {
  "伟", "勇", "军", "磊", "涛", "斌", "强", "鹏", "杰", "刚", "超", "波", "辉", "平",
  "林", "明", "峰", "俊", "浩", "亮", "飞", "健", "东", "兵", "华", "毅", "红", "晓",
  NULL
};
static const char * const female_chars_2[] = {
  "丽", "敏", "静", "燕", "艳", "娟", "霞", "芳", "红", "玲", "英", "梅", "莉", "萍",
  "琳", "雪", "婷", "慧", "洁", "晓", "春", "小", "利", NULL
};
static const char * const male_names_2[] = {
  "海波", "建伟", "小军", "志刚", "晓东", "俊峰", "海涛", "文斌", "小兵", "明亮",
  "建林", "春林", "永刚", "红军", "德华", NULL
};
static const char * const female_names_2[] = {
  "丽娟", "小燕", "晓燕", "春梅", "红霞", "秀丽", "海燕", "丽萍", "晓玲", "小红",
  "雪梅", "丽华", "艳红", "利平", NULL
};

static const char * const male_chars_3[] = {
  "浩", "宇", "杰", "鑫", "磊", "俊", "涛", "鹏", "帅", "博", "超", "强", "晨", "阳",
  "凯", "翔", "伟", "龙", "豪", "亮", "旭", "成", "川", "林", NULL
};
static const char * const female_chars_3[] = {
  "婷", "雪", "丹", "倩", "颖", "琳", "佳", "欣", "怡", "璐", "悦", "瑶", "雯", "晶",
  "敏", "静", "蕾", "月", "洁", "露", NULL
};
static const char * const male_names_3[] = {
  "浩然", "俊杰", "宇航", "鑫宇", "子豪", "晨阳", "家豪", "博文", "一鸣", "思远",
  "天宇", "志豪", NULL
};
static const char * const female_names_3[] = {
  "雨婷", "佳怡", "欣悦", "思雨", "梦瑶", "诗雨", "雪莹", "晓雯", "佳琪", "婉婷",
  "丹丹", "婷婷", NULL
};

static const char * const male_chars_4[] = {
  "子", "轩", "梓", "浩", "宇", "铭", "睿", "泽", "辰", "博", "一", "俊", "皓", "奕",
  "诚", "航", "文", "杰", "沐", "锦", "瑞", "煜", NULL
};
static const char * const female_chars_4[] = {
  "欣", "怡", "梓", "涵", "诗", "雨", "可", "馨", "语", "彤", "萱", "佳", "思", "若",
  "一", "梦", "悦", "汐", "诺", "琪", NULL
};
static const char * const male_names_4[] = {
  "子轩", "浩宇", "梓轩", "宇轩", "浩然", "一诺", "俊熙", "子墨", "沐宸", "奕辰",
  "宇泽", "梓睿", "铭泽", "睿哲", NULL
};
static const char * const female_names_4[] = {
  "梓涵", "欣怡", "雨涵", "诗涵", "一诺", "可馨", "子涵", "语桐", "梓萱", "若汐",
  "思彤", "雨彤", NULL
};

static const Generation generations[] = {
  { 1970, male_chars_1, female_chars_1, male_names_1, female_names_1 },
  { 1990, male_chars_2, female_chars_2, male_names_2, female_names_2 },
  { 2005, male_chars_3, female_chars_3, male_names_3, female_names_3 },
  { G_MAXINT, male_chars_4, female_chars_4, male_names_4, female_names_4 },
};

static const char * const foreign_surnames[] = {
  "NGUYEN", "TRAN", "LE", "PHAM", "KIM", "LEE", "PARK", "CHOI", "SATO", "SUZUKI",
  "TANAKA", "SMITH", "JOHNSON", "BROWN", "MULLER", "SILVA", "KHAN", "SINGH", "IVANOV",
  "PETROV", "GARCIA", "THAPA", "SOMCHAI", "ALI", NULL
};
static const char * const foreign_male[] = {
  "MINH", "VAN NAM", "JUN HO", "HIROSHI", "JAMES", "DAVID", "ALEXANDER", "PAUL", "AHMED",
  "RAVI", "MICHAEL", "SERGEI", "CARLOS", "OMAR", NULL
};
static const char * const foreign_female[] = {
  "THI LAN", "ANH", "YUNA", "AYAKO", "MARY", "ANNA", "SOFIA", "FATIMA", "PRIYA", "ELENA",
  "MARIA", "SU JIN", NULL
};

static const char * const place_first[] = {
  "白", "石", "龙", "凤", "金", "银", "清", "黄", "双", "高", "新", "长", "东", "西",
  "南", "北", "马", "太", "福", "桥", "杨", "柏", "青", "天", "水", "永", "先", "茶",
  "油", "珞", "慈", "德", "五", "三", "红", "鹿", NULL
};
static const char * const place_second[] = {
  "沙", "门", "华", "溪", "坪", "桥", "山", "湾", "河", "坝", "林", "家", "峰", "岩",
  "口", "池", "田", "场", "塘", "堡", "江", "泉", "岭", "兴", "安", "坡", NULL
};

static const char * const trade_chars[] = {
  "鑫", "隆", "恒", "达", "盛", "兴", "丰", "瑞", "祥", "源", "泰", "华", "宏", "昌",
  "福", "锦", "嘉", "汇", "诚", "信", "安", "顺", "德", "豪", "佳", "美", "欣", "康",
  "永", "金", "利", "通", "鸿", "新", "宇", "荣", "富", "凯", "旺", "创", "博", "星",
  "亿", "万", "天", "和", "聚", "众", "腾", "川", "渝", "江", "鼎", "益", NULL
};

static const char * const industries[] = {
  "商贸", "建筑工程", "餐饮管理", "物业管理", "科技", "机械制造", "物流", "房地产开发",
  "装饰工程", "农业开发", "电子", "汽车销售", "医药", "食品", "建材", "劳务",
  "文化传媒", "教育咨询", "环保科技", "运输", "酒业", "五金机电", "花椒种植",
  "服饰", NULL
};

static const char * const shop_kinds[] = {
  "小吃店", "面馆", "火锅店", "超市", "便利店", "理发店", "五金店", "药房", "水果店",
  "烟酒店", "茶馆", "服装店", "建材店", "汽车修理部", "手机店", "干洗店", "早餐店",
  "烧烤店", "农资店", "文具店", "美容店", "打印店", "粮油店", "豆花饭馆", "串串香",
  "副食店", "电器维修部", "棋牌室", NULL
};

/* Three-digit mobile prefixes of the three operators and the MVNO ranges
 * that are common on personal phones. */
static const char * const mobile_prefixes[] = {
  "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
  "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177",
  "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191",
  "193", "195", "198", "199", NULL
};

static guint
strv_len (const char * const *strv)
{
  guint n = 0;

  while (strv[n] != NULL)
    n++;

  return n;
}

static const char *
pick (PctRng             *rng,
      const char * const *strv)
{
  return strv[pct_rng_range (rng, 0, strv_len (strv))];
}

const char *
pct_names_surname (PctRng *rng)
{
  static gsize total = 0;
  guint64 draw;

  if (g_once_init_enter (&total))
    {
      gsize sum = 0;

      for (guint i = 0; i < G_N_ELEMENTS (surnames); i++)
        sum += surnames[i].per_100k;
      g_once_init_leave (&total, sum);
    }

  draw = (guint64) pct_rng_range (rng, 0, (gint64) total);
  for (guint i = 0; i < G_N_ELEMENTS (surnames); i++)
    {
      if (draw < surnames[i].per_100k)
        return surnames[i].surname;
      draw -= surnames[i].per_100k;
    }

  return surnames[0].surname;
}

void
pct_names_append_given (GString  *out,
                        PctRng   *rng,
                        gboolean  male,
                        int       birth_year)
{
  const Generation *generation = &generations[G_N_ELEMENTS (generations) - 1];
  const char * const *chars;
  double draw;

  for (guint i = 0; i < G_N_ELEMENTS (generations); i++)
    {
      if (birth_year < generations[i].born_before)
        {
          generation = &generations[i];
          break;
        }
    }

  chars = male ? generation->male_chars : generation->female_chars;
  draw = pct_rng_double (rng);

  if (draw < 0.14)
    {
      g_string_append (out, pick (rng, chars));
    }
  else if (draw < 0.45)
    {
      g_string_append (out, pick (rng, male ? generation->male_names : generation->female_names));
    }
  else
    {
      const char *first = pick (rng, chars);
      const char *second = pick (rng, chars);

      /* A doubled character (婷婷, 丹丹) is a girl's pet-name style; for
       * anyone else draw again once, which keeps it rare. */
      if (strcmp (first, second) == 0 && (male || pct_rng_chance (rng, 0.7)))
        second = pick (rng, chars);
      g_string_append (out, first);
      g_string_append (out, second);
    }
}

char *
pct_names_person (PctRng   *rng,
                  gboolean  male,
                  int       birth_year)
{
  GString *name = g_string_new (pct_names_surname (rng));

  pct_names_append_given (name, rng, male, birth_year);
  return g_string_free (name, FALSE);
}

void
pct_names_append_foreign (GString  *out,
                          PctRng   *rng,
                          gboolean  male)
{
  g_string_append (out, pick (rng, foreign_surnames));
  g_string_append_c (out, ' ');
  g_string_append (out, pick (rng, male ? foreign_male : foreign_female));
}

void
pct_names_append_place (GString *out,
                        PctRng  *rng)
{
  g_string_append (out, pick (rng, place_first));
  g_string_append (out, pick (rng, place_second));
}

void
pct_names_append_trade_name (GString *out,
                             PctRng  *rng)
{
  const char *first = pick (rng, trade_chars);
  const char *second = pick (rng, trade_chars);

  while (strcmp (first, second) == 0)
    second = pick (rng, trade_chars);
  g_string_append (out, first);
  g_string_append (out, second);
}

const char *
pct_names_industry (PctRng *rng)
{
  return pick (rng, industries);
}

const char *
pct_names_shop_kind (PctRng *rng)
{
  return pick (rng, shop_kinds);
}

void
pct_names_mobile (PctRng *rng,
                  char    out[PCT_NAMES_PHONE_SIZE])
{
  const char *prefix = pick (rng, mobile_prefixes);
  gint64 rest = pct_rng_range (rng, 0, 100000000);

  memcpy (out, prefix, 3);
  for (int i = 10; i >= 3; i--)
    {
      out[i] = (char) ('0' + rest % 10);
      rest /= 10;
    }
  out[11] = '\0';
}
