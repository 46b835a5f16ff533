"""A toy classification model with cross-entropy loss (open problem 4.12).

``tms-classify-n20-m5``: the n=20, m=5 ReLU output model's architecture, its 20 outputs read as
logits, trained with cross-entropy to name the largest of 20 sparse U[0, 1] features.
"""
from catalog.superposition import M, N
from harness import claim
from harness.tms import classification_accuracy, n_represented
from harness.tms.spec import TMSRun


@claim("4.12", "A cross-entropy classifier with an m=5 bottleneck over n=20 sparse features (S >= 0.9) "
       "classifies better than any model without superposition could: accuracy > (m + 1) / n = 0.3",
       models=["tms-classify-n20-m5"], seeds=[0, 1, 2])
def test_classifier_uses_superposition(model: TMSRun, evidence):
    """Hypothesis of 4.12 (does superposition appear with cross-entropy?). Without superposition
    the bottleneck carries m features: when the largest feature is another one the model can at
    best name one fixed class, so with the label ~uniform over 20 classes accuracy is about
    (m + 1) / n = 0.3. Threshold: accuracy > 0.3 at every sparsity (S = .9, .97, .99)."""
    x, labels = model.eval_batch(20_000)
    accuracy = classification_accuracy(model.net(x).detach(), labels)
    evidence.note("features with ||W_i|| > 0.5", model.by_sparsity(n_represented(model.net.W.detach())))
    evidence.note("accuracy", model.by_sparsity(accuracy))
    evidence.expect("min accuracy over sparsities", accuracy.min(), ">", (M + 1) / N)
