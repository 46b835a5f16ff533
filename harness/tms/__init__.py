"""Toy Models of Superposition (Elhage et al. 2022): models, data, training and geometry.

Plotting lives in :mod:`harness.tms.plots` (needs matplotlib; not imported here).
"""
from .data import (
    PAIR_OPS, TARGETS, VALUE_DISTRIBUTIONS, abs_target, adjacent_pairs, all_pairs, density_sweep,
    generate_classification_batch, generate_features, importance_weights,
    make_classification_batch_fn, make_computation_batch_fn, grouped_abs_sum, computation_target,
    default_distribution, make_feature_batch_fn, pair_target,
    sample_values, square_target, two_class_density,
)
from .geometry import (
    STICKY_FRACTIONS, STICKY_GEOMETRIES, activation_kurtosis, angles_between_features,
    dimensions_per_feature, feature_dimensionality, feature_norms, feature_overlaps, n_represented,
    nearest_sticky_fraction, neuron_monosemanticity, polygon_angles, privileged_basis_score,
    superposition,
)
from .evaluate import classification_accuracy, output_r2, represented_sets, single_input_r2
from .models import ACTIVATIONS, ComputationModel, ReLUOutputModel, apply_activation
from .train import LOSSES, LR_SCHEDULES, OPTIMIZERS, tms_loss, train_tms

__all__ = [
    # models
    "ReLUOutputModel", "ComputationModel", "ACTIVATIONS", "apply_activation",
    # data
    "VALUE_DISTRIBUTIONS", "PAIR_OPS", "TARGETS", "density_sweep",
    "importance_weights", "two_class_density", "sample_values",
    "generate_features", "make_feature_batch_fn", "adjacent_pairs", "all_pairs", "abs_target",
    "square_target", "pair_target", "make_computation_batch_fn", "generate_classification_batch",
    "make_classification_batch_fn", "grouped_abs_sum", "computation_target", "default_distribution",
    # training
    "train_tms", "tms_loss", "LOSSES", "OPTIMIZERS", "LR_SCHEDULES",
    # geometry
    "STICKY_FRACTIONS", "STICKY_GEOMETRIES", "feature_norms", "feature_overlaps", "superposition",
    "feature_dimensionality", "dimensions_per_feature", "angles_between_features", "polygon_angles",
    "n_represented", "nearest_sticky_fraction", "neuron_monosemanticity", "privileged_basis_score",
    "activation_kurtosis",
    # behaviour
    "output_r2", "single_input_r2", "classification_accuracy", "represented_sets",
]
