"""Toy Models of Superposition (Elhage et al. 2022): models, data, training and geometry.

Plotting lives in ``harness.tms.plots`` (needs matplotlib; not imported here).
"""
from harness.tms.data import (  # noqa: F401
    PAIR_OPS, TARGETS, VALUE_DISTRIBUTIONS, abs_target, adjacent_pairs, all_pairs, density_sweep,
    generate_classification_batch, generate_features, importance_weights,
    make_classification_batch_fn, make_computation_batch_fn, grouped_abs_sum, computation_target,
    default_distribution, make_feature_batch_fn, pair_target,
    sample_values, square_target, two_class_density,
)
from harness.tms.geometry import (  # noqa: F401
    STICKY_FRACTIONS, STICKY_GEOMETRIES, activation_kurtosis, angles_between_features,
    dimensions_per_feature, feature_dimensionality, feature_norms, group_cosines, feature_overlaps, n_represented,
    nearest_sticky_fraction, neuron_monosemanticity, polygon_angles, privileged_basis_score,
    superposition,
)
from harness.tms.evaluate import (  # noqa: F401
    classification_accuracy, neuron_features, output_r2, represented_sets, single_input_r2,
)
from harness.tms.models import ACTIVATIONS, ComputationModel, ReLUOutputModel, apply_activation, widened  # noqa: F401
from harness.tms.train import LOSSES, TMS_TRAINING, tms_loss, train_tms  # noqa: F401

