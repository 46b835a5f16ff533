"""Per-item phase transitions (seed problem 5.31): on an algorithmic task, does each item switch
from wrong to right abruptly, with the aggregate's gradual curve a mixture of switches at
different times, or does every item improve as gradually as the aggregate?

Model: ``sort-variable-2l`` (3000 steps; a checkpoint every 75 steps and 120 log-spaced ones).
Items: 512 fresh lists (seed 1000). Per item: the probability of its whole sorted answer under
teacher forcing at each checkpoint (``answer_log_probs``), the smooth counterpart of "the item
is fully right" (a 0/1 curve, whose 80% window is one checkpoint interval by construction). The
aggregate is the items' mean. Seeds 1 and 2 are slow.
"""

import numpy as np

from harness import claim
from harness.interp.phase import change_window, change_windows
from harness.interp.plots import line_plot

LEARNED = (0.1, 0.9)  # an item is learned when its answer probability rises from below 0.1 to above 0.9
PLOTTED_ITEMS = 12


@claim("5.31", "Sorting items switch abruptly: most items' own rise is less than half as wide as the aggregate's",
       models=["sort-variable-2l"], seeds=[0, 1, 2],
       refuted={"sort-variable-2l-seed0": "items do switch abruptly (median item window 0.023 of training) but all at "
                                          "about the same time: the aggregate's own window is 0.036, and only 19% of the "
                                          "512 learned items rise within half of it",
                "sort-variable-2l-seed1": "only 22% of the 512 learned items rise within half of the aggregate's "
                                          "window (0.036 of training)",
                "sort-variable-2l-seed2": "only 24% of the 512 learned items rise within half of the aggregate's "
                                          "window (0.036 of training)"})
def test_items_switch_abruptly(sorting_items, evidence, target, plot_dir):
    """Our own hypothesis and threshold, set before measuring: among the learned items, the share
    whose own 80% change window (``phase.change_window``, a share of training) is below half the
    aggregate curve's window is > 0.5. Precondition: at least 100 of the 512 items are learned
    (answer probability < 0.1 at the first checkpoint, > 0.9 at the last)."""
    steps, items = sorting_items
    aggregate = items.mean(axis=0)
    learned = items[(items[:, 0] < LEARNED[0]) & (items[:, -1] > LEARNED[1])]
    evidence.attach("items' answer probability", line_plot(
        plot_dir / f"{target.id}-per-item.png", steps,
        {"aggregate (mean of 512)": aggregate} | {f"item {i}": curve for i, curve in enumerate(learned[:PLOTTED_ITEMS])},
        title=f"{target.id}: whole-answer probability per item", ylabel="probability"))
    evidence.require("learned items (of 512)", len(learned), ">=", 100)
    windows, whole = change_windows(steps, learned), change_window(steps, aggregate)
    evidence.note("aggregate's 80% change window (share of training)", whole)
    evidence.expect("share of learned items whose window < half the aggregate's", float(np.mean(windows < whole / 2)), ">", 0.5,
                    per_example=windows)
