"""Every path of the workflow, defined once (relative to the working directory).

Stage declarations (:mod:`repgeom.stages`), figure declarations (:mod:`repgeom.figures`), the
planner (:mod:`repgeom.plan`) and the Snakemake rules all format these templates; nothing else
spells a path. The layout::

    results/stimuli/{stimset}.nc, results/neural/{neural}.nc, results/weights/{model}.pt,
    results/activations/{stimset}/{model}/{layer}.nc, results/dimensionality.nc,
    results/encoding.nc, results/classification.nc, results/manifolds.nc,
    results/distances/{stimset}/{metric}.nc (blocks under
    .../blocks/{metric}/{block}.nc), results/rdms/{stimset}.nc,
    results/inference/{stimset}/{metric}.nc, results/paths/{stimset}.nc,
    results/steps/{stimset}/{model}.nc, results/dsa/{clipset}.nc,
    results/dsa_sweep/{clipset}.nc (``tutorial`` or a clip set),
    figures/{figure}.{png,pdf}, logs/{rule}/{name}.log, results/benchmarks/{rule}/{name}.tsv
"""

from __future__ import annotations

STIMULI = "results/stimuli/{stimset}.nc"
NEURAL = "results/neural/{neural}.nc"
WEIGHTS = "results/weights/{model}.pt"
#: A folder of per-layer stores (``{layer}.nc``), one per stimulus set × model.
ACTIVATIONS = "results/activations/{stimset}/{model}"
LAYER = ACTIVATIONS + "/{layer}.nc"
DIMENSIONALITY = "results/dimensionality.nc"
ENCODING = "results/encoding.nc"
ENCODING_MODEL = "results/encoding/{model}.nc"
#: Few-shot readouts of every layer on the categorised still sets.
CLASSIFICATION = "results/classification.nc"
#: Class-manifold projection distances of every layer on the categorised still sets.
MANIFOLDS = "results/manifolds.nc"
DISTANCES = "results/distances/{stimset}/{metric}.nc"
DISTANCE_BLOCK = "results/distances/{stimset}/blocks/{metric}/{block}.nc"
RDMS = "results/rdms/{stimset}.nc"
#: Uncertainty, nulls, noise ceilings and comparisons of every model–brain score of a metric.
INFERENCE = "results/inference/{stimset}/{metric}.nc"
#: Representational paths: layers, pixels and labels in one metric space.
PATHS = "results/paths/{stimset}.nc"
#: One model's per-layer RDMs and 2-D stimulus maps (the steps figure).
STEPS = "results/steps/{stimset}/{model}.nc"
DSA = "results/dsa/{clipset}.nc"
#: The DSA tutorial's circle / oval / walk systems (``results/dsa/tutorial.nc``).
DSA_TUTORIAL = "tutorial"
#: DSA of the tutorial's systems over a grid of delay settings and DMD ranks.
DSA_SWEEP = "results/dsa_sweep/{clipset}.nc"
BENCHMARK = "results/benchmarks/{rule}/{name}.tsv"
LOG = "logs/{rule}/{name}.log"
#: A figure without its suffix (``repgeom figure --out`` takes this stem).
FIGURE_STEM = "figures/{figure}"
FIGURE = FIGURE_STEM + ".{ext}"
FIGURE_EXTS = ("png", "pdf")


def figure_files(figure: str) -> list[str]:
    """The files a figure is written to (PNG first: the report shows it)."""
    return [FIGURE.format(figure=figure, ext=ext) for ext in FIGURE_EXTS]
