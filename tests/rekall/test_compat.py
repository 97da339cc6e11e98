"""Every original Rekall module name imports and exposes its public names."""

from __future__ import annotations

import importlib

import pytest

from esper_rekall.intervals.interval import Interval3D

ORIGINAL = {
    "interval_set_3d": ["Interval3D", "IntervalSet3D"],
    "interval_set_3d_utils": ["merge_bound", "overlap_bound", "bound_size", "sort_key_time_x_y",
                              "T", "X", "Y", "XY", "P", "not_pred", "and_preds", "or_preds",
                              "perf_count"],
    "domain_interval_collection": ["DomainIntervalCollection"],
    "temporal_predicates": ["before", "after", "overlaps", "overlaps_before", "overlaps_after",
                            "starts", "starts_inv", "finishes", "finishes_inv", "during",
                            "during_inv", "meets_before", "meets_after", "equal", "INFTY"],
    "bbox_predicates": ["position", "has_value", "area_exactly", "area_at_least", "area_at_most",
                        "area_between", "width_exactly", "width_at_least", "width_at_most",
                        "width_between", "height_exactly", "height_at_least", "height_at_most",
                        "height_between", "and_pred_node", "or_pred_node", "left_of", "right_of",
                        "above", "below", "same_area", "more_area", "less_area", "same_width",
                        "more_width", "less_width", "same_height", "more_height", "less_height",
                        "same_value"],
    "spatial_predicates": ["make_region", "full_frame", "left_half", "right_half", "top_half",
                           "bottom_half", "top_left", "top_right", "bottom_left", "bottom_right",
                           "center", "scene_graph"],
    "logical_predicates": ["and_pred", "or_pred", "true_pred", "false_pred", "not_pred"],
    "payload_predicates": ["payload_satisfies", "on_name"],
    "list_predicates": ["length_exactly", "length_at_least", "length_at_most", "length_between"],
    "merge_ops": ["payload_first", "payload_second", "payload_plus", "merge_named_payload"],
    "parsers": ["dict_payload_parser", "label_payload_parser", "bbox_payload_parser", "in_array",
                "merge_dict_parsers", "named_payload"],
    "common": ["INFTY"],
    "interval_list": ["Interval", "IntervalList"],
    "video_interval_collection": ["VideoIntervalCollection"],
}


@pytest.mark.parametrize("module", sorted(ORIGINAL))
def test_module_exposes_original_public_names(module):
    mod = importlib.import_module(f"esper_rekall.rekall.{module}")
    for name in ORIGINAL[module]:
        assert hasattr(mod, name), f"{module}.{name}"
        assert name in mod.__all__
    assert set(mod.__all__) == set(ORIGINAL[module])


def test_both_not_preds_keep_their_behaviour():
    from esper_rekall.rekall import interval_set_3d_utils as utils
    from esper_rekall.rekall import logical_predicates as lp

    with pytest.raises(TypeError):
        lp.not_pred(lambda a, b: True)(1, 2)  # arity 1 by default
    assert not lp.not_pred(lambda a, b: True, arity=2)(1, 2)
    assert not utils.not_pred(lambda a, b: True)(1, 2)


def test_a_reference_query_runs_with_only_imports_changed():
    from esper_rekall.rekall.bbox_predicates import left_of
    from esper_rekall.rekall.interval_list import Interval
    from esper_rekall.rekall.interval_set_3d import IntervalSet3D
    from esper_rekall.rekall.interval_set_3d_utils import XY, T, and_preds
    from esper_rekall.rekall.merge_ops import payload_plus
    from esper_rekall.rekall.temporal_predicates import overlaps

    assert overlaps()(Interval(0, 10, None), Interval(5, 15, None))
    faces = IntervalSet3D([Interval3D((0, 10), (0, 0.3), payload=["a"]),
                           Interval3D((5, 15), (0.5, 0.9), payload=["b"])])
    pairs = faces.join(faces, and_preds(T(overlaps()), XY(left_of())),
                       lambda i, j: [i.merge(j, payload_plus)])
    assert [(i.t, i.payload) for i in pairs.get_intervals()] == [((0, 15), ["a", "b"])]


def test_package_lists_the_original_modules():
    import esper_rekall.rekall as compat

    assert set(ORIGINAL) <= set(compat.__all__)
