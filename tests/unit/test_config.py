import copy
from pathlib import Path

import pytest
import yaml

from repgeom import config as cfg
from repgeom.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def default():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults(default):
    full = cfg.validate(default)
    cfg.check(full)
    assert full["models"]["resnet18_s0"]["weights"] == "untrained"
    assert full["neural"]["v1_photos"]["n_repetitions"] == 4
    assert "weights" not in default["models"]["resnet18_s0"]  # input left unchanged


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(batchsize=3), r"batchsize: unknown key; did you mean 'batch_size'"),
        (lambda c: c.update(batch_size="big"), r"batch_size: 'big' is not of type 'integer'"),
        (lambda c: c.pop("models"), r"'models' is a required property"),
        (
            lambda c: c["stimsets"]["photos"].update(kind="foto"),
            r"stimsets.photos.kind: 'foto' is not one of",
        ),
        (
            lambda c: c["models"]["resnet18_s0"].pop("layers"),
            r"models.resnet18_s0: 'layers' is a required",
        ),
        (
            lambda c: c.update(device="gpu"),
            r"device: 'gpu' is not one of \['auto', 'cpu', 'cuda'\]",
        ),
        (
            lambda c: c["stimsets"].update(mine={"kind": "image_folder"}),
            r"stimsets.mine: 'path' is a required",
        ),
    ],
)
def test_schema_errors_name_the_key(default, edit, message):
    broken = copy.deepcopy(default)
    edit(broken)
    with pytest.raises(ConfigError, match=message):
        cfg.validate(broken)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["models"]["resnet18_s0"].update(architecture="resnet181"),
            r"models.resnet18_s0: unknown architecture 'resnet181'",
        ),
        (
            lambda c: c["models"]["resnet18_s0"].update(layers=["block9"]),
            r"models.resnet18_s0: resnet18 has no layer 'block9'",
        ),
        (
            lambda c: c["neural"]["v1_photos"].update(stimset="nope"),
            r"neural.v1_photos.stimset: 'nope' is not a stimulus set",
        ),
        (
            lambda c: c["models"]["resnet18_s0"].update(kwargs={"depth": 3}),
            r"models.resnet18_s0.kwargs: .*depth",
        ),
        (
            lambda c: c["analyses"]["inference"].update(metrics={"shape_angualr": {}}),
            r"analyses.inference.metrics: 'shape_angualr' is not a distance metric",
        ),
        (
            lambda c: c["analyses"]["distances"].update(cv_folds=1),
            r"analyses.distances.cv_folds: 1 is less than the minimum of 2",
        ),
    ],
)
def test_semantic_errors_name_the_key(default, edit, message):
    broken = copy.deepcopy(default)
    edit(broken)
    with pytest.raises(ConfigError, match=message):
        cfg.check(cfg.validate(broken))


def test_load_reports_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        cfg.load(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("models: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        cfg.load(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        cfg.load(tmp_path / "list.yaml")


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ({"method": "linear_shap"}, r"'linear_shap' is not a workflow metric; did you mean"),
        ({"method": "linear_shape", "alhpa": 0.5}, r"Additional properties .*'alhpa'"),
        ({"method": "linear_shape", "alpha": 2.0}, r"alpha: 2.0 is greater than the maximum"),
        ({"method": "rsa", "comparator": "pearson"}, r"comparator: 'pearson' is not one of"),
        ({"method": "pwcca"}, r"'pwcca' is not a workflow metric"),
    ],
)
def test_metric_entries_are_checked_against_the_registry(default, metric, message):
    broken = copy.deepcopy(default)
    broken["analyses"]["distances"]["metrics"] = {"m": metric}
    with pytest.raises(ConfigError, match=message) as info:
        cfg.check(cfg.validate(broken))
    assert "analyses.distances.metrics.m" in str(info.value)


def test_plugins_register_metrics_for_the_config_check(default, tmp_path, monkeypatch):
    from repgeom.metrics.registry import _TABLE, REGISTRY

    monkeypatch.delenv("REPGEOM_PLUGINS", raising=False)
    plugin = tmp_path / "plugin_metric.py"
    plugin.write_text(
        "from repgeom.metrics.cka import CKAScorer\n"
        "from repgeom.metrics.registry import MetricInfo, register\n"
        "register(MetricInfo('plugin_cka', 'similarity', ('symmetry',), 'CKA again', {},\n"
        "                    CKAScorer))\n"
    )
    config = copy.deepcopy(default)
    config["plugins"] = [str(plugin)]
    config["analyses"]["distances"]["metrics"] = {"mine": {"method": "plugin_cka"}}
    config["analyses"]["inference"]["metrics"] = None  # every distance metric
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    try:
        cfg.load(path)
        assert "plugin_cka" in REGISTRY
        assert str(plugin) in __import__("os").environ["REPGEOM_PLUGINS"]
    finally:
        _TABLE.pop("plugin_cka", None)
    config["plugins"] = [str(tmp_path / "absent.py")]
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"plugin .*absent.py.*no such file"):
        cfg.load(path)
