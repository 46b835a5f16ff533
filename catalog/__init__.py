"""What exists: the models, tasks and datasets the claims name (prompt sets live in
``catalog.prompts``). Importing this package registers them all; this list is the one table of
registrations."""

from catalog import (  # noqa: F401  (registration side effects)
    datasets,
    double_descent,
    fine_tuning,
    induction,
    lm,
    memorisation,
    modular,
    modular_variants,
    phase_change,
    pretrained,
    sequences,
    superposition,
    toy_ioi,
    translation,
    tracr,
)
