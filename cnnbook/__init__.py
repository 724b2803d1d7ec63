"""cnnbook: convolutional neural networks from first principles.

The package every chapter of the book imports. Arrays are NCHW: an input ``x``
is ``(N, C, H, W)``, a filter bank ``w`` is ``(K, C, R, S)``, a bias ``b`` is
``(K,)``, and an upstream gradient ``dy`` has the shape of the output it
belongs to. Function names follow ``torch.nn.functional``.
"""

from . import _runtime

_runtime.configure()

# One line per module; keep them in the order the book meets the ideas.
from ._parallel import get_num_threads, set_num_threads  # noqa: E402
from .sizes import conv_output_size  # noqa: E402
from .spatial import rot180  # noqa: E402
from .signal import convolve2d, correlate2d, correlate2d_reference  # noqa: E402
from .gradcheck import numerical_gradient, rel_error  # noqa: E402
from .teaching.autodiff import Value, computational_graph, topological_order  # noqa: E402
from .teaching.graph_drawing import draw_graph, graph_layout  # noqa: E402
from .conv import conv2d, conv2d_backward  # noqa: E402
from .conv_reference import conv2d_backward_reference, conv2d_reference  # noqa: E402
from .conv_transpose import conv_transpose2d, conv_transpose2d_reference  # noqa: E402
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward  # noqa: E402
from .pool_reference import (  # noqa: E402
    avg_pool2d_backward_reference,
    avg_pool2d_reference,
    max_pool2d_backward_reference,
    max_pool2d_reference,
)
from .activations import (  # noqa: E402
    gelu,
    gelu_backward,
    leaky_relu,
    leaky_relu_backward,
    prelu,
    prelu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    silu,
    silu_backward,
    tanh,
    tanh_backward,
)
# Layers, losses, optimisers and training: the capstone's building blocks.
from . import nn  # noqa: E402
from .nn import data, init, layers, losses, model_io, optim, training  # noqa: E402
from .nn.losses import softmax_cross_entropy  # noqa: E402
from .nn.training import TrainingDiverged, evaluate, fit, predict  # noqa: E402
# Going deeper (chapter 9): batch normalisation, dropout, global average pooling.
from .batchnorm import (  # noqa: E402
    batch_norm2d,
    batch_norm2d_backward,
    batch_norm2d_backward_reference,
    batch_norm2d_reference,
)
from .dropout import dropout, dropout_backward  # noqa: E402
from .global_pool import global_avg_pool2d, global_avg_pool2d_backward  # noqa: E402

__version__ = "0.1.0"

# In a notebook on a cold compile cache (Colab, a plain pip install), compile in the background.
from ._cold_cache import warm_in_background_if_cold  # noqa: E402

warm_in_background_if_cold()
