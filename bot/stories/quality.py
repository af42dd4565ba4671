"""Pairwise precision and recall of a clustering against labels (pure; tests, bench)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True, slots=True)
class Quality:
    """How a clustering compares with the labels, pair by pair."""

    precision: float  # of the pairs put together, the share that belong together
    recall: float  # of the pairs that belong together, the share put together
    true_pairs: int
    predicted_pairs: int
    joined_singletons: tuple[str, ...]  # keys labelled alone that were joined anyway


def pairwise(labels: Mapping[str, str], assigned: Mapping[str, int]) -> Quality:
    """Score `assigned` (key → cluster) against `labels` (key → event); same keys."""
    keys = sorted(labels)
    label_size: dict[str, int] = {}
    for key in keys:
        label_size[labels[key]] = label_size.get(labels[key], 0) + 1
    cluster_size: dict[int, int] = {}
    for key in keys:
        cluster_size[assigned[key]] = cluster_size.get(assigned[key], 0) + 1
    truth = predicted = both = 0
    for a, b in combinations(keys, 2):
        same_label = labels[a] == labels[b]
        same_cluster = assigned[a] == assigned[b]
        truth += same_label
        predicted += same_cluster
        both += same_label and same_cluster
    lonely = tuple(k for k in keys if label_size[labels[k]] == 1 and cluster_size[assigned[k]] > 1)
    return Quality(
        precision=both / predicted if predicted else 1.0,
        recall=both / truth if truth else 1.0,
        true_pairs=truth,
        predicted_pairs=predicted,
        joined_singletons=lonely,
    )
