"""Model zoo (torchvision by name), layer resolution and activation extraction."""

from repgeom.device import resolve_device
from repgeom.models.extract import LayerPolicy, extract_reduced
from repgeom.models.layers import layer_table, resolve_layers
from repgeom.models.zoo import architectures, build_model

__all__ = [
    "LayerPolicy",
    "architectures",
    "build_model",
    "extract_reduced",
    "layer_table",
    "resolve_device",
    "resolve_layers",
]
