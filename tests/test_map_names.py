"""Map names: the corrected suffix written and read in one place."""

from attrprior.map_names import corrected_name, split_map_name


def test_corrected_names_round_trip():
    assert corrected_name("saliency") == "saliency_corrected"
    assert split_map_name("deepshap_corrected") == ("deepshap", True)
    assert split_map_name("integrated_gradients") == ("integrated_gradients", False)
    for method in ("saliency", "grad_x_input", "expected_gradients"):
        assert split_map_name(corrected_name(method)) == (method, True)
        assert split_map_name(method) == (method, False)
