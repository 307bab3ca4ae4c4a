import json
import shlex

from repgeom import config as cfg
from repgeom import plan


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
        "figures/stimuli.png",
        "figures/stimuli.pdf",
        "figures/dimensionality.png",
        "figures/dimensionality.pdf",
    ]


def test_dimensionality_can_be_switched_off():
    config = _config()
    config["analyses"]["dimensionality"] = False
    targets = plan.targets(config)
    assert plan.DIMENSIONALITY not in targets and "figures/dimensionality.png" not in targets


def test_specs_are_single_shell_words_with_the_jobs_config():
    config = _config()
    (word,) = shlex.split(plan.extraction_spec(config, "m2"))
    spec = json.loads(word)
    assert spec["model"]["seed"] == 2 and spec["batch_size"] == 32
    assert json.loads(shlex.split(plan.stimuli_spec(config, "b"))[0]) == {
        "kind": "digits",
        "n": 10,
        "size": 64,
    }
    assert plan.neural_stimuli(config, "v1") == "results/stimuli/b.nc"
