"""union_combiner and disjoint_domain_combiner."""

from __future__ import annotations

import pytest

from esper_rekall.runtime import RekallRuntimeException, disjoint_domain_combiner, union_combiner
from tests.runtime import queries
from tests.runtime.queries import as_dict


def test_union_combiner_unions_two_collections() -> None:
    combined = union_combiner(
        queries.one_interval_per_video([1, 2]), queries.one_interval_per_video([2, 3])
    )
    assert sorted(combined.keys()) == [1, 2, 3]
    assert len(as_dict(combined)[2]) == 2


def test_disjoint_domain_combiner_keeps_every_domain() -> None:
    combined = disjoint_domain_combiner(
        queries.two_intervals_per_video([1, 2]), queries.two_intervals_per_video([3])
    )
    assert as_dict(combined) == as_dict(queries.two_intervals_per_video([1, 2, 3]))


def test_disjoint_domain_combiner_does_not_modify_its_inputs() -> None:
    left, right = queries.one_interval_per_video([1]), queries.one_interval_per_video([2])
    disjoint_domain_combiner(left, right)
    assert sorted(left.keys()) == [1] and sorted(right.keys()) == [2]


def test_disjoint_domain_combiner_names_the_overlapping_domains() -> None:
    with pytest.raises(RekallRuntimeException, match=r"overlapping domains: 2, 3$"):
        disjoint_domain_combiner(
            queries.one_interval_per_video([1, 2, 3]), queries.one_interval_per_video([2, 3, 4])
        )


def test_disjoint_domain_combiner_shortens_a_long_list_of_overlaps() -> None:
    videos = list(range(25))
    with pytest.raises(RekallRuntimeException, match=r"0, 1, 2, .*, 9 and 15 more$"):
        disjoint_domain_combiner(
            queries.one_interval_per_video(videos), queries.one_interval_per_video(videos)
        )


def test_disjoint_domain_combiner_rejects_what_is_not_a_collection() -> None:
    with pytest.raises(TypeError, match="combines DomainIntervalCollections, got list"):
        disjoint_domain_combiner([1], [2])
