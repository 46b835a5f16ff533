import catalog  # noqa: F401  (registers the models)
from harness.claims.scheduling import claim_group


def test_a_model_trained_here_is_one_group_across_areas():
    ids = ["claims/induction/test_induction_heads.py::test_x[toy-attn-2l-seed1]",
           "claims/dynamics/test_lottery_tickets.py::test_y[toy-attn-2l-seed1]"]
    assert {claim_group(nodeid) for nodeid in ids} == {"toy-attn-2l-seed1"}


def test_a_pretrained_model_is_one_group_per_area_with_its_prompt_seeds():
    assert claim_group("claims/ioi/test_ioi_found_circuit.py::test_a[smollm2-135m-seed0]") == "smollm2-135m-seed0@ioi"
    assert (claim_group("claims/nl_circuits/test_smollm2_mlp0.py::test_b[smollm2-135m-seed0-prompts2]")
            == claim_group("claims/nl_circuits/test_nl_behaviours.py::test_c[smollm2-135m-seed0]")
            == "smollm2-135m-seed0@nl_circuits")


def test_unregistered_models_and_other_tests():
    assert claim_group("claims/ioi/test_x.py::test_a[hf-org-model-seed0]") == "hf-org-model-seed0@ioi"
    assert claim_group("tests/claims/test_report.py::test_something") is None
