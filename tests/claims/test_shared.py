from harness.claims.shared import prompt_seeds


def test_prompt_seeds_run_the_fast_seed_by_default_and_mark_the_others_slow():
    params = prompt_seeds((0, 1, 2), fast=1).args[1]
    assert [p.values[0] for p in params] == [0, 1, 2]
    assert [p.id for p in params] == ["prompts0", "prompts1", "prompts2"]
    assert [[m.name for m in p.marks] for p in params] == [["slow"], [], ["slow"]]
