"""Frequent questions mined from the Q&A: similar questions clustered by character n-grams.

Pure: no database, no model downloaded. A question is normalised (full-width folded to ASCII by
NFKC, lower-cased, punctuation, spaces and filler words such as 请问、怎么、如何 dropped), then
represented by its character bigrams and trigrams. Two questions are similar when the weighted
Jaccard-like overlap of their n-gram sets (Dice coefficient over bigrams and trigrams) reaches
``threshold``; clusters are the connected groups of similar questions (single linkage,
union-find), so a paraphrase that shares enough with any member joins the cluster. Only groups of
at least ``min_size`` questions are returned, largest first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

#: Question words and politeness that every question shares and that say nothing of its subject.
FILLERS = (
    "请问一下", "请问", "想问一下", "想问", "问一下", "咨询一下", "咨询", "您好", "你好", "谢谢", "麻烦",
    "怎么样", "怎么", "怎样", "如何", "什么", "哪里", "哪些", "哪儿", "需要", "可以", "能不能", "是否",
    "要不要", "吗", "呢", "啊", "呀", "吧", "的", "了", "我", "一下",
)
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
DEFAULT_THRESHOLD = 0.22


def normalize(text: str) -> str:
    """The text without punctuation, spaces and filler words, NFKC-folded and lower-cased."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _DROP.sub("", folded)
    for word in FILLERS:
        folded = folded.replace(word, "")
    return folded


def ngrams(text: str, sizes: Sequence[int] = (2, 3)) -> frozenset[str]:
    """Character n-grams of the normalised text (a text shorter than n gives itself)."""
    base = normalize(text)
    grams: set[str] = set()
    for n in sizes:
        if len(base) < n:
            if base:
                grams.add(base)
            continue
        grams.update(base[i:i + n] for i in range(len(base) - n + 1))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient 2|A∩B| / (|A|+|B|) of two n-gram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True)
class Cluster:
    """Indices of the member texts, the most central member (the representative) and its score."""

    members: tuple[int, ...]
    representative: int
    cohesion: float


def cluster(texts: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD, min_size: int = 2) -> list[Cluster]:
    """Cluster ``texts`` (see the module docstring). O(n²) pairs: meant for a center's questions
    of a period (hundreds to a few thousand), not for a whole city's history at once."""
    grams = [ngrams(t) for t in texts]
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    scores: dict[tuple[int, int], float] = {}
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            s = similarity(grams[i], grams[j])
            if s >= threshold:
                scores[(i, j)] = s
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(find(i), []).append(i)
    result: list[Cluster] = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        best, best_score = members[0], -1.0
        for m in members:
            total = sum(similarity(grams[m], grams[o]) for o in members if o != m)
            if total > best_score:
                best, best_score = m, total
        result.append(Cluster(members=tuple(members), representative=best,
                              cohesion=round(best_score / (len(members) - 1), 3)))
    result.sort(key=lambda c: (-len(c.members), c.members[0]))
    return result
