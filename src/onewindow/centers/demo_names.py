"""Names, tables and texts of the 临汾路 demo center (see ``centers.demo``): kept apart from the code.

The ticket categories are those a Shanghai 社区事务受理服务中心 actually runs (社保、医保、民政、
居住证、计生 and 综合咨询); the items of the catalog demo are sorted into them by keywords of their
names, first match wins, 综合咨询 takes the rest. Volumes, shares and service times are plausible
figures for a central-city street of ~100,000 residents, not published statistics.
"""

from __future__ import annotations

CENTER_CODE = "310106021"
DEPARTMENT_CODE = "310106021-SQSW"
CENTER_NAME = "临汾路街道社区事务受理服务中心"
CENTER_SHORT = "临汾路中心"
# Illustrative address (the demo does not claim the real house number); 12345 is the real city hotline.
CENTER_ADDRESS = "上海市静安区临汾路（演示用示意地址）"
CENTER_PHONE = "12345（上海市民服务热线）"

# prefix, name, median service minutes (lognormal), share of visits, planned minutes (wait estimates)
CATEGORIES: tuple[tuple[str, str, float, float, int], ...] = (
    ("A", "社会保障（就业·养老·社保卡）", 8.0, 0.26, 9),
    ("B", "医疗保险·医疗救助", 6.5, 0.22, 7),
    ("C", "民政救助·为老服务·助残", 10.5, 0.17, 12),
    ("D", "居住证·居住登记·住房", 9.0, 0.15, 10),
    ("E", "计划生育·人口（生育·独生子女）", 7.0, 0.10, 8),
    ("F", "综合咨询·材料补正·证照领取", 3.5, 0.10, 4),
)

# Keywords of item names per category, tried in this order (the first category that matches wins).
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("E", ("独生子女", "计划生育", "生育", "婚育", "出生医学", "孕产妇", "儿童保健", "预防接种", "失独")),
    ("B", ("医保", "医疗", "门诊", "门急诊", "长期护理保险", "异地就医", "家庭医生", "家庭病床", "社区卫生",
           "体检")),
    ("D", ("居住证", "居住登记", "户口", "房屋", "住房", "廉租", "公共租赁", "共有产权", "来沪")),
    ("A", ("社保", "社会保险", "养老保险", "养老金", "养老待遇", "失业", "就业", "创业", "职业", "见习", "退休",
           "丧葬补助", "工伤", "困难职工")),
    ("C", ("救助", "低保", "最低生活", "低收入", "困难", "帮困", "特困", "残疾", "阳光之家", "助残", "老年", "敬老",
           "高龄", "养老", "助餐", "照护", "助老", "为老", "适老", "无障碍", "优抚", "抚恤", "退役", "义务兵",
           "殡葬", "海葬", "慈善", "精神障碍", "民族", "少数民族", "减免", "公交")),
)
FALLBACK_CATEGORY = "F"

# number, kind, categories — 综合窗口 serve most lines (全岗通 一口受理); specialised windows one line.
WINDOWS: tuple[tuple[int, str, str, str], ...] = (
    (1, "comprehensive", "综合受理窗口", "ABCEF"),
    (2, "comprehensive", "综合受理窗口", "ABCEF"),
    (3, "comprehensive", "综合受理窗口", "ABCEF"),
    (4, "comprehensive", "综合受理窗口", "ABCEF"),
    (5, "comprehensive", "综合受理窗口", "ABCEF"),
    (6, "comprehensive", "综合受理窗口（含居住证）", "ABCDEF"),
    (7, "specialised", "医保专窗", "B"),
    (8, "specialised", "居住证专窗", "D"),
    (9, "specialised", "居住证专窗", "D"),
    (10, "specialised", "民政助残·咨询弹性窗口", "CF"),
)
# The order in which windows are staffed on a day (fewer windows on quiet days).
STAFFING_ORDER = (1, 2, 3, 8, 7, 4, 6, 5, 9, 10)
OPEN_NOW = (1, 2, 3, 4, 5, 6, 7, 8)  # window state after the load (9 and 10 opened on busy days)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯沈顾陆钱蒋"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌玲凤珍"

# The generated clerks of the center (no login): name, female, birth year.
CLERKS: tuple[tuple[str, bool, int], ...] = (
    ("陆佳怡", True, 1991), ("顾晓峰", False, 1986), ("沈丽萍", True, 1979), ("金伟民", False, 1975),
    ("朱婷婷", True, 1994), ("钱俊杰", False, 1989), ("孙雅琴", True, 1983), ("徐海燕", True, 1981),
    ("蒋志明", False, 1992),
)

# Working-day volume: base visits on an ordinary Wednesday, weekday factors (Monday busiest),
# month factors (January: social-insurance and medical-insurance year start; July: retirements and
# graduates; February: the Spring Festival), and per-category month boosts.
BASE_VISITS = 205
WEEKDAY_FACTOR = (1.28, 1.06, 1.0, 0.96, 0.84, 1.0, 1.0)
AFTER_HOLIDAY_FACTOR = 1.35  # the first working day after a holiday of more than a weekend
ADJUSTED_WORKDAY_FACTOR = 0.8  # 调休上班 on a weekend
MONTH_FACTOR = {1: 1.22, 2: 0.9, 3: 1.02, 4: 0.98, 5: 0.97, 6: 1.0, 7: 1.2, 8: 1.06, 9: 1.0, 10: 0.97,
                11: 1.0, 12: 1.08}
CATEGORY_MONTH_BOOST = {(1, "A"): 1.3, (1, "B"): 1.35, (7, "A"): 1.45, (7, "E"): 1.15, (12, "B"): 1.2,
                        (9, "D"): 1.2}
PRE_FESTIVAL_FACTOR = 0.65  # the working days just before the Spring Festival holiday

# Arrivals per quarter hour from 09:00 (peaks 9:00–10:30 and 13:30–14:30; the lunch dip); the last
# ticket is at 16:30. The morning peak stays within what the ten windows can serve at the target
# (issue #15: an ordinary Monday's 09:00 half-hour is ~8 erlangs), so a staffing proposal exists.
QUARTER_WEIGHTS = (1.6, 1.5, 1.6, 1.6, 1.7, 1.6, 1.4, 1.25, 1.1, 1.0, 0.7, 0.5, 0.4, 0.4, 0.5, 0.7, 0.9, 1.1,
                   1.5, 1.6, 1.6, 1.5, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.35)
# The history's duty plan (centers.demo.history ``staffed``): flat all day, one window per this many
# expected visits of the day, 7 to 10 windows — so the peaks are short-staffed (人少于事) and the
# quiet hours idle (人浮于事), the two kinds of slots that elastic staffing flags (issue #15 "Demo").
VISITS_PER_WINDOW = 32

GOOD_COMMENTS = ("办事效率高，服务态度好", "工作人员很耐心，讲解清楚", "一次就办好了，不用跑第二趟", "窗口服务热情周到",
                 "预约后基本不用排队，很方便", "帮老人填表，非常贴心")
BAD_COMMENTS = ("等候时间太长", "材料要求没有一次性告知清楚，要再跑一趟", "窗口人员态度比较生硬",
                "叫号后窗口迟迟没有办理", "系统故障，等了很久")
FOLLOWUP_CONTACT = "已电话回访办事人，核实情况属实，向其致歉并说明原因。"
FOLLOWUP_FIX = ("高峰时段增开弹性窗口，并对窗口人员进行一次性告知培训。",
                "完善办事指南材料清单，窗口统一执行一次性告知。",
                "对当事窗口人员进行服务规范教育，纳入当月绩效考核。")
FOLLOWUP_REPLY = "感谢您的评价，我们已整改，欢迎继续监督。"
