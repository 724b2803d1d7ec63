"""cnnbook: convolutional neural networks from first principles.

The package every chapter of the book imports. Arrays are NCHW: an input ``x``
is ``(N, C, H, W)``, a filter bank ``w`` is ``(K, C, R, S)``, a bias ``b`` is
``(K,)``, and an upstream gradient ``dy`` has the shape of the output it
belongs to. Function names follow ``torch.nn.functional``.
"""

from . import _runtime

_runtime.configure()

# One line per module; keep them in the order the book meets the ideas.
from .sizes import conv_output_size  # noqa: E402
from .spatial import rot180  # noqa: E402
from .signal import convolve2d, correlate2d, correlate2d_reference  # noqa: E402
from .gradcheck import numerical_gradient, rel_error  # noqa: E402
# [autodiff]
# [conv]
# [pool]
# [activations]

__version__ = "0.1.0"
