"""The prepared forward graph (batch norms folded, channels-last) computes what the model does,
leaves the user's model alone, and its memory-ordered rows reduce to the same layers."""

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from repgeom.models import LayerPolicy, build_model, extract_reduced, resolve_layers
from repgeom.models.extract import _normalise, inference_graph

CPU = torch.device("cpu")


def _random_norm_statistics(model: nn.Module, seed: int = 0) -> None:
    """Give every batch norm non-trivial running statistics and affine parameters, so that
    folding it is not the identity it is in an untrained model."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(torch.randn(c, generator=gen))
                module.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                module.weight.copy_(torch.randn(c, generator=gen))
                module.bias.copy_(torch.randn(c, generator=gen))


def _outputs(graph: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    with torch.inference_mode():
        return {k: v.contiguous() for k, v in graph(x).items()}


def _norm_calls(graph: torch.fx.GraphModule) -> int:
    modules = dict(graph.named_modules())
    return sum(
        node.op == "call_module" and isinstance(modules[node.target], nn.BatchNorm2d)
        for node in graph.graph.nodes
    )


def test_folded_channels_last_graph_matches_the_model_and_leaves_it_alone(rng):
    model = build_model("resnet18", seed=0)
    _random_norm_statistics(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # a norm's output, a conv's output (read before its norm: not folded) and a block's output
    nodes = {"layer1.0.bn2": "norm", "layer2.0.conv1": "conv", "layer2": "block"}
    graph = create_feature_extractor(model, return_nodes=nodes).eval()
    x = _normalise(rng.random((4, 3, 32, 32)).astype(np.float32), CPU)
    expected = _outputs(graph, x)

    prepared = inference_graph(graph, CPU)
    got = _outputs(prepared, x)

    assert 0 < _norm_calls(prepared) < _norm_calls(graph)
    assert prepared(x)["block"].is_contiguous(memory_format=torch.channels_last)
    for name, value in expected.items():
        scale = float(value.abs().max())
        np.testing.assert_allclose(got[name], value, rtol=1e-4, atol=1e-5 * scale)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert model.conv1.weight.is_contiguous()  # not turned channels-last
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.layer1.modules())
    assert not any(m.training for m in prepared.modules())


class _SharedConv(nn.Module):
    """One convolution called twice, each call followed by its own batch norm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.norm_a = nn.BatchNorm2d(3)
        self.norm_b = nn.BatchNorm2d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm_b(self.conv(torch.relu(self.norm_a(self.conv(x)))))


def test_shared_modules_are_not_folded():
    """Folding ``norm_a`` into the shared convolution would change its second call too."""
    torch.manual_seed(0)
    model = _SharedConv().eval()
    _random_norm_statistics(model)
    graph = create_feature_extractor(model, return_nodes={"norm_b": "out"}).eval()
    x = torch.randn(2, 3, 8, 8)
    np.testing.assert_allclose(
        _outputs(inference_graph(graph, CPU), x)["out"],
        _outputs(graph, x)["out"],
        rtol=1e-5,
        atol=1e-5,
    )


def test_any_unit_order_flattens_channels_last_maps_without_a_copy():
    x = torch.randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    policy = LayerPolicy()
    rows = policy.apply(x, any_unit_order=True)
    assert torch.equal(rows, x.permute(0, 2, 3, 1).reshape(2, -1))
    assert rows.data_ptr() == x.data_ptr()
    assert torch.equal(policy.apply(x), x.reshape(2, -1))  # (channel, y, x) by default
    plain = torch.randn(2, 3, 4, 5)
    assert torch.equal(policy.apply(plain, any_unit_order=True), plain.reshape(2, -1))


@pytest.mark.parametrize("budget_share", [1.0, 1 / 3])
def test_memory_ordered_rows_reduce_to_the_same_layers(rng, tmp_path, budget_share):
    """Without ``keep_raw`` conv maps stream in (y, x, channel) order, in one pass or split
    over several: the Gram matrices, row means and widths equal those of the raw
    (channel, y, x) rows."""
    model = build_model("resnet18", seed=0)
    images = rng.random((12, 3, 32, 32)).astype(np.float32)
    layers = resolve_layers("resnet18", ["stem", "block1", "pool"])
    raw = extract_reduced(model, images, layers, batch_size=5, keep_raw=True)
    spill = 12 * 4 * sum(raw[n][0].n_units for n in ("stem", "block1"))
    plain = extract_reduced(
        model,
        images,
        layers,
        batch_size=5,
        scratch_dir=tmp_path,
        scratch_budget=int(spill * budget_share),
        in_memory_bytes=12 * 4 * 512,
    )
    for name, (reduced, rows) in raw.items():
        other, none = plain[name]
        assert none is None
        gram = rows.astype(np.float64) @ rows.T.astype(np.float64)
        np.testing.assert_allclose(other.features @ other.features.T, gram, rtol=1e-10)
        np.testing.assert_allclose(other.row_mean, reduced.row_mean, rtol=1e-10)
        assert other.n_units == reduced.n_units
