"""Catalog search with (mostly) cold caches: ~3,600 distinct searches, shuffled in each phase.

The catalog caches each search page per catalog generation (catalog/selectors.py), so the mix of
``catalog_search`` is a hot-cache figure after warm-up. Here the words people type in government
item names (and pinyin initials) are combined with levels, categories and pages, so that nearly
every request is a cache miss: the cost of the query itself. No aim of its own; reported beside
the same bare constant view.
"""

from __future__ import annotations

from urllib.parse import urlencode

NAME = "catalog search, cache misses"
BASELINE = "constant"
AIMS: dict[str, float] = {}
FRESH_PATHS = True  # shuffle the paths in each phase (bench/run.py)

WORDS = (  # noqa: SIM905 - a readable block of words
    "许可 登记 备案 审批 核准 证明 变更 注销 延续 新办 补证 认定 确认 申请 办理 发放 补贴 资格 执业 经营 "
    "设立 建设 工程 施工 规划 医疗 机构 食品 药品 卫生 教育 学校 民办 社会 组织 团体 企业 个体 户籍 居住 "
    "护照 港澳 台湾 出入境 驾驶 机动车 道路 运输 出租 水务 排水 绿化 树木 环境 评价 排污 危险 废物 消防 "
    "安全 生产 特种 设备 计量 广告 商标 出版 印刷 文物 旅游 娱乐 体育 慈善 婚姻 收养 殡葬 养老 残疾 救助 "
    "退役 就业 失业 社保 医保 公积金 住房 房屋 不动产 土地 林木 农药 兽药 种子 渔业 动物 检疫 税务 发票 "
    "统计 气象 人防 宗教 民族 律师 公证 法律 职业 技能 培训 证书 资质 独生子女 老年 津贴 居住证 "
    "xk dj ba sp hz jz yl sw js gc jy ws sh qy hj"
).split()


def paths() -> list[str]:
    out = []
    for word in WORDS:
        for level in ("", "city", "district", "street"):
            for category in ("", "approval", "service"):
                for page in ("1", "2"):
                    query = {"q": word, "level": level, "category": category, "page": page}
                    out.append("/api/v1/catalog/items?" + urlencode({k: v for k, v in query.items() if v}))
    return out
