"""An open problem from the end of "Toy Models of Superposition" (4.45, issue #18): "Is there a
statistical test for catching superposition?" (Elhage et al. 2022, "Open Questions"). A test that
reads only the hidden activations, checked on the n=20, m=5 sweep, whose weights say where
superposition is (more than m features with ||W_i|| > 0.5)."""

import torch

from harness import claim
from harness.tms import n_represented
from harness.tms.geometry import direction_clusters
from harness.tms.spec import TMSRun

SEEDS = [0, 1, 2]


@claim("4.45", "A statistical test from hidden activations alone catches superposition: on every instance of the "
       "n=20, m=5 sweep, more than m directions each holding >= 1% of the nonzero hidden vectors (cosine > 0.95) "
       "exactly when the weights represent more than m features", models=["tms-relu-n20-m5-sweep"], seeds=SEEDS,
       refuted="agrees on 6 of 7 instances (seeds 0-2): every sparse instance (S >= 0.7, 7-14 features represented) "
               "has 12-30 directions, but so has the dense S = 0 instance (24 / 17 / 22 directions, 5 features "
               "represented): dense inputs spread the hidden vectors into many 1% caps; a false positive")
def test_direction_count_detects_superposition(model: TMSRun, evidence):
    """Our own statistic (``direction_clusters``, on the first 2000 nonzero hidden vectors) and
    thresholds (cosine 0.95, share 1%, agreement on all 7 instances from S = 0 to 0.999), set
    before measuring. 20000 inputs of each instance's training distribution; the truth is
    ``n_represented(W) > m``."""
    x = model.eval_batch(20_000)
    with torch.no_grad():
        h = model.net.hidden(x).cpu()  # [batch, instances, m]
    m = h.shape[-1]
    directions = torch.tensor([direction_clusters(h[:, i]) for i in range(h.shape[1])])
    truth = n_represented(model.net.W.detach().cpu()) > m
    evidence.note("directions per instance", model.by_sparsity(directions))
    evidence.note("features represented per instance", model.by_sparsity(n_represented(model.net.W.detach().cpu())))
    evidence.expect("instances where the test agrees with the weights", int(((directions > m) == truth).sum()),
                    ">=", len(truth))
