"""The dimensionality study in the workflow: the classification and manifolds stages on small
stores, their config checks, the study figures (from stores and from a published table) and
the ZCA layer policy."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from repgeom import config as cfg, plan, selection, store
from repgeom.classification import nshot_arrays
from repgeom.errors import ConfigError, InvalidInputError
from repgeom.manifolds import projection_distance_arrays
from repgeom.reduce import reduce
from repgeom.stages.classification import chance_levels, class_rows, classification_stage
from repgeom.stages.manifolds import manifolds_stage

REPO = Path(__file__).resolve().parents[2]
N_TRAIN, N_TEST, N_REPEATS = [1, 2], 4, 2
#: Per stimulus set: categories and their sizes (interleaved, unequal: the stage sorts and trims).
SETS = {"blobs": {"a": 9, "b": 8, "c": 10, "d": 8}, "pairs": {"x": 6, "y": 7, "a": 6}}
#: Per model: architecture and layers (``m2`` lacks ``l2``: a NaN cell).
MODELS = {"m1": ("archA", ["l1", "l2"]), "m2": ("archB", ["l1", "l3"])}


def _labels(sizes: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    labels = np.concatenate([[c] * n for c, n in sizes.items()])
    return labels[rng.permutation(labels.size)]


def _raw(labels: np.ndarray, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    classes = list(dict.fromkeys(labels.tolist()))
    centres = rng.normal(scale=2.0, size=(len(classes), width))
    code = np.array([classes.index(c) for c in labels])
    return centres[code] + rng.normal(size=(labels.size, width)) * rng.uniform(0.5, 2, width)


def _layer_store(X, labels, *, stimset, model, arch, layer, index, n_layers):
    red = reduce(X)
    ds = xr.Dataset(
        {
            "features": (("stimulus", "component"), red.features),
            "row_mean": (("stimulus",), red.row_mean),
        },
        coords={
            "stimulus_id": ("stimulus", [f"{stimset}{i:03d}" for i in range(len(labels))]),
            "category": ("stimulus", labels),
        },
    )
    ds.attrs.update(
        store.provenance(
            "activations",
            model=model,
            layer=layer,
            stimset=stimset,
            training="untrained" if model == "m1" else "supervised",
            architecture=arch,
            n_units=X.shape[1],
            layer_index=index,
            n_layers=n_layers,
        )
    )
    return ds


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Activation folders of two sets × two models, and the raw matrices behind them."""
    root = tmp_path_factory.mktemp("study")
    rng = np.random.default_rng(0)
    raw, folders = {}, []
    for s, (stimset, sizes) in enumerate(SETS.items()):
        labels = _labels(sizes, rng)
        for model, (arch, layers) in MODELS.items():
            folder = root / stimset / model
            folder.mkdir(parents=True)
            for index, layer in enumerate(layers):
                X = _raw(labels, width=25 + 10 * index, seed=100 * s + 10 * index + int(model[1:]))
                raw[stimset, model, layer] = (X, labels)
                ds = _layer_store(
                    X,
                    labels,
                    stimset=stimset,
                    model=model,
                    arch=arch,
                    layer=layer,
                    index=index,
                    n_layers=len(layers),
                )
                store.write(ds, folder / f"{layer}.nc", "activations")
            folders.append(folder)
    return root, folders, raw


def _spec(classifiers=("prototype",)):
    return {
        "stimsets": list(SETS),
        "classifiers": list(classifiers),
        "n_train": N_TRAIN,
        "n_test": N_TEST,
        "n_repeats": N_REPEATS,
    }


def test_classification_stage_scores_the_raw_layers_protocol(study, tmp_path):
    root, folders, raw = study
    out = classification_stage(folders, _spec(("prototype", "linear")), tmp_path / "c.nc")
    ds = store.read(out, "classification")
    assert ds["top1"].dims == ("model", "layer", "stimset", "classifier", "n_train", "repeat")
    assert ds.sizes == {
        "model": 2,
        "layer": 3,
        "stimset": 2,
        "classifier": 2,
        "n_train": 2,
        "repeat": 2,
    }
    assert list(ds["layer"].values) == ["l1", "l2", "l3"]
    assert list(ds["architecture"].values) == ["archA", "archB"]
    need = max(N_TRAIN) + N_TEST
    for (stimset, model, layer), (X, labels) in raw.items():
        rows, classes = class_rows(labels, need)
        assert classes == list(dict.fromkeys(labels.tolist()))
        y = np.repeat(np.arange(len(classes)), need)
        for classifier in ("prototype", "linear"):
            want = nshot_arrays(X[rows], y, N_TRAIN, N_TEST, N_REPEATS, classifier)
            cell = {"model": model, "layer": layer, "stimset": stimset, "classifier": classifier}
            for name, values in want.items():  # raw features = reduced store, same numbers
                np.testing.assert_allclose(ds[name].sel(cell).values, values, atol=2e-3)
    assert ds["top1"].sel(model="m2", layer="l2").isnull().all()  # m2 has no l2
    assert ds["log_likelihood"].sel(classifier="prototype").isnull().all()
    k = int(ds["n_classes"].sel(stimset="blobs"))
    assert k == 4 and float(ds["chance_top1"].sel(stimset="blobs")) == 0.25
    assert float(ds["chance_mrr"].sel(stimset="blobs")) == pytest.approx(
        (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4
    )
    assert chance_levels(1) == (1.0, 1.0)


def test_classification_stage_names_a_set_whose_classes_are_too_small(study, tmp_path):
    _, folders, _ = study
    spec = {**_spec(), "n_train": [5], "n_test": 3}  # 8 per class needed; 'pairs' has 6
    with pytest.raises(InvalidInputError, match=r"stimulus set 'pairs'.*category '[xya]' has [67]"):
        classification_stage(folders, spec, tmp_path / "c.nc")


def test_manifolds_stage_matches_the_raw_layers_geometry(study, tmp_path):
    _, folders, raw = study
    ds = store.read(manifolds_stage(folders, {"stimsets": list(SETS)}, tmp_path / "m.nc"))
    assert ds.attrs["schema"] == "manifolds"
    assert ds["projection_distances"].dims == (
        "model",
        "layer",
        "stimset",
        "metric",
        "source_category",
        "target_category",
    )
    cats = [str(c) for c in ds["source_category"].values]  # the union, 'a' once
    assert sorted(cats) == ["a", "b", "c", "d", "x", "y"]
    for (stimset, model, layer), (X, labels) in raw.items():
        want, cats = projection_distance_arrays(X, labels)  # raw width: no n_units needed
        got = ds["projection_distances"].sel(
            model=model, layer=layer, stimset=stimset, source_category=cats, target_category=cats
        )
        np.testing.assert_allclose(got.values, want, rtol=1e-8, atol=1e-10)
        off = ~np.eye(len(cats), dtype=bool)
        np.testing.assert_allclose(
            ds["pair_mean"].sel(model=model, layer=layer, stimset=stimset).values,
            want[:, off].mean(axis=1),
        )
    # 'pairs' has no category 'b': NaN there; its counts say which categories it holds
    assert ds["projection_distances"].sel(stimset="pairs", source_category="b").isnull().all()
    assert int(ds["n_stimuli"].sel(stimset="pairs", source_category="b")) == 0
    assert int(ds["n_stimuli"].sel(stimset="pairs", source_category="y")) == 7
    assert ds["pair_mean"].sel(model="m2", layer="l2").isnull().all()


# -- figures from the stores ------------------------------------------------------------------


def _encoding_store(path: Path) -> Path:
    models, layers = list(MODELS), ["l1", "l2", "l3"]
    score = np.array([[0.2, 0.5, np.nan], [0.3, np.nan, 0.6]])[..., None]
    ds = xr.Dataset(
        {
            "pearson_r": (("model", "layer", "neural", "neuroid"), score[..., None] * 0.8),
            "ceiling": (("neural", "neuroid"), np.array([[0.8]])),
            "median_normalized_r": (("model", "layer", "neural"), score),
            "layer_depth": (("model", "layer"), np.array([[0, 1, np.nan], [0, np.nan, 1.0]])),
        },
        coords={
            "model": models,
            "layer": layers,
            "neural": ["v1"],
            "neuroid_id": ("neuroid", ["n0"]),
            "training": ("model", ["untrained", "supervised"]),
            "stimset": ("neural", ["blobs"]),
        },
    )
    ds.attrs.update(store.provenance("encoding"))
    return store.write(ds, path, "encoding")


def test_the_study_figures_draw_from_small_stores(study, tmp_path, monkeypatch):
    from repgeom.figures import FIGURES
    from repgeom.stages.dimensionality import dimensionality_stage

    _, folders, _ = study
    dim = dimensionality_stage(folders, {"powerlaw_method": "fix_alpha"}, tmp_path / "d.nc")
    assert list(store.read(dim)["architecture"].values) == ["archA", "archB"]
    cls = classification_stage(folders, _spec(), tmp_path / "c.nc")
    man = manifolds_stage(folders, {"stimsets": list(SETS)}, tmp_path / "m.nc")
    enc = _encoding_store(tmp_path / "e.nc")
    spec = {"ed_stimset": None}
    for name, inputs in (
        ("classification", [cls, dim, enc]),
        ("classification", [cls, dim]),
        ("manifolds", [man, dim]),
        ("ed_encoding", [dim, enc]),
    ):
        files = FIGURES[name].draw(inputs, tmp_path / name, spec=spec)
        assert [f.suffix for f in files] == [".png", ".pdf"] and files[0].stat().st_size > 10_000
    # ED on another set than the neural dataset's: the table follows analyses.ed_stimset
    from repgeom.figures.ed_encoding import store_tables

    tables = store_tables(store.read(dim), store.read(enc), "pairs")
    ((title, table),) = tables.items()
    assert title == "v1 (ED on pairs)" and len(table) == 4
    want = float(
        store.read(dim)["effective_dimensionality"].sel(model="m2", layer="l3", stimset="pairs")
    )
    assert table.set_index(["model", "layer"]).loc[("m2", "l3"), "ed"] == want


# -- a published table in, the figure out -----------------------------------------------------


def test_ed_encoding_from_the_studys_table_prints_r_059(reference_dir, tmp_path, capsys):
    from repgeom.cli import main
    from repgeom.figures import ed_encoding
    from repgeom.layer_table import read_table, statistics

    assert ed_encoding.statistics is statistics
    csv = reference_dir / "ed_study" / "paper_data.csv"
    assert main(["figure", "ed_encoding", "--table", str(csv), "--out", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    assert "all layers: r = 0.59, p = 4.6e-53, n = 552" in out
    assert (tmp_path / "t.png").stat().st_size > 10_000 and (tmp_path / "t.pdf").exists()
    assert statistics(read_table(csv))["r"] == pytest.approx(0.59, abs=5e-3)
    assert main(["inspect", str(tmp_path / "t.png")]) == 0
    assert "layer table (CSV)" in capsys.readouterr().out


def test_ed_encoding_from_any_table_with_a_column_mapping(tmp_path, capsys):
    from repgeom.cli import main

    rng = np.random.default_rng(1)
    n = 30
    ed = rng.uniform(2, 50, n)
    frame = pd.DataFrame(
        {
            "net": np.repeat([f"m{i}" for i in range(6)], 5),
            "family": np.repeat(["A", "A", "A", "B", "B", "B"], 5),
            "layer": np.tile([f"L{i}" for i in range(5)], 6),
            "kind": np.repeat(["trained", "untrained"] * 3, 5),
            "dim": ed,
            "score": 0.01 * ed + rng.normal(scale=0.05, size=n),
        }
    )
    csv = tmp_path / "mine.csv"
    frame.to_csv(csv, index=False)
    columns = "model=net,architecture=family,training=kind,ed=dim,encoding=score"
    argv = ["figure", "ed_encoding", "--table", str(csv), "--columns", columns]
    assert main([*argv, "--out", str(tmp_path / "mine")]) == 0
    assert f"n = {n}" in capsys.readouterr().out and (tmp_path / "mine.png").exists()
    assert main([*argv[:-2], "--out", str(tmp_path / "x")]) == 2  # the CSV has no 'ed' column
    assert "has no column" in capsys.readouterr().err
    assert main(["figure", "shape", "--table", str(csv)]) == 2
    assert "drawn from result stores only" in capsys.readouterr().err


def test_parse_columns():
    from repgeom.layer_table import ED_STUDY_COLUMNS, parse_columns

    assert parse_columns(None) == dict(ED_STUDY_COLUMNS)
    mapping = parse_columns("model=arch+task, ed=ED,mrr=MRR")
    assert mapping["model"] == ("arch", "task") and mapping["ed"] == "ED"
    assert mapping["layer"] == "layer" and mapping["mrr"] == "MRR"
    with pytest.raises(Exception, match="key=CSV column"):
        parse_columns("model")


# -- config --------------------------------------------------------------------------------------


@pytest.fixture
def default():
    return cfg.validate(yaml.safe_load((REPO / "config.yaml").read_text()))


def test_the_defaults_fit_the_default_sets(default):
    section = default["analyses"]["classification"]
    assert section["classifiers"] == ["prototype"] and section["n_train"] == [1, 2, 5]
    assert selection.classification_stimsets(default) == ["photos", "digits", "gratings"]
    assert selection.manifold_stimsets(default) == ["photos", "faces", "digits", "gratings"]
    assert selection.category_sizes(default, "gratings") == {
        f"ori{o:g}": 12 for o in np.arange(8) * 22.5
    }
    assert set(selection.category_sizes(default, "photos").values()) == {19}
    targets = plan.targets(default)
    assert plan.CLASSIFICATION in targets and plan.MANIFOLDS in targets
    assert "figures/classification.png" in targets and "figures/manifolds.png" in targets
    assert plan.spec(default, "classification")["stimsets"] == ["photos", "digits", "gratings"]


def test_the_category_sizes_are_those_of_the_built_sets(default):
    from repgeom.stimuli import build_stimset

    for name in ("digits", "faces"):
        ds = build_stimset(name, {k: v for k, v in default["stimsets"][name].items()})
        labels = [str(c) for c in ds["category"].values]
        counts = {c: labels.count(c) for c in dict.fromkeys(labels)}
        assert selection.category_sizes(default, name) == counts


def test_an_image_folder_is_categorised_by_sub_folder(tmp_path, default):
    for cat, n in (("cats", 3), ("dogs", 2)):
        (tmp_path / cat).mkdir()
        for i in range(n):
            (tmp_path / cat / f"{i}.png").write_bytes(b"")
    config = copy.deepcopy(default)
    config["stimsets"]["mine"] = {"kind": "image_folder", "path": str(tmp_path), "size": 64}
    assert selection.category_sizes(config, "mine") == {"cats": 3, "dogs": 2}


@pytest.mark.parametrize(
    ("section", "stimsets", "message"),
    [
        (
            "classification",
            ["gratings"],
            r"'gratings' cannot be analysed: 8 of its 8 categories "
            r"have fewer than .* 20 \+ 10 = 30 .*lower analyses.classification.n_train",
        ),
        ("classification", ["faces"], r"'faces' cannot be analysed: it has 2 categories"),
        ("classification", ["drifting"], r"'drifting' cannot be analysed: it holds clips"),
        ("manifolds", ["nope"], r"analyses.manifolds.stimsets: 'nope' is not a stimulus set"),
    ],
)
def test_an_explicit_set_that_does_not_fit_is_a_config_error(default, section, stimsets, message):
    config = copy.deepcopy(default)
    config["analyses"][section]["stimsets"] = stimsets
    if section == "classification":
        config["analyses"]["classification"].update(n_train=[1, 5, 20], n_test=10)
    with pytest.raises(ConfigError, match=message):
        selection.check_study_stimsets(config)


def test_an_implied_set_that_does_not_fit_is_skipped_with_a_reason(default, caplog):
    config = copy.deepcopy(default)
    config["analyses"]["classification"].update(n_train=[1, 5, 15], n_test=5)
    with caplog.at_level(logging.WARNING, logger="repgeom"):
        assert selection.classification_stimsets(config) == []
    text = caplog.text
    assert "skipping stimulus set 'photos'" in text and "'gratings'" in text
    assert "classification.nc" not in " ".join(plan.targets(config))
    assert "classification" not in plan.figures(config)


def test_ed_stimset_is_checked_and_reaches_the_figures(default):
    config = copy.deepcopy(default)
    config["analyses"]["ed_stimset"] = "digits"
    selection.check_study_stimsets(config)
    assert plan.figure_spec_words(config, "ed_encoding") == """--spec '{"ed_stimset": "digits"}'"""
    assert plan.figure_spec_words(config, "shape") == ""
    for bad, message in (("nope", "not a stimulus set"), ("drifting", "holds clips")):
        config["analyses"]["ed_stimset"] = bad
        with pytest.raises(ConfigError, match=message):
            selection.check_study_stimsets(config)


def test_tiny_workflow_config_classifies_its_gratings():
    config = cfg.load(REPO / "tests" / "workflow" / "tiny.yaml")
    assert selection.classification_stimsets(config) == ["grat"]
    assert selection.manifold_stimsets(config) == ["grat"]


# -- ZCA whitening (the study's appendix counterexample) -----------------------------------------


def _study_zca(X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The study's custom_model_tools/zca.py, in numpy."""
    Xc = X - X.mean(axis=0)
    U, S, _ = np.linalg.svd(Xc.T @ Xc / (X.shape[0] - 1))
    return Xc @ (U @ np.diag(1 / np.sqrt(S.clip(eps))) @ U.T).T


@pytest.mark.parametrize(("n", "p", "rank"), [(30, 120, 29), (40, 12, 12)])
def test_zca_whitening_gives_the_rank_as_ed_and_equals_the_studys(n, p, rank):
    from repgeom.dimensionality import effective_dimensionality, eigenspectrum
    from repgeom.models.extract import zca_whiten

    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, p)) * np.logspace(0, -2, p)  # a steep spectrum: ED far below rank
    lam = eigenspectrum(reduce(X).features, n_units=p)
    assert effective_dimensionality(lam) < rank / 2
    white, raw = zca_whiten(reduce(X), 1e-6, raw=X)
    ed = effective_dimensionality(eigenspectrum(white.features, n_units=p))
    assert ed == pytest.approx(rank, rel=1e-9)
    Xw = _study_zca(X)
    np.testing.assert_allclose(white.features @ white.features.T, Xw @ Xw.T, atol=1e-8)
    np.testing.assert_allclose(white.row_mean, Xw.mean(axis=1), atol=1e-10)
    np.testing.assert_allclose(raw, Xw, atol=1e-8)
    assert white.n_units == p


def test_the_zca_layer_policy_whitens_before_the_stores():
    import torch

    from repgeom.dimensionality import effective_dimensionality, eigenspectrum
    from repgeom.models.extract import LayerPolicy, extract_reduced

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 20)).eval()
    images = np.random.default_rng(0).uniform(size=(12, 3, 4, 4)).astype(np.float32)
    plain = extract_reduced(net, images, {"fc": "1"}, progress=False)["fc"][0]
    policy = LayerPolicy(whiten="zca")
    white, raw = extract_reduced(net, images, {"fc": "1"}, policy=policy, keep_raw=True)["fc"]
    ed = [effective_dimensionality(eigenspectrum(r.features, n_units=20)) for r in (plain, white)]
    assert ed[0] < 8 and ed[1] == pytest.approx(11, rel=1e-6)  # 12 stimuli: rank 11
    np.testing.assert_allclose(raw @ raw.T, white.features @ white.features.T, atol=1e-4)
    with pytest.raises(ConfigError, match="whiten policy"):
        LayerPolicy(whiten="pca")


def test_the_schema_takes_zca_without_changing_other_configs(default):
    raw = yaml.safe_load((REPO / "config.yaml").read_text())
    assert "whiten" not in default["layer_policy"]  # no default: activation specs unchanged
    raw["layer_policy"]["whiten"] = "zca"
    config = cfg.validate(raw)
    assert plan.spec(config, "activations", stimset="photos", model="resnet18_s0")[
        "layer_policy"
    ] == {"spatial": "flatten", "tokens": "cls", "whiten": "zca"}
    from repgeom.models.extract import LayerPolicy

    assert LayerPolicy(**config["layer_policy"]).whiten == "zca"
