"""Chapter 8's helpers: the LeNet-style network for the 8x8 digits, its training recipes, and its pictures.

* The network and its training live in :mod:`cnnbook.nn.lenet` and are re-exported here, where the
  chapter meets them: :func:`build_lenet`, :func:`build_mlp`, :func:`architecture_rows`,
  :class:`Recipe`, :func:`train_lenet`, :func:`train_recipe`, :func:`shift_augment`, the PyTorch twin.
* :data:`LENET5_C3_INPUTS`, :func:`lenet5_parameter_counts` and :func:`lenet5_squash` record what
  LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) was, for comparison.
* :func:`confusion_matrix`, :func:`layer_outputs`, :func:`tile_maps` and :func:`gradient_check`
  compute what the chapter's figures and checks show.
* :func:`draw_lenet` draws one digit, the network's probabilities and its feature maps;
  :func:`lenet_demo` wires it to a validation-digit slider and an 8x8 grid of toggle buttons to draw on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...nn.layers import Sequential
from ...nn.lenet import (  # the network and its training: re-exported, the chapter meets them here
    BATCH_SIZE,
    CONV_LAYERS,
    EPOCHS,
    IMAGE_SIZE,
    LEARNING_RATE,
    SHIFTS,
    STUDY_RECIPES,
    STUDY_SEEDS,
    VAL_FRACTION,
    Recipe,
    TrainingRun,
    architecture_rows,
    blank_value,
    build_lenet,
    build_mlp,
    import_torch,
    parameter_count,
    shift,
    shift_augment,
    torch_lenet,
    train_lenet,
    train_lenet_torch,
    train_recipe,
    train_torch_epoch,
)
from ...nn.losses import softmax, softmax_cross_entropy
from ...nn.schedules import cosine_lr
from ...nn.training import evaluate, predict_logits


# --- LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998), for comparison ----------------

#: LeNet-5's C3 connection table (Table I of the paper): the S2 maps (numbered 0-5) that each of
#: the 16 C3 maps reads. Six maps read three neighbouring S2 maps, six read four neighbouring ones,
#: three read four that are not all neighbours, and the last reads all six: 60 of the 96 pairs.
LENET5_C3_INPUTS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


def lenet5_parameter_counts(c3_inputs=LENET5_C3_INPUTS) -> dict[str, int]:
    """The trainable parameters of each layer of LeNet-5, counted from its description.

    C1: 6 maps, 5x5 kernels on the 32x32 input; S2: one coefficient and one bias per map; C3: 16
    maps of 5x5 kernels over the S2 maps listed in ``c3_inputs``, one bias each; S4 as S2; C5: 120
    units, 5x5 kernels over all 16 S4 maps; F6: 84 units fully connected to C5. The 10 RBF output
    units' 84-dimensional prototypes were fixed by hand, not trained, so they are not counted.
    """
    return {
        "C1": 6 * (5 * 5 + 1),
        "S2": 6 * 2,
        "C3": 5 * 5 * sum(len(inputs) for inputs in c3_inputs) + len(c3_inputs),
        "S4": 16 * 2,
        "C5": 120 * (16 * 5 * 5 + 1),
        "F6": 84 * (120 + 1),
    }


def lenet5_squash(a):
    """LeNet-5's squashing function ``1.7159 * tanh(2a / 3)``: a scaled tanh with ``f(1) = 1``, ``f(-1) = -1``."""
    return 1.7159 * np.tanh(2.0 * np.asarray(a, dtype=np.float64) / 3.0)


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> np.ndarray:
    """``M[i, j]`` = how many examples of true class ``i`` were predicted as ``j``; ``(K, K)`` int64."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"confusion_matrix: y_true and y_pred must be 1-D and of one length; "
                         f"got {y_true.shape} and {y_pred.shape}")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def layer_outputs(model: Sequential, x) -> list[np.ndarray]:
    """The output of every layer of ``model`` for ``x``, in order (the last one is the logits)."""
    outputs = []
    for layer in model:
        x = layer.forward(x)
        outputs.append(x)
    return outputs


def tile_maps(maps, columns: int) -> np.ndarray:
    """``maps`` ``(M, h, w)`` laid out on a grid of ``columns`` columns, one NaN pixel between tiles.

    Returns ``(rows*(h+1)-1, columns*(w+1)-1)``; NaN shows as the background in ``imshow``.
    Each map is scaled to ``[0, 1]`` on its own (a map that is constant becomes 0).
    """
    maps = np.asarray(maps, dtype=np.float64)
    M, h, w = maps.shape
    rows = -(-M // columns)
    grid = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for m in range(M):
        low, high = maps[m].min(), maps[m].max()
        scaled = (maps[m] - low) / (high - low) if high > low else np.zeros((h, w))
        r, c = divmod(m, columns)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = scaled
    return grid


def gradient_check(model, x, labels, rng: np.random.Generator, entries: int = 12, h: float = 1e-5) -> dict:
    """Backpropagation against centred finite differences for a whole network with its loss.

    ``model`` should be float64. The loss is :func:`cnnbook.softmax_cross_entropy` of
    ``model(x)`` ``(N, 1, 8, 8)`` against ``labels`` ``(N,)``. For each parameter, ``entries``
    randomly chosen entries are checked (all of them when it has fewer), and every entry of ``x``.
    Returns ``{name: rel_error}`` with the parameter names and ``"x"``.
    """
    x = np.array(x, dtype=np.float64)

    def loss() -> float:
        return softmax_cross_entropy(model.forward(x), labels)[0]

    _, dlogits = softmax_cross_entropy(model.forward(x), labels)
    model.zero_grad()
    dx = model.backward(dlogits)
    errors = {}
    for name, p in list(model.parameters()) + [("x", None)]:
        array, analytic = (x, dx) if p is None else (p.value, p.grad)
        flat = array.reshape(-1)
        chosen = np.arange(flat.size) if p is None or flat.size <= entries else rng.choice(flat.size, entries, replace=False)
        numeric = np.empty(len(chosen))
        for k, i in enumerate(chosen):
            original = flat[i]
            flat[i] = original + h
            plus = loss()
            flat[i] = original - h
            minus = loss()
            flat[i] = original
            numeric[k] = (plus - minus) / (2 * h)
        a, b = analytic.reshape(-1)[chosen], numeric
        errors[name] = float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    return errors


# --- the widget ------------------------------------------------------------------------------------

def standardise_drawing(pixels, mean: float, std: float) -> np.ndarray:
    """A drawing ``(8, 8)`` of 0/1 (or grey levels in ``[0, 1]``) as the network's input ``(1, 1, 8, 8)``."""
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"standardise_drawing: expected an {IMAGE_SIZE}x{IMAGE_SIZE} drawing; got {pixels.shape}")
    return ((pixels - mean) / std).astype(np.float32)[None, None]


@dataclass(frozen=True)
class Prediction:
    """The network's answer for one image: ``probabilities`` ``(10,)``, the predicted ``digit``, and
    the feature maps after the first and the second conv-ReLU (``(c1, 8, 8)``, ``(c2, 4, 4)``)."""

    probabilities: np.ndarray
    digit: int
    maps1: np.ndarray
    maps2: np.ndarray


def predict_one(model: Sequential, image) -> Prediction:
    """Run one image ``(1, 1, 8, 8)`` (already standardised) through ``model`` and keep what the widget shows."""
    outputs = layer_outputs(model, image)
    probabilities = softmax(outputs[-1].astype(np.float64))[0]
    return Prediction(probabilities, int(np.argmax(probabilities)), outputs[CONV_LAYERS[0] + 1][0],
                      outputs[CONV_LAYERS[1] + 1][0])


def draw_lenet(figure, model: Sequential, image, label=None, title: str = "input") -> str:
    """Draw ``image`` ``(1, 1, 8, 8)``, the probabilities of the 10 digits, and both layers' feature maps.

    ``label`` is the true digit when known (a validation digit) or ``None`` (a drawing).
    Returns the caption: the prediction, its probability, and whether it is right.
    """
    result = predict_one(model, image)
    ax_in, ax_p, ax_m1, ax_m2 = figure.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1.3, 2.1, 2.1], "wspace": 0.35})
    ax_in.imshow(np.asarray(image)[0, 0], cmap="gray_r")
    ax_in.set(title=title, xticks=[], yticks=[], xlabel="8×8 pixels")

    colours = ["tab:blue"] * 10
    colours[result.digit] = "tab:green" if label is None or label == result.digit else "tab:red"
    ax_p.barh(range(10), result.probabilities, color=colours)
    ax_p.set(title="softmax probabilities", xlabel="probability", ylabel="digit", xlim=(0, 1),
             yticks=range(10))
    ax_p.invert_yaxis()

    c1, c2 = len(result.maps1), len(result.maps2)
    ax_m1.imshow(tile_maps(result.maps1, 4), cmap="viridis")
    ax_m1.set(title=f"conv 1 + ReLU: {c1} maps, 8×8", xticks=[], yticks=[])
    ax_m2.imshow(tile_maps(result.maps2, 8), cmap="viridis")
    ax_m2.set(title=f"conv 2 + ReLU: {c2} maps, 4×4", xticks=[], yticks=[])
    figure.subplots_adjust(left=0.03, right=0.99, bottom=0.15, top=0.85)

    p = result.probabilities[result.digit]
    caption = f"The network says <b>{result.digit}</b> with probability {p:.1%}."
    if label is not None:
        caption += " Right." if label == result.digit else f" Wrong: this is a {label}."
    runner_up = int(np.argsort(result.probabilities)[-2])
    caption += f" Runner-up: {runner_up} ({result.probabilities[runner_up]:.1%})."
    return caption


class LeNetDemo:
    """The chapter's widget: pick a validation digit with a slider, or draw one on an 8×8 grid of toggle buttons.

    ``source`` (a drop-down) chooses what the network sees: ``"validation digit"`` (the slider
    ``index`` picks one of ``data.x_val``) or ``"my drawing"`` (the toggle grid ``pixels``,
    ``pixels[r][c]``, a pressed button is ink). "copy digit to grid" puts the current validation
    digit on the grid (pixels brighter than half), "clear" empties it. Everything drawn comes from
    :func:`draw_lenet`. The test digits are not offered: looking at them is a way of using them.
    """

    SOURCES = ("validation digit", "my drawing")

    def __init__(self, model: Sequential, data, index: int = 0, figsize=(11.0, 3.0)):
        import ipywidgets as widgets

        from ..widgets import InteractiveFigure, choice, slider

        if len(data.x_val) == 0:
            raise ValueError("LeNetDemo: data has no validation digits; load it with "
                             "cb.data.load_digits_dataset(val_fraction=0.2)")
        self.model, self.data = model, data
        self.pixels = [[widgets.ToggleButton(value=False, layout=widgets.Layout(width="26px", height="26px"))
                        for _ in range(IMAGE_SIZE)] for _ in range(IMAGE_SIZE)]
        controls = {"source": choice(list(self.SOURCES), self.SOURCES[0], "network input"),
                    "index": slider(index, 0, len(data.x_val) - 1, "validation digit #")}
        self.interactive = InteractiveFigure(self._draw, controls, figsize=figsize)
        self.controls = self.interactive.controls
        for row in self.pixels:
            for button in row:
                button.observe(self._on_pixel, names="value")
        self.copy_button = widgets.Button(description="copy digit to grid")
        self.clear_button = widgets.Button(description="clear")
        self.copy_button.on_click(lambda _: self.copy_digit())
        self.clear_button.on_click(lambda _: self.set_drawing(np.zeros((IMAGE_SIZE, IMAGE_SIZE))))
        grid = widgets.GridBox([b for row in self.pixels for b in row],
                               layout=widgets.Layout(grid_template_columns=f"repeat({IMAGE_SIZE}, 28px)"))
        side = widgets.VBox([widgets.HTML("<b>draw here</b>"), grid,
                             widgets.HBox([self.copy_button, self.clear_button])])
        self.widget = widgets.HBox([self.interactive.widget, side])

    # what the network sees
    def drawing(self) -> np.ndarray:
        """The toggle grid as an ``(8, 8)`` array of 0 and 1."""
        return np.array([[float(b.value) for b in row] for row in self.pixels])

    def set_drawing(self, pixels) -> None:
        """Set the grid from an ``(8, 8)`` array (nonzero is ink) and redraw once."""
        self._quiet = True
        try:
            for r, row in enumerate(self.pixels):
                for c, button in enumerate(row):
                    button.value = bool(pixels[r][c])
        finally:
            self._quiet = False
        self.controls["source"].value = "my drawing"
        self.interactive.redraw()

    def copy_digit(self) -> None:
        """The current validation digit, thresholded at half its range, onto the grid."""
        image = self.data.x_val[self.controls["index"].value, 0] * self.data.std + self.data.mean  # back to [0, 1]
        self.set_drawing(image > 0.5)

    _quiet = False

    def _on_pixel(self, change) -> None:
        if self._quiet:
            return
        if self.controls["source"].value != "my drawing":
            self.controls["source"].value = "my drawing"   # that redraws
        else:
            self.interactive.redraw()

    def _draw(self, figure, source: str, index: int) -> str:
        if source == "my drawing":
            image = standardise_drawing(self.drawing(), self.data.mean, self.data.std)
            return draw_lenet(figure, self.model, image, None, "your drawing")
        label = int(self.data.y_val[index])
        return draw_lenet(figure, self.model, self.data.x_val[index:index + 1], label, f"validation digit #{index}")

    # the same interface as InteractiveFigure, for the tests
    @property
    def caption(self):
        return self.interactive.caption

    @property
    def figure(self):
        return self.interactive.figure

    @property
    def redraw_count(self) -> int:
        return self.interactive.redraw_count

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def lenet_demo(model: Sequential, data, index: int = 0) -> LeNetDemo:
    """The chapter's widget for a trained ``model`` and the :class:`~cnnbook.nn.data.DigitsDataset` it was trained on."""
    return LeNetDemo(model, data, index)


def misclassified(model, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the examples ``model`` gets wrong, and what it predicted for them."""
    predicted = predict_logits(model, x).argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    return wrong, predicted[wrong]


__all__ = ["BATCH_SIZE", "EPOCHS", "LEARNING_RATE", "VAL_FRACTION", "SHIFTS", "CONV_LAYERS", "IMAGE_SIZE",
           "import_torch", "torch_lenet", "train_torch_epoch", "train_lenet_torch",
           "shift", "shift_augment", "blank_value", "build_lenet", "build_mlp", "architecture_rows", "parameter_count",
           "cosine_lr", "Recipe", "STUDY_RECIPES", "STUDY_SEEDS", "train_lenet", "train_recipe", "TrainingRun",
           "LENET5_C3_INPUTS", "lenet5_parameter_counts", "lenet5_squash",
           "confusion_matrix", "layer_outputs", "tile_maps", "gradient_check", "standardise_drawing",
           "predict_one", "draw_lenet", "LeNetDemo", "lenet_demo", "misclassified", "evaluate"]


# --- the exercise's training check ------------------------------------------------------------------

# A learner runs this check again and again while fixing a model, which is choosing on the set it
# measures; so it measures the validation digits, and the test digits stay unseen.
REQUIRED_ACCURACY = 0.9
PASSING_VERDICT = f"at least {REQUIRED_ACCURACY:.0%} validation accuracy"


def accuracy_verdict(accuracy: float, required: float = REQUIRED_ACCURACY) -> str:
    """``PASSING_VERDICT`` when ``accuracy >= required``, else the accuracy and what was required."""
    if accuracy >= required:
        return PASSING_VERDICT if required == REQUIRED_ACCURACY else f"at least {required:.0%} validation accuracy"
    return f"{accuracy:.1%} validation accuracy, below the {required:.0%} required"


def quick_accuracy(model, seed: int = 0, epochs: int = 3) -> float:
    """Train ``model`` briefly with the chapter's recipe (``epochs`` epochs over the shifted training digits
    of the chapter's split, Adam from 2e-3 along a cosine, batch 32, shuffled by ``default_rng(seed)``);
    return its accuracy on the 360 validation digits."""
    from ...nn.data import load_digits_dataset
    from ...nn.optim import Adam

    data = load_digits_dataset(0, val_fraction=VAL_FRACTION)
    train_lenet(model, Adam(model.parameters(), lr=LEARNING_RATE), data, np.random.default_rng(seed), epochs=epochs)
    return evaluate(model, data.x_val, data.y_val)[1]
