"""Models from a user's factory (repgeom.models.zoo): file and module forms, layers by the FX
graph (repeated-module nodes included), and clear errors for what can go wrong."""

from __future__ import annotations

import sys

import pytest
import torch

from repgeom.errors import ConfigError, UnknownModelError
from repgeom.models import resolve_layers
from repgeom.models.layers import layer_table
from repgeom.models.zoo import build_model, input_size_problem

NET = """
import torch
from torch import nn


class Twice(nn.Module):
    def __init__(self, width=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        return self.conv2(torch.relu(self.conv2(x)))


def make(width=5):
    return Twice(width)


def broken(width=5):
    raise ValueError("width must be even")


def not_a_module():
    return 42
"""


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "mynet.py"
    path.write_text(NET)
    return path


def test_a_file_factory_builds_seeded_with_kwargs_and_lists_repeated_nodes(net_file):
    a = build_model(f"{net_file}:make", kwargs={"width": 7}, seed=3)
    b = build_model(f"{net_file}:make", kwargs={"width": 7}, seed=3)
    assert a.conv1.out_channels == 7 and not a.training
    assert torch.equal(a.conv1.weight, b.conv1.weight)  # the model's seed decides the init
    nodes = layer_table(f"{net_file}:make")["nodes"]
    assert "conv2" in nodes and "conv2_1" in nodes
    assert resolve_layers(f"{net_file}:make", ["conv1", "conv2_1"]) == {
        "conv1": "conv1",
        "conv2_1": "conv2_1",
    }
    assert input_size_problem(f"{net_file}:make", 16) is None


def test_a_module_factory_imports_by_name(net_file, monkeypatch):
    monkeypatch.syspath_prepend(str(net_file.parent))
    sys.modules.pop("mynet", None)
    assert isinstance(build_model("mynet:make"), torch.nn.Module)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("absent.py:make", UnknownModelError, r"no file .*absent\.py"),
        ("{file}:mkae", UnknownModelError, r"has no function 'mkae'; did you mean \['make'\]"),
        ("no_such_module_xyz:make", UnknownModelError, r"importing no_such_module_xyz failed"),
        ("{file}:broken", ConfigError, r"raised ValueError: width must be even"),
        ("{file}:not_a_module", ConfigError, r"returned int, not a torch\.nn\.Module"),
    ],
)
def test_factory_errors_say_what_to_fix(net_file, tmp_path, monkeypatch, name, error, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=message):
        build_model(name.format(file=net_file))


def test_a_factory_takes_weights_from_a_local_file_only(net_file, tmp_path):
    with pytest.raises(ConfigError, match="loads its weights from a local .pt/.pth"):
        build_model(f"{net_file}:make", weights="DEFAULT")
    path = tmp_path / "w.pth"
    torch.manual_seed(0)
    torch.save(build_model(f"{net_file}:make", seed=9).state_dict(), path)
    loaded = build_model(f"{net_file}:make", weights=str(path))
    assert torch.equal(loaded.conv2.weight, build_model(f"{net_file}:make", seed=9).conv2.weight)


def test_a_factory_with_its_kwargs_in_one_mapping_is_the_same_model(net_file):
    from repgeom import config as cfg

    base = {"stimsets": {"g": {"kind": "gratings", "size": 16}}}
    as_mapping = cfg.validate(
        {
            **base,
            "models": {
                "m": {
                    "architecture": {"factory": f"{net_file}:make", "kwargs": {"width": 7}},
                    "layers": ["conv1", "conv2_1"],
                }
            },
        }
    )
    spec = as_mapping["models"]["m"]
    assert spec["architecture"] == f"{net_file}:make" and spec["kwargs"] == {"width": 7}
    cfg.check(as_mapping)
    twice = {
        **base,
        "models": {
            "m": {
                "architecture": {"factory": f"{net_file}:make", "kwargs": {"width": 7}},
                "kwargs": {"width": 5},
                "layers": ["conv1"],
            }
        },
    }
    with pytest.raises(ConfigError, match="kwargs are given twice"):
        cfg.validate(twice)
    bad = {**base, "models": {"m": {"architecture": {"factory": "no-colon"}, "layers": ["x"]}}}
    with pytest.raises(ConfigError, match="architecture"):
        cfg.validate(bad)
