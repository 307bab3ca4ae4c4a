import json
import shlex

import pytest

from repgeom import config as cfg, plan
from repgeom.errors import ConfigError
from repgeom.stages import STAGES


def _config():
    return cfg.validate(
        {
            "stimsets": {"a": {"kind": "gratings"}, "b": {"kind": "digits", "n": 10}},
            "neural": {"v1": {"kind": "simulated_v1", "stimset": "b"}},
            "models": {
                "m1": {"architecture": "resnet18", "layers": ["block1"]},
                "m2": {"architecture": "alexnet", "layers": ["features.1"], "seed": 2},
            },
        }
    )


def test_targets_cover_every_stage():
    targets = plan.targets(_config())
    assert targets == [
        "results/stimuli/a.nc",
        "results/stimuli/b.nc",
        "results/neural/v1.nc",
        "results/activations/a/m1",
        "results/activations/a/m2",
        "results/activations/b/m1",
        "results/activations/b/m2",
        "results/dimensionality.nc",
        "results/encoding.nc",
        "results/classification.nc",
        "results/manifolds.nc",
        "results/distances/b/shape_angular.nc",
        "results/distances/b/rsa_correlation_spearman.nc",
        "results/distances/b/cka_angular.nc",
        "results/rdms/b.nc",
        "results/inference/b/shape_angular.nc",
        "results/inference/b/rsa_correlation_spearman.nc",
        "results/inference/b/cka_angular.nc",
        *(
            f"figures/{name}.{ext}"
            for name in (
                "stimuli",
                "dimensionality",
                "ed_encoding",
                "classification",
                "manifolds",
                "encoding_profiles",
                "rsa",
                "shape",
                "brain_match",
            )
            for ext in ("png", "pdf")
        ),
    ]


def test_every_representation_of_a_stimset_is_in_the_matrix_and_blocks_cover_it():
    config = _config()
    files = plan.representation_files(config, "b")
    assert files == {
        "activations": [
            "results/activations/b/m1/block1.nc",
            "results/activations/b/m2/features.1.nc",
        ],
        "neural": ["results/neural/v1.nc"],
    }
    assert plan.n_representations(config, "b") == 3
    config["analyses"]["distances"]["block_size"] = 2  # 3 reps -> blocks 0-0, 0-1, 1-1
    assert [p.rsplit("/", 1)[1] for p in plan.distance_blocks(config, "b", "cka_angular")] == [
        "0-0.nc",
        "0-1.nc",
        "1-1.nc",
    ]
    spec = plan.spec(config, "distances_block", stimset="b", metric="rsa_correlation_spearman")
    assert spec["method"] == "rsa" and spec["params"] == {
        "rdm_method": "correlation",
        "comparator": "spearman",
    }
    assert plan.gpus(config) == 0 and plan.gpus({**config, "device": "cuda"}) == 1


def test_dsa_runs_on_clip_sets_and_the_tutorial_systems():
    config = _config()
    config["stimsets"]["c"] = {"kind": "drifting_gratings", "size": 16}
    assert plan.dsa_sets(config) == ["c", plan.DSA_TUTORIAL]
    assert plan.figure_inputs(config, "dsa") == ["results/dsa/c.nc", "results/dsa/tutorial.nc"]
    config["analyses"]["dsa"]["tutorial"]["enabled"] = False
    assert plan.dsa_sets(config) == ["c"]
    config["analyses"]["dsa"]["enabled"] = False
    assert "figures/dsa.png" not in plan.targets(config)


def test_analyses_can_be_switched_off():
    config = _config()
    config["analyses"]["dimensionality"] = False
    targets = plan.targets(config)
    assert plan.DIMENSIONALITY not in targets and "figures/dimensionality.png" not in targets
    assert "figures/ed_encoding.png" not in targets and plan.ENCODING in targets
    config["analyses"]["encoding"] = False
    assert plan.ENCODING not in plan.targets(config)


def test_trained_models_get_a_training_job():
    config = _config()
    config["models"]["m1"]["train"] = {
        "stimsets": ["a"],
        "objective": "simclr",
        "epochs": 1,
        "batch_size": 4,
        "lr": 0.01,
    }
    inputs = STAGES["activations"].input_function(config)
    assert inputs({"stimset": "a", "model": "m1"})["weights"] == ["results/weights/m1.pt"]
    assert inputs({"stimset": "a", "model": "m2"})["weights"] == []
    spec = plan.spec(config, "activations", stimset="a", model="m1")
    assert spec["model"]["weights"] == "results/weights/m1.pt" and spec["training"] == "simclr"
    assert STAGES["train"].inputs(config, model="m1") == {"stimuli": ["results/stimuli/a.nc"]}


def test_encoding_uses_still_image_datasets_only():
    config = _config()
    config["stimsets"]["c"] = {"kind": "drifting_gratings", "size": 16}
    config["neural"]["clipv1"] = {"kind": "simulated_v1", "stimset": "c"}
    assert plan.still_neural(config) == ["v1"]
    assert STAGES["encoding_model"].inputs(config, model="m2")["activations"] == [
        "results/activations/b/m2"
    ]
    assert STAGES["encoding"].inputs(config) == {
        "parts": ["results/encoding/m1.nc", "results/encoding/m2.nc"]
    }


def test_specs_are_single_shell_words_with_the_jobs_config():
    config = _config()
    (word,) = shlex.split(STAGES["activations"].spec_param(config)({"stimset": "a", "model": "m2"}))
    spec = json.loads(word)
    assert spec["model"]["seed"] == 2 and spec["batch_size"] == 32
    assert json.loads(shlex.split(STAGES["stimuli"].spec_param(config)({"stimset": "b"}))[0]) == {
        "kind": "digits",
        "n": 10,
        "size": 64,
    }
    assert STAGES["neural"].inputs(config, neural="v1") == {
        "stimuli": "results/stimuli/b.nc",
        "recordings": [],
    }


def test_stage_specs_carry_what_their_stages_read():
    """Each spec holds every key its stage function reads (the workflow passes nothing else)."""
    config = _config()
    encoding = plan.spec(config, "encoding")
    assert set(encoding) == {"model", "folds", "device"}
    extraction = plan.spec(config, "activations", stimset="a", model="m1")
    assert set(extraction) == {
        "model",
        "training",
        "batch_size",
        "device",
        "store_raw",
        "layer_policy",
    }
    training = plan.spec(
        {**config, "models": {"t": {**config["models"]["m1"], "train": {"stimsets": ["a"]}}}},
        "train",
        model="t",
    )
    assert set(training) == {"architecture", "seed", "kwargs", "train"}


def test_a_models_own_layer_policy_overrides_the_global_one_key_by_key():
    """The ZCA counterexample beside the plain model in one run: the whitened copy's
    activation spec carries whiten: zca over the global pooling, the plain one the global."""
    raw = {
        "stimsets": {"a": {"kind": "gratings"}},
        "layer_policy": {"spatial": "avg"},
        "models": {
            "m": {"architecture": "alexnet", "layers": ["features.1"]},
            "m_zca": {
                "architecture": "alexnet",
                "layers": ["features.1"],
                "layer_policy": {"whiten": "zca"},
            },
        },
    }
    config = cfg.validate(raw)
    plain = plan.spec(config, "activations", model="m", stimset="a")
    zca = plan.spec(config, "activations", model="m_zca", stimset="a")
    assert plain["layer_policy"] == {"spatial": "avg", "tokens": "cls"}
    assert zca["layer_policy"] == {"spatial": "avg", "tokens": "cls", "whiten": "zca"}
    assert "layer_policy" not in zca["model"]
    bad = {**raw, "models": {"m": {**raw["models"]["m"], "layer_policy": {"whiten": "pca"}}}}
    with pytest.raises(ConfigError, match=r"models.m.layer_policy.whiten: 'pca' is not one of"):
        cfg.validate(bad)
