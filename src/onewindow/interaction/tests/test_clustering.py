"""Frequent-question mining: planted paraphrases cluster together, and apart from each other and
from unrelated questions, exactly (clustering.py; issue #14 part 7)."""

from __future__ import annotations

import random

from onewindow.interaction.clustering import cluster, ngrams, normalize, similarity

PLANTED = {
    "居住证": ["居住证怎么办理？", "请问办理居住证需要哪些材料？", "办居住证要带什么材料",
            "外地人在上海怎么申请居住证", "居住证到期了怎么续办？"],
    "医保卡": ["医保卡丢了怎么补办？", "医保卡遗失了如何补办", "请问医保卡丢失后在哪里补办", "医保卡掉了，补办要多久"],
    "老年卡": ["老年卡怎么申请？", "老人满60岁如何办理老年卡", "请问办理老年卡需要什么材料",
            "我爸今年65了，老年卡在哪里申请"],
    "生育登记": ["生育登记怎么办理", "生二胎要做生育登记吗，去哪里登记", "请问生育登记网上可以办吗"],
}
UNRELATED = ["中心周六上班吗", "停车场在哪里", "复印身份证收费吗", "户口迁移需要本人到场吗",
             "社区食堂几点开门", "残疾证年审什么时候"]


def _mixed(seed: int) -> tuple[list[str], list[str | None]]:
    rows: list[tuple[str, str | None]] = [(t, topic) for topic, ts in PLANTED.items() for t in ts]
    rows += [(t, None) for t in UNRELATED]
    random.Random(seed).shuffle(rows)
    return [t for t, _ in rows], [label for _, label in rows]


def test_planted_paraphrases_cluster_together_and_apart_exactly():
    for seed in (1, 2, 3):
        texts, labels = _mixed(seed)
        clusters = cluster(texts)
        got = sorted(sorted(texts[m] for m in c.members) for c in clusters)
        assert got == sorted(sorted(ts) for ts in PLANTED.values())
        for c in clusters:
            assert len({labels[m] for m in c.members}) == 1
            assert c.representative in c.members
            assert 0 < c.cohesion <= 1


def test_clusters_are_ordered_largest_first_and_singletons_dropped():
    texts, _ = _mixed(7)
    sizes = [len(c.members) for c in cluster(texts)]
    assert sizes == [5, 4, 4, 3]
    assert cluster(UNRELATED) == []
    assert cluster([]) == []


def test_normalize_drops_fillers_punctuation_and_folds_width():
    assert normalize("请问，办理居住证需要哪些材料？") == "办理居住证材料"
    assert normalize("ＡＢＣ卡 怎么 补办!") == "abc卡补办"


def test_similarity_of_identical_and_disjoint_texts():
    a = ngrams("医保卡补办")
    assert similarity(a, a) == 1.0
    assert similarity(a, ngrams("停车场")) == 0.0
    assert similarity(a, frozenset()) == 0.0
