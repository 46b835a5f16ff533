"""harness.claims.html: the claims.html renderer, a pure function of the claims.json record."""

from __future__ import annotations

import json
import re

import pytest

from harness.claims.html import cell_text, pattern, plot, render_html, status
from harness.claims.problems import known_problems
from tests.claims.synthetic import write_synthetic_report


@pytest.fixture
def synthetic(tmp_path):
    json_path, md_path, html_path = write_synthetic_report(tmp_path)
    return json.loads(json_path.read_text()), html_path.read_text(), md_path.read_text()


def test_cells_count_the_seeds_most_common_verdict_first():
    assert cell_text(["holds"] * 3) == "3/3 hold"
    assert cell_text(["holds", "refuted-as-expected", "holds"]) == "2/3 hold, 1 refuted"


@pytest.mark.parametrize("by_model, expected", [
    ({"a": ["holds"] * 3, "b": ["holds", "skipped"]}, "holds-everywhere"),
    ({"a": ["refuted-as-expected"], "b": ["refuted-as-expected"]}, "uniform"),
    ({"a": ["holds", "fails"], "b": ["holds"]}, "splits-by-seed"),
    ({"a": ["holds", "holds"], "b": ["fails"]}, "splits-by-model"),
    ({"a": ["skipped"], "b": ["not-run"]}, "not-run"),
])
def test_agreement_patterns(by_model, expected):
    assert pattern(by_model) == expected


@pytest.mark.parametrize("verdicts, expected", [
    ([], "none"), (["not-run"], "not-run"), (["holds", "skipped"], "holds"), (["skipped"], "skipped"),
    (["refuted-as-expected", "fails"], "refuted"), (["holds", "fails"], "mixed"), (["inconclusive"], "inconclusive"),
])
def test_problem_status(verdicts, expected):
    assert status(verdicts) == expected


def test_a_plot_places_seeds_threshold_and_spread_and_leaves_out_nan():
    ms = [{"value": v, "threshold": 0.5, "op": ">", "passed": v > 0.5, "seed": s} for s, v in enumerate((0.2, 0.8))]
    ms.append({"value": "nan", "threshold": 0.5, "op": ">", "passed": None, "seed": 2})
    ms[0]["spread"] = {"min": 0.0, "q10": 0.1, "q25": 0.15, "median": 0.2, "q75": 0.25, "q90": 0.3, "max": 1.0, "n": 9}
    line = plot("score", [("m", ms)])["lines"][0]
    xs = [d["x"] for d in line["dots"]]
    assert xs[0] < line["threshold"] < xs[1] and xs[2] is None and line["nonfinite"] == ["seed 2: nan"]
    box = line["boxes"][0]
    assert box["min"] < box["q10"] < box["q25"] < box["median"] < box["q75"] < box["q90"] < box["max"]


def test_the_page_has_every_section_count_problem_and_claim(synthetic):
    record, html, md = synthetic
    counts = dict(re.findall(r'data-verdict="([a-z-]+)" data-count="(\d+)"', html))
    verdicts = [c["verdict"] for c in record["claims"]]
    assert counts == {v: str(verdicts.count(v)) for v in set(verdicts)}  # every verdict kind, incl. not-run
    assert {"error", "skipped", "not-run", "inconclusive", "unexpectedly-holds", "machine-dependent-fails"} <= set(counts)
    assert "Interrupted run: partial report" in html
    assert html.count('class="row"') == len({c["claim"] for c in record["claims"]}) == html.count('<details class="claim"')
    assert html.count("data-status=") == len(known_problems()) == 170
    assert '<td class="cell v-mixed fragile" data-model="toy-attn-2l"' in html and "2/3 hold, 1 fail" in html  # split by seed
    assert "3/3 skipped" in html and "1/1 not run" in html
    assert "1 not finite" in html  # the NaN measurement
    assert "Threshold 0.4: Olsson et al. 2022" in html and 'src="plots/attn.png"' in html
    assert 'title="weights sha256 ' + "01" * 32 + '"><code>' + "01" * 6 + "</code> · cpu · float32" in html  # provenance
    assert "Toolkit against known circuits" in html and "attribution patching" in html
    assert "## Toolkit against known circuits" in md and "| reverse | attribution patching | toy-attn-1l | 0 | 0.9 | 0.8 | 0.95 |" in md
    assert "http://" not in html and "https://" not in html  # self-contained
    assert html.count('<details class="neuron-page">') == 1 and "neuron page: layer 1, neuron 7" in html
    assert "<mark>2</mark>" in html and "&lt;b&gt;⏎<mark>7</mark>" in html  # the activating token marked, text escaped
    assert "linear-gradient(to right, #f4b183 25.0%" in html  # the activation's bar: 0.5 of the page's max 2.0
    assert "Neuron pages (HTML report): layer 1 neuron 7 (toy-attn-2l, seed 0; max 2, top-token share 0.5)" in md


def test_an_older_record_without_newer_fields_renders():
    record = {"run": {"finished": "x", "started": "y", "duration_s": 1.0, "exitstatus": 0, "interrupted": False, "args": [],
                      "versions": {"torch": "2.4"}, "git": {"commit": None, "dirty": None}},
              "claims": [{"nodeid": "f.py::t[m-seed0]", "claim": "t", "file": "claims/a/f.py", "problem": "3.16", "statement": "s",
                          "model": "m", "seed": 0, "verdict": "holds", "measurements": [{"name": "v", "value": 1.0, "op": ">", "threshold": 0.0, "passed": True}]}]}
    html = render_html(record)
    assert "1/1 hold" in html and "not recorded" in html and "neuron-page" not in html
