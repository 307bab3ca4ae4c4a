import numpy as np
import pytest
import torch
from torchvision.models.feature_extraction import create_feature_extractor

from repgeom.errors import (
    ConfigError,
    InvalidInputError,
    UnknownLayerError,
    UnknownModelError,
    WeightsNotFoundError,
)
from repgeom.models import LayerPolicy, build_model, extract_reduced, resolve_device, resolve_layers
from repgeom.models.extract import _normalise
from repgeom.models.layers import aliases
from repgeom.reduce import GramAccumulator


def test_unknown_architecture_suggests_names():
    with pytest.raises(UnknownModelError, match=r"'resnet181'.*did you mean \['resnet18'"):
        build_model("resnet181")


def test_seeds_change_untrained_weights():
    a, b = build_model("resnet18", seed=0), build_model("resnet18", seed=1)
    c = build_model("resnet18", seed=0)
    assert torch.equal(a.conv1.weight, c.conv1.weight)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)
    assert not a.training


def test_local_weights_file(tmp_path):
    source = build_model("resnet18", seed=7)
    path = tmp_path / "w.pth"
    torch.save({"state_dict": source.state_dict()}, path)
    loaded = build_model("resnet18", weights=str(path), seed=0)
    assert torch.equal(loaded.fc.weight, source.fc.weight)
    with pytest.raises(WeightsNotFoundError, match="missing.pth does not exist"):
        build_model("resnet18", weights=str(tmp_path / "missing.pth"))
    torch.save(build_model("alexnet").state_dict(), path)
    with pytest.raises(ConfigError, match="does not fit resnet18"):
        build_model("resnet18", weights=str(path))


def test_named_weights_come_from_the_cache_only(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    expected = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    with pytest.raises(WeightsNotFoundError, match=str(expected)):
        build_model("resnet18", weights="IMAGENET1K_V1")
    with pytest.raises(ConfigError, match="do not exist for resnet18"):
        build_model("resnet18", weights="IMAGENET9K")
    expected.parent.mkdir(parents=True)
    torch.save(build_model("resnet18", seed=3).state_dict(), expected)
    # other weights under torchvision's file name fail the hash the name carries
    with pytest.raises(ConfigError, match="fails its hash check"):
        build_model("resnet18", weights="DEFAULT")
    # a cached file whose name matches its content loads (the name's hash is the check)
    from repgeom.models import zoo

    genuine = expected.with_name(f"resnet18-{zoo.file_sha256(expected)[:8]}.pth")
    expected.rename(genuine)
    monkeypatch.setattr(zoo, "cached_weights_path", lambda arch, weights: genuine)
    cached = build_model("resnet18", weights="DEFAULT")
    assert torch.equal(cached.fc.weight, build_model("resnet18", seed=3).fc.weight)


def test_layer_resolution_aliases_modules_nodes():
    resolved = resolve_layers("resnet18", ["stem", "block2", "layer3", "layer4.1.relu_1", "logits"])
    assert resolved == {
        "stem": "maxpool",
        "block2": "layer2",
        "layer3": "layer3",
        "layer4.1.relu_1": "layer4.1.relu_1",
        "logits": "fc",
    }
    with pytest.raises(UnknownLayerError, match=r"no layer 'blok2'.*repgeom layers resnet18"):
        resolve_layers("resnet18", ["blok2"])
    with pytest.raises(UnknownLayerError, match="same output twice"):
        resolve_layers("resnet18", ["block1", "layer1"])
    assert aliases("alexnet")["block1"] == "features.0"


@pytest.mark.parametrize(
    ("shape", "policy", "expected"),
    [
        ((2, 4, 3, 3), LayerPolicy(spatial="flatten"), (2, 36)),
        ((2, 4, 3, 3), LayerPolicy(spatial="avg"), (2, 4)),
        ((2, 4, 3, 3), LayerPolicy(spatial="max"), (2, 4)),
        ((2, 5, 8), LayerPolicy(tokens="cls"), (2, 8)),
        ((2, 5, 8), LayerPolicy(tokens="mean"), (2, 8)),
        ((2, 5, 8), LayerPolicy(tokens="all"), (2, 40)),
        ((2, 512, 1, 1), LayerPolicy(spatial="avg"), (2, 512)),
        ((1, 512, 1, 1), LayerPolicy(), (1, 512)),  # batch of one keeps its batch dim
    ],
)
def test_layer_policies(shape, policy, expected):
    out = policy.apply(torch.arange(np.prod(shape), dtype=torch.float32).reshape(shape))
    assert tuple(out.shape) == expected


def test_policy_values():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    torch.testing.assert_close(LayerPolicy(spatial="avg").apply(x), x.mean(dim=(2, 3)))
    tokens = torch.arange(12.0).reshape(1, 3, 4)
    torch.testing.assert_close(LayerPolicy(tokens="cls").apply(tokens), tokens[:, 0])
    with pytest.raises(ConfigError, match="choose flatten, avg or max"):
        LayerPolicy(spatial="median")


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU is visible"):
            resolve_device("cuda")
    with pytest.raises(ConfigError, match="choose auto, cpu or cuda"):
        resolve_device("tpu")


def test_extraction_is_one_pass_and_exact(rng, device):
    model = build_model("resnet18", seed=0)
    images = rng.random((10, 3, 32, 32)).astype(np.float32)
    layers = resolve_layers("resnet18", ["block1", "pool"])
    out = extract_reduced(model, images, layers, batch_size=4, device=device, keep_raw=True)
    direct = create_feature_extractor(model, return_nodes={"layer1": "a", "avgpool": "b"})
    with torch.no_grad():
        ref = direct(_normalise(images, torch.device("cpu")))
    for name, key in (("block1", "a"), ("pool", "b")):
        red, raw = out[name]
        expected = ref[key].reshape(10, -1).numpy().astype(np.float64)
        np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-5)
        gram = raw.astype(np.float64) @ raw.T.astype(np.float64)
        np.testing.assert_allclose(red.features @ red.features.T, gram, rtol=1e-9, atol=1e-9)
        assert red.n_units == expected.shape[1]


def test_passes_within_a_scratch_budget_give_the_same_layers(rng, tmp_path, monkeypatch):
    """A budget of a third of the spill splits the layers over passes (block1 across two);
    every layer equals the one-pass result and the files on disk never pass the budget."""
    from repgeom.models import extract

    live: list[GramAccumulator] = []
    peak = [0]

    class Watched(GramAccumulator):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            live.append(self)

        def add(self, rows):
            super().add(rows)
            peak[0] = max(peak[0], sum(a.spill_bytes for a in live))

    model = build_model("resnet18", seed=0)
    images = rng.random((12, 3, 32, 32)).astype(np.float32)
    layers = resolve_layers("resnet18", ["stem", "block1", "block2", "pool"])
    one = extract_reduced(model, images, layers, batch_size=5, keep_raw=True)
    spill = 12 * 4 * sum(one[n][0].n_units for n in ("stem", "block1", "block2"))
    budget = spill // 3
    monkeypatch.setattr(extract, "GramAccumulator", Watched)
    split = extract_reduced(
        model,
        images,
        layers,
        batch_size=5,
        keep_raw=True,
        scratch_dir=tmp_path,
        scratch_budget=budget,
        in_memory_bytes=12 * 4 * 512,  # the pooled layer (512 units) stays in RAM
    )
    assert list(split) == list(layers)
    assert 0 < peak[0] <= budget
    assert len({id(a) for a in live}) > len(layers)  # some layer came in several slices
    assert list(tmp_path.iterdir()) == []
    for name, (red, raw) in one.items():
        other, other_raw = split[name]
        np.testing.assert_array_equal(other_raw, raw)
        gram = raw.astype(np.float64) @ raw.T.astype(np.float64)
        np.testing.assert_allclose(other.features @ other.features.T, gram, rtol=1e-10)
        np.testing.assert_allclose(other.row_mean, red.row_mean, rtol=1e-12)
        assert other.n_units == red.n_units


def test_vit_tokens_final_layer():
    model = build_model("vit_b_16", kwargs={"image_size": 32})
    layers = resolve_layers("vit_b_16", ["final", "block1"], model)
    assert layers["final"] == "encoder.ln"
    images = np.random.default_rng(0).random((3, 3, 32, 32)).astype(np.float32)
    for tokens, width in (("cls", 768), ("all", 5 * 768)):
        out = extract_reduced(model, images, layers, policy=LayerPolicy(tokens=tokens))
        assert out["final"][0].n_units == width


def test_nan_activations_are_reported():
    model = build_model("resnet18")
    with torch.no_grad():
        model.conv1.weight[0, 0, 0, 0] = float("nan")
    images = np.random.default_rng(0).random((2, 3, 32, 32)).astype(np.float32)
    with pytest.raises(InvalidInputError, match="layer 'stem' produced NaN/inf"):
        extract_reduced(model, images, {"stem": "maxpool"})


def test_bad_images_are_rejected():
    model = build_model("resnet18")
    with pytest.raises(InvalidInputError, match=r"expected \(n_stimuli, 3, height, width\)"):
        extract_reduced(model, np.zeros((2, 32, 32)), {"stem": "maxpool"})
    bad = np.zeros((2, 3, 32, 32))
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(InvalidInputError, match="NaN/inf"):
        extract_reduced(model, bad, {"stem": "maxpool"})


def test_narrow_layers_are_never_split_and_stay_exact(rng, tmp_path):
    """More stimuli than units in the pooled layers: they reduce through the Gram of columns,
    whole, in whichever pass they fit, while the wide conv map is split; everything equals
    the one-pass, in-memory extraction."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 3),
    ).eval()
    images = rng.random((30, 3, 8, 8)).astype(np.float32)
    layers = {"conv": "1", "pool": "3", "fc": "4"}  # 256, 4 and 3 units
    one = extract_reduced(net, images, layers, batch_size=7, keep_raw=True)
    budget = 30 * 4 * 100  # 100 units a pass: conv over three passes, pool and fc whole
    split = extract_reduced(
        net,
        images,
        layers,
        batch_size=7,
        keep_raw=True,
        scratch_dir=tmp_path,
        scratch_budget=budget,
        in_memory_bytes=0,
    )
    for name, (red, raw) in one.items():
        other, other_raw = split[name]
        np.testing.assert_array_equal(other_raw, raw)
        gram = raw.astype(np.float64) @ raw.T.astype(np.float64)
        np.testing.assert_allclose(other.features @ other.features.T, gram, rtol=1e-10)
        assert other.n_components == red.n_components == min(30, raw.shape[1])
