"""Exceptions and warnings raised by repgeom.

Every message says what was found, what was expected and how to fix it. Constructors have no
side effects.
"""


class RepgeomError(Exception):
    """Base class of every error repgeom raises on purpose."""


class ConfigError(RepgeomError, ValueError):
    """The workflow configuration is invalid (unknown key, wrong type, unknown model...)."""


class SchemaError(RepgeomError, ValueError):
    """A result store does not have the dims, coords or variables its kind requires."""


class ShapeMismatchError(RepgeomError, ValueError):
    """Two inputs that must agree in shape (or stimulus ids) do not."""


class NotFittedError(RepgeomError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class UnknownLayerError(RepgeomError, KeyError):
    """A layer name is neither an alias nor a graph node of the model."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0]) if self.args else ""


class UnknownModelError(RepgeomError, KeyError):
    """An architecture name is not a torchvision classification model."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class WeightsNotFoundError(RepgeomError, FileNotFoundError):
    """Pretrained weights were requested but are not on disk (repgeom never downloads)."""


class InvalidInputError(RepgeomError, ValueError):
    """An array holds NaN/inf or has too few stimuli for the requested computation."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance."""
