"""Run the real Snakemake workflow on a tiny config in a temporary folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from repgeom import store
from repgeom.figures import BUILTIN as FIGURE_NAMES

REPO = Path(__file__).resolve().parents[2]
TINY = Path(__file__).with_name("tiny.yaml")
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
#: Generous bound on one workflow run of the tiny config (about 30 s on 2 cores).
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.workflow


def snakemake(workdir: Path, *args: str, config: Path = TINY, check: bool = True):
    cmd = [
        *SNAKEMAKE,
        "--directory",
        str(workdir),
        "--configfile",
        str(config),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if check and proc.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def stores(workdir: Path) -> list[Path]:
    return sorted((workdir / "results").rglob("*.nc"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("wf")
    snakemake(workdir)
    return workdir


def test_every_store_and_figure_is_written_and_valid(finished):
    paths = stores(finished)
    kinds = {store.read(p).attrs["schema"] for p in paths}  # read() checks each schema
    assert kinds == {
        "stimuli",
        "neural",
        "activations",
        "dimensionality",
        "encoding",
        "classification",
        "manifolds",
        "distances",
        "rdms",
        "inference",
        "dsa_sweep",
        "paths",
        "steps",
    }
    layers = sorted(p.stem for p in (finished / "results/activations/grat/r18").glob("*.nc"))
    assert layers == ["block2", "pool", "stem"]
    clip = store.read(finished / "results/activations/clips/mnet/block6.nc")
    assert clip["features"].dims == ("stimulus", "time", "component")
    for fig in FIGURE_NAMES:
        for ext in ("png", "pdf"):
            assert (finished / f"figures/{fig}.{ext}").stat().st_size > 1000
    dims = store.read(finished / "results/dimensionality.nc")
    # layers: union of r18 (stem, block2, pool), mnet (block2, block6, pool) and rnn (stem,
    # step, step_1); the longest spectrum is the clips' 4 clips x 6 frames
    assert dims.sizes == {"model": 4, "layer": 6, "stimset": 2, "spectrum_index": 24}
    assert list(dims["training"].values) == ["untrained", "untrained", "supervised", "supervised"]
    # rnn is seen on grat only: no clips values
    assert dims["effective_dimensionality"].sel(model="rnn", stimset="clips").isnull().all()
    assert dims["effective_dimensionality"].sel(model="rnn", stimset="grat", layer="step") >= 1
    enc = store.read(finished / "results/encoding.nc")
    assert enc.sizes == {"model": 4, "layer": 6, "neural": 1, "neuroid": 30}
    assert np.isfinite(enc["median_r"].sel(model="r18t", layer="pool")).all()
    assert (finished / "results/weights/r18t.pt").stat().st_size > 10**6
    assert dims["effective_dimensionality"].sel(model="r18", layer="block6").isnull().all()
    assert (dims["effective_dimensionality"].sel(model="r18", layer="stem") >= 1).all()
    assert not list(finished.rglob("*.tmp")) and not list(finished.rglob("repgeom-gram-*"))
    few_shot = store.read(finished / "results/classification.nc")
    assert dict(few_shot["mrr"].sizes) == {
        "model": 4,
        "layer": 6,
        "stimset": 1,
        "classifier": 1,
        "n_train": 2,
        "repeat": 2,
    }
    assert np.isfinite(few_shot["mrr"].sel(model="r18t", layer="pool")).all()
    geometry = store.read(finished / "results/manifolds.nc")["projection_distances"]
    assert geometry.sizes["source_category"] == 4 and geometry.sizes["metric"] == 3


def test_distance_matrices_cover_every_representation(finished):
    """12 representations of grat (r18: 3 layers, mnet: 3, r18t: 2, rnn: 3, the v1 dataset),
    assembled from 3 block jobs; the clip set's DSA matrix has the 8 model layers (rnn is seen
    on grat only) and v1c."""
    shape_store = store.read(finished / "results/distances/grat/shape.nc")
    held_out = shape_store["distance"]
    assert held_out.sizes == {"split": 2, "rep_a": 12, "rep_b": 12}
    assert shape_store.attrs["n_blocks"] == 3 and shape_store.attrs["cv_folds"] == 4
    shape = held_out.sel(split="test")
    np.testing.assert_allclose(
        shape_store["dissimilarity"].values, shape.values
    )  # the figures' layout is the held-out split's
    assert list(shape["rep_a"].values[[0, -1]]) == ["r18/stem", "v1"]
    assert shape["rep_a_source"].values[-1] == "brain"
    D = shape.values
    assert (
        np.allclose(D, D.T) and np.all(np.diag(D) == 0) and np.all(D[~np.eye(12, dtype=bool)] > 0)
    )
    blocks = sorted(p.stem for p in (finished / "results/distances/grat/blocks/shape").glob("*.nc"))
    assert blocks == ["0-0", "0-1", "1-1"]
    rsa_split = store.read(finished / "results/distances/grat/rsa.nc")["distance"]
    rsa = rsa_split.sel(split="test")  # nothing to fit: train = test
    np.testing.assert_array_equal(rsa_split.sel(split="train").values, rsa.values)
    assert rsa.attrs["measure"] == "similarity" and np.allclose(np.diag(rsa.values), 1)
    layout = store.read(finished / "results/distances/grat/rsa.nc")
    assert layout["mds"].sizes == {"rep_a": 12, "mds_axis": 2}
    assert sorted(layout["leaf_order"].values) == list(range(12))
    np.testing.assert_allclose(layout["dissimilarity"].values, 1 - rsa.values)
    rdms = store.read(finished / "results/rdms/grat.nc")["rdm"]  # what the RSA figure draws:
    assert rdms.sizes == {"rep": 4, "stimulus": 16, "stimulus_": 16}  # r18's 3 layers and v1
    assert list(rdms["rep_model"].values) == ["r18", "r18", "r18", "v1"]
    percentiles = store.read(finished / "results/rdms/grat.nc")["rdm_percentile"].values
    assert percentiles.shape == rdms.shape and percentiles.min() == 0 and percentiles.max() == 100
    dsa = store.read(finished / "results/dsa/clips.nc")["distance"]
    assert dsa.sizes == {"rep_a": 9, "rep_b": 9} and np.isfinite(dsa.values).all()
    tutorial = store.read(finished / "results/dsa/tutorial.nc")["distance"].isel(setting=0)
    assert tutorial.sel(rep_a="circle", rep_b="oval") < tutorial.sel(rep_a="circle", rep_b="walk")


def test_clip_sets_get_one_rdm_per_frame(finished):
    """The RDM movie's store: the first model's layers and the brain of the clip set (r18's 3
    layers, v1c), one symmetric RDM with a zero diagonal per frame."""
    rdms = store.read(finished / "results/rdms/clips.nc")["rdm"]
    assert rdms.dims == ("rep", "time", "stimulus", "stimulus_")
    assert rdms.sizes["rep"] == 4 and rdms.sizes["time"] == 6
    M = rdms.values
    assert np.allclose(M, np.swapaxes(M, -1, -2)) and np.allclose(np.diagonal(M, 0, -2, -1), 0)


def test_inference_scores_every_layer_against_the_brain(finished):
    """11 model layers against v1 (2 subjects) for both metrics, with their resamples."""
    for metric in ("shape", "rsa"):
        ds = store.read(finished / f"results/inference/grat/{metric}.nc")
        assert ds["inference"].sizes == {"rep": 11, "brain": 1, "statistic": 10}
        assert ds["ceiling_method"].values[0] == "leave-one-subject-out (2 subjects)"
        stats = ds["inference"].sel(brain="v1")
        assert np.isfinite(stats.sel(statistic=["score", "ci_low", "ci_high", "p"])).all()
        assert ds.attrs["n_bootstrap"] == 50 and ds.attrs["n_permutations"] == 50
        assert ds["comparison_q"].sizes == {"rep_a": 11, "rep_b": 11, "brain": 1}


def test_inspect_says_how_a_figures_numbers_were_made(finished):
    proc = subprocess.run(
        [sys.executable, "-m", "repgeom", "inspect", str(finished / "figures/shape.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "results/distances/grat/shape.nc" in proc.stdout
    for key in ("config_hash", "method: linear_shape", "n_blocks: 3", "repgeom_version"):
        assert key in proc.stdout


def test_a_block_job_loads_only_its_rows_and_columns(finished):
    from repgeom.representations import load_representations

    act = sorted((finished / "results/activations/grat").glob("*/*.nc"))
    neural = [finished / "results/neural/v1.nc"]
    full = load_representations(act, neural)
    part = load_representations(act, neural, needed={1, len(act)})
    assert [r.name for r in part] == [r.name for r in full]
    assert [r.labels for r in part] == [r.labels for r in full]
    for k, (a, b) in enumerate(zip(full, part, strict=True)):
        if k in (1, len(act)):
            np.testing.assert_array_equal(a.features, b.features)
        else:
            assert b.features.size == 0 and b.samples is None
    assert part[-1].samples.shape == full[-1].samples.shape


def test_report_shows_every_figure(finished):
    snakemake(finished, "--report", "report.html")
    html = (finished / "report.html").read_text(errors="replace")
    for name in FIGURE_NAMES:
        assert f"{name}.png" in html


def test_provenance_says_how_numbers_were_made(finished):
    ds = store.read(finished / "results/activations/grat/mnet/pool.nc")
    assert ds.attrs["model"] == "mnet" and ds.attrs["layer"] == "pool"
    assert ds.attrs["architecture"] == "mobilenet_v3_small" and ds.attrs["seed"] == 1
    assert ds.attrs["weights"] == "untrained" and ds.attrs["stimset"] == "grat"


def test_a_configfile_replaces_the_default_instead_of_merging_into_it(tmp_path):
    """From a folder holding the default config.yaml, ``--configfile tiny.yaml`` runs the tiny
    config alone (Snakemake merges dicts: the default's models and sets would join in)."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    out = snakemake(tmp_path, "--dry-run").stdout
    assert "photos" not in out and "resnet18_s0" not in out and "grat" in out


def test_second_run_has_nothing_to_do(finished):
    proc = snakemake(finished, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changing_one_models_config_reruns_only_its_jobs(finished, tmp_path):
    changed = tmp_path / "changed.yaml"
    changed.write_text(TINY.read_text().replace("seed: 1, layers", "seed: 2, layers"))
    proc = snakemake(finished, "--dry-run", "--quiet", "rules", config=changed)
    out = proc.stdout + proc.stderr
    assert "activations" in out and "dimensionality" in out
    assert "stimuli " not in out and "neural" not in out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("layers: [stem, block2, pool]", "layers: [stem, blok2, pool]"),
            "resnet18 has no layer 'blok2'",
        ),
        (("architecture: resnet18", "architecture: resnet181"), "unknown architecture 'resnet181'"),
        (("batch_size: 8", "batch_sise: 8"), "batch_sise"),
        (("kind: gratings", "kind: gratins"), "'gratins' is not one of"),
        (
            ("alpha: 1.0}", "alpha: 3.0}"),
            "metrics.shape.alpha: 3.0 is greater than the maximum of 1",
        ),
        (("comparator: spearman", "comparator: pearson"), "'pearson' is not one of"),
    ],
)
def test_broken_config_stops_before_any_job(tmp_path, edit, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace(*edit))
    proc = snakemake(tmp_path, "--dry-run", config=bad, check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_killed_run_resumes_without_corrupt_stores(tmp_path, finished):
    """SIGKILL the whole workflow during extraction, then rerun: finished jobs are kept,
    nothing half-written is ever read, and the end state equals a clean run's."""
    cmd = [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(TINY), "--cores", "1"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + RUN_TIMEOUT_S
    try:
        while not list((tmp_path / "logs" / "activations").glob("*.log")):
            assert proc.poll() is None, "the workflow ended before extraction started"
            assert time.monotonic() < deadline, "extraction never started"
            time.sleep(0.1)
        time.sleep(1.5)  # inside the extraction job (torch import, forward passes)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished_before = {p: p.stat().st_mtime_ns for p in stores(tmp_path)}
    assert finished_before, "no store was finished before the kill"
    for path in finished_before:  # whatever exists is complete and valid (atomic writes)
        store.read(path)
    # no `--unlock`: the killed run's lock is stale and the next run removes it (runlock)
    resumed_run = snakemake(tmp_path, "--rerun-incomplete")
    assert "stale Snakemake lock" in resumed_run.stderr
    for path, mtime in finished_before.items():
        if "activations" not in path.parts:  # finished jobs are not recomputed
            assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed"
    for path in stores(tmp_path):
        store.read(path)
    resumed = {p.relative_to(tmp_path) for p in stores(tmp_path)}
    assert resumed == {p.relative_to(finished) for p in stores(finished)}
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("repgeom-gram-*"))
    assert "Nothing to be done" in "".join(snakemake(tmp_path, "--dry-run").stdout)


def test_snakefiles_are_formatted():
    snakefmt = shutil.which("snakefmt", path=str(Path(sys.executable).parent))
    if snakefmt is None:
        pytest.skip("snakefmt is not installed (it comes with the dev extra)")
    proc = subprocess.run(
        [snakefmt, "--check", str(REPO / "Snakefile"), str(REPO / "workflow")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_figure_passes_the_print_checks_and_every_metric_is_drawn(finished, monkeypatch):
    """Each figure re-rendered from the tiny run's stores: no text under 7 pt at the printed
    column width, no text off the canvas, a colour bar or legend for every colour mapping
    (repgeom.figures.checks); and each configured distance metric's store feeds a figure."""
    from repgeom import config as cfg, plan
    from repgeom.figures import checks, style

    config = cfg.load(TINY, inputs=False)
    monkeypatch.chdir(finished)
    found: dict[str, list[str]] = {}
    save = style.save

    def checked(fig, out_stem, inputs=(), **kw):
        found[str(out_stem)] = checks.problems(fig)
        return save(fig, out_stem, inputs, **kw)

    monkeypatch.setattr(style, "save", checked)
    for name in plan.figures(config):
        figure = plan.figure(name)
        figure.draw(figure.inputs(config), finished / "checked" / name, figure.spec_for(config))
    assert len(found) == len(plan.figures(config))
    assert {stem: p for stem, p in found.items() if p} == {}
    drawn = {path for name in plan.figures(config) for path in plan.figure_inputs(config, name)}
    for stimset in plan.distance_stimsets(config):
        for metric in plan.distance_metrics(config):
            assert plan.DISTANCES.format(stimset=stimset, metric=metric) in drawn


def test_paths_steps_and_dsa_studies(finished):
    """The recurrent net's and r18t's paths from the pixels to the labels of grat, rnn's
    per-step maps, the clip set's sweep of each model's deepest layer against v1c, and the
    tutorial's geometry beside its dynamics."""
    ds = store.read(finished / "results/paths/grat.nc", "paths")
    assert list(ds["rep"].values[[0, -1]]) == ["pixels", "labels"]
    assert list(ds["rep_layer"].values[ds["rep_model"].values == "rnn"]) == [
        "stem",
        "step",
        "step_1",
    ]
    assert ds["distance"].sizes == {"rep_a": 7, "rep_b": 7}
    assert (ds["anchored_path_length"] >= ds["distance"].values[0, -1] - 1e-9).all()
    steps = store.read(finished / "results/steps/grat/rnn.nc", "steps")
    assert steps["embedding"].sizes == {"layer": 3, "projection": 3, "stimulus": 16, "axis": 2}
    assert np.isfinite(steps["embedding"].values).all()
    sweep = store.read(finished / "results/dsa_sweep/clips.nc", "dsa_sweep")
    assert list(sweep["rep_a"].values) == ["r18/pool", "mnet/pool", "r18t/pool", "v1c"]
    assert list(sweep["rep_a_source"].values) == ["model"] * 3 + ["brain"]
    assert sweep["distance"].sizes == {
        "n_delays": 2,
        "delay_interval": 2,
        "rank": 1,
        "rep_a": 4,
        "rep_b": 4,
    }
    tutorial = store.read(finished / "results/dsa/tutorial.nc")
    assert sorted(tutorial["comparison"].values) == ["procrustes", "rsa", "state_cloud"]
    cloud = tutorial["geometry"].sel(comparison="state_cloud").to_pandas()
    assert cloud.loc["oval", "walk"] < cloud.loc["circle", "oval"]  # both clouds stretched
