"""Chapter 8's helpers: the LeNet-style network for the 8x8 digits, its training recipes, and its pictures.

* :func:`build_lenet` assembles the network from :mod:`cnnbook.nn.layers`; :func:`build_mlp` is the
  dense baseline with about as many parameters; :func:`architecture_rows` describes any model
  layer by layer (what the exercise checker compares).
* :class:`Recipe` names a way of training (learning rate, schedule, epochs, shifted copies or not);
  :func:`train_lenet` trains a model with one, one :func:`cnnbook.fit` epoch at a time
  (:func:`cnnbook.nn.fit_with_schedule`), validating on ``data.x_val``, never on the test set;
  :func:`train_recipe` builds and trains one model from a seed, as :func:`cnnbook.nn.run_study` wants.
* :data:`LENET5_C3_INPUTS`, :func:`lenet5_parameter_counts` and :func:`lenet5_squash` record what
  LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) was, for comparison.
* :func:`confusion_matrix`, :func:`layer_outputs`, :func:`tile_maps` and :func:`gradient_check`
  compute what the chapter's figures and checks show.
* :func:`draw_lenet` draws one digit, the network's probabilities and its feature maps;
  :func:`lenet_demo` wires it to a validation-digit slider and an 8x8 grid of toggle buttons to draw on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ...nn.losses import softmax, softmax_cross_entropy
from ...nn.schedules import ScheduledRun, cosine_lr, fit_with_schedule
from ...nn.training import evaluate, predict_logits

#: The recipe the chapter's study chooses on the validation set: batch 32, Adam from 2e-3 down
#: toward 0 along a cosine, EPOCHS epochs over the training digits and their four one-pixel shifts
#: (:func:`shift_augment`). See :data:`STUDY_RECIPES`.
BATCH_SIZE = 32
EPOCHS = 6
LEARNING_RATE = 2e-3
#: The chapter's split: 20% of the 1,797 digits for validation (360), 20% for test (360), 1,077 to train on.
VAL_FRACTION = 0.2
#: The one-pixel shifts of :func:`shift_augment`: (rows down, columns right).
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0))
#: The positions of the two convolutions and of the layer the first dense layer sees, in :func:`build_lenet`.
CONV_LAYERS = (0, 3)
IMAGE_SIZE = 8


def build_lenet(rng: np.random.Generator, channels=(16, 32), hidden: int = 64, dtype=np.float32) -> Sequential:
    """conv-ReLU-pool twice, then two dense layers: ``(N, 1, 8, 8)`` -> logits ``(N, 10)``.

    ====  =====================================  ===================
    #     layer                                   output of one image
    ====  =====================================  ===================
    0-2   Conv2d(1, c1, 3, padding=1), ReLU, 2x2  c1 x 4 x 4
    3-5   Conv2d(c1, c2, 3, padding=1), ReLU, 2x2 c2 x 2 x 2
    6     Flatten                                 4 * c2
    7-8   Linear(4 * c2, hidden), ReLU            hidden
    9     Linear(hidden, 10)                      10 logits
    ====  =====================================  ===================

    ``channels`` ``(c1, c2)`` defaults to ``(16, 32)``. Weights are He-uniform (for ReLU), drawn
    from ``rng`` layer by layer; biases start at zero.
    """
    c1, c2 = channels
    he = {"rng": rng, "init": "he_uniform", "dtype": dtype}
    return Sequential(
        Conv2d(1, c1, 3, padding=1, **he), ReLU(), MaxPool2d(2),
        Conv2d(c1, c2, 3, padding=1, **he), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(c2 * 2 * 2, hidden, **he), ReLU(),
        Linear(hidden, 10, **he),
    )


def parameter_count(model) -> int:
    """How many numbers the model learns."""
    return sum(p.value.size for _, p in model.parameters())


def architecture_rows(model, input_shape=(2, 1, IMAGE_SIZE, IMAGE_SIZE)) -> list[str]:
    """One line per layer: ``"Conv2d(1, 16, kernel_size=3, padding=1): (2, 1, 8, 8) -> (2, 16, 8, 8), 160 parameters"``.

    A batch of zeros ``input_shape`` goes through the layers one by one. When a layer refuses its
    input, its line ends with the layer's error and the description stops there. ``model`` is a
    :class:`Sequential` (or a single layer).
    """
    layers = list(model) if isinstance(model, Sequential) else [model]
    dtype = getattr(model, "dtype", None) or np.float32
    x = np.zeros(input_shape, dtype=dtype)
    rows = []
    for layer in layers:
        count = sum(p.value.size for _, p in layer.parameters())
        before = tuple(x.shape)
        try:
            x = layer.forward(x)
        except ValueError as error:
            rows.append(f"{layer!r}: {before} -> refused: {error}")
            break
        rows.append(f"{layer!r}: {before} -> {tuple(x.shape)}, {count} parameters")
    return rows


def build_mlp(rng: np.random.Generator, hidden: int = 182, dtype=np.float32) -> Sequential:
    """The dense baseline: ``(N, 1, 8, 8)`` -> Flatten -> Linear(64, hidden) -> ReLU -> Linear(hidden, 10).

    With the default ``hidden=182`` it has ``64*182 + 182 + 182*10 + 10 = 13,660`` parameters,
    within 0.4% of :func:`build_lenet`'s 13,706. He-uniform weights from ``rng``, zero biases.
    """
    he = {"rng": rng, "init": "he_uniform", "dtype": dtype}
    return Sequential(Flatten(), Linear(IMAGE_SIZE * IMAGE_SIZE, hidden, **he), ReLU(), Linear(hidden, 10, **he))


# --- training recipes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """A way of training on the digits: Adam starting at ``lr``, the learning-rate ``schedule``
    (``"constant"`` or ``"cosine"``, see :mod:`cnnbook.nn.schedules`), ``epochs`` passes over the
    training digits (five times as many examples per pass with ``augment``: each digit and its four
    one-pixel shifts), mini-batches of ``batch_size``."""

    lr: float = LEARNING_RATE
    epochs: int = EPOCHS
    schedule: str = "cosine"
    augment: bool = True
    batch_size: int = BATCH_SIZE

    def steps(self, n_train: int) -> int:
        """How many Adam steps (mini-batches) the recipe takes on ``n_train`` training digits."""
        examples = n_train * (len(SHIFTS) if self.augment else 1)
        return self.epochs * math.ceil(examples / self.batch_size)


#: The three recipes the chapter compares on the validation set, each with about the same number of
#: Adam steps on the 1,077 training digits (1,020 without the shifts, 1,014 with them): an epoch over
#: the shifted copies holds five times as many examples, so the recipes without them get five times
#: as many epochs. Starting at 2e-3, the cosine schedule's mean rate over 30 epochs is 1.033e-3, about
#: the constant recipe's 1e-3.
STUDY_RECIPES = {
    "constant 1e-3, no shifts": Recipe(lr=1e-3, epochs=5 * EPOCHS, schedule="constant", augment=False),
    "cosine 2e-3, no shifts": Recipe(lr=2e-3, epochs=5 * EPOCHS, schedule="cosine", augment=False),
    "cosine 2e-3, shifts": Recipe(lr=2e-3, epochs=EPOCHS, schedule="cosine", augment=True),
}
#: The seeds of the study: each seed draws the starting weights and the order of the mini-batches.
STUDY_SEEDS = (0, 1, 2)

#: A training run's record (see :class:`cnnbook.nn.ScheduledRun`); the name chapter 8 uses.
TrainingRun = ScheduledRun


def train_lenet(model, optimizer, data, rng: np.random.Generator, epochs: int = EPOCHS,
                batch_size: int = BATCH_SIZE, augment: bool = True, progress: bool = False,
                threads: int | None = 1, schedule="cosine") -> ScheduledRun:
    """Train ``model`` on the training digits, the learning rate following ``schedule`` from ``optimizer.lr``.

    The training set is ``data.x_train`` and, with ``augment``, its one-pixel shifts
    (:func:`shift_augment`, five times as many examples). Each epoch sets ``optimizer.lr`` by the
    schedule (``"cosine"``: :func:`cnnbook.nn.cosine_lr`; ``"constant"``), then runs one epoch of
    :func:`cnnbook.fit` (shuffled by ``rng``). After each epoch the model is measured on the
    validation digits ``data.x_val`` (when there are any) and on the unshifted training digits
    (``run.end_train_loss``, ``run.end_train_accuracy``). The test digits are never used.
    ``data`` is a :class:`cnnbook.nn.data.DigitsDataset`.

    ``threads``: threads of cnnbook's kernels (:func:`cnnbook.set_num_threads`), and BLAS threads
    for the dense layers' matrix products, while training (both restored afterwards); ``None``
    leaves the settings alone. The default is 1: batches of 32 tiny images are too small to share between threads (``python -m
    cnnbook.bench_training`` measures both), and a second BLAS thread only keeps another core busy.
    The results do not depend on it beyond float rounding.
    """
    from threadpoolctl import threadpool_limits

    from ..._parallel import num_threads

    x, y = shift_augment(data.x_train, data.y_train, blank_value(data)) if augment else (data.x_train, data.y_train)
    validation = {"x_val": data.x_val, "y_val": data.y_val} if len(data.x_val) else {}
    with num_threads(threads), threadpool_limits(limits=threads, user_api="blas"):
        return fit_with_schedule(model, optimizer, x, y, epochs, batch_size, rng, schedule=schedule,
                                 x_eval=data.x_train, y_eval=data.y_train, progress=progress, **validation)


def train_recipe(recipe: Recipe, seed: int, data, build=None) -> tuple[Sequential, ScheduledRun]:
    """Build a model from ``np.random.default_rng(seed)`` (``build``, default :func:`build_lenet`) and train
    it with ``recipe`` on ``data``, the same generator then shuffling the batches. Returns ``(model, run)``."""
    from ...nn.optim import Adam

    rng = np.random.default_rng(seed)
    model = (build or build_lenet)(rng)
    run = train_lenet(model, Adam(model.parameters(), lr=recipe.lr), data, rng, epochs=recipe.epochs,
                      batch_size=recipe.batch_size, augment=recipe.augment, schedule=recipe.schedule)
    return model, run


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


def shift(images, down: int, right: int, fill: float) -> np.ndarray:
    """``images`` ``(N, C, H, W)`` moved ``down`` rows and ``right`` columns (negative: up, left).

    What moves out of the frame is lost; the rows and columns that come in hold ``fill``
    (the background). A new array of the same shape and dtype.
    """
    images = np.asarray(images)
    H, W = images.shape[2:]
    if abs(down) >= H or abs(right) >= W:
        raise ValueError(f"shift: cannot move a {H}x{W} image by ({down}, {right})")
    out = np.full_like(images, fill)
    rows_to, rows_from = slice(max(down, 0), H + min(down, 0)), slice(max(-down, 0), H + min(-down, 0))
    cols_to, cols_from = slice(max(right, 0), W + min(right, 0)), slice(max(-right, 0), W + min(-right, 0))
    out[:, :, rows_to, cols_to] = images[:, :, rows_from, cols_from]
    return out


def shift_augment(x, y, fill: float, shifts=SHIFTS) -> tuple[np.ndarray, np.ndarray]:
    """Data augmentation: every image of ``x`` ``(N, 1, 8, 8)`` once per shift in ``shifts``.

    Returns ``(x_aug, y_aug)`` with ``len(shifts) * N`` examples, shift by shift (the first
    block is ``x`` itself when ``(0, 0)`` comes first); ``fill`` is the value of a blank pixel.
    """
    x_aug = np.concatenate([shift(x, down, right, fill) for down, right in shifts])
    return x_aug, np.tile(np.asarray(y), len(shifts))


def blank_value(data) -> float:
    """The standardised value of a blank (0) pixel: ``(0 - mean) / std``."""
    return float((0.0 - data.mean) / data.std)


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


__all__ = ["shift", "shift_augment", "blank_value", "build_lenet", "build_mlp", "architecture_rows", "parameter_count",
           "cosine_lr", "Recipe", "STUDY_RECIPES", "STUDY_SEEDS", "train_lenet", "train_recipe", "TrainingRun",
           "LENET5_C3_INPUTS", "lenet5_parameter_counts", "lenet5_squash",
           "confusion_matrix", "layer_outputs", "tile_maps", "gradient_check", "standardise_drawing",
           "predict_one", "draw_lenet", "LeNetDemo", "lenet_demo", "misclassified", "evaluate"]


# --- the same network in PyTorch (optional: only when torch is installed) -------------------------

def import_torch():
    """The ``torch`` module, or ``None`` when PyTorch is not installed (it is not a dependency of cnnbook)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_lenet(torch, model: Sequential):
    """A ``torch.nn.Sequential`` with the architecture of ``model`` (a :func:`build_lenet` network) and a copy
    of its weights, so both start from the same point. Same NCHW layout and weight shapes, so the
    arrays copy over as they are; float32."""
    nn = torch.nn
    layers = []
    for layer in model:
        if isinstance(layer, Conv2d):
            t = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, Linear):
            t = nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
            continue
        elif isinstance(layer, MaxPool2d):
            layers.append(nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
            continue
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
            continue
        else:
            raise TypeError(f"torch_lenet: no PyTorch twin for {layer!r}")
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(np.asarray(layer.params["weight"].value, np.float32)))
            t.bias.copy_(torch.from_numpy(np.asarray(layer.params["bias"].value, np.float32)))
        layers.append(t)
    return nn.Sequential(*layers)


def train_torch_epoch(torch, net, optimizer, x, y, batch_size: int, rng: np.random.Generator) -> float:
    """One epoch of ``net`` on ``x`` ``(N, 1, 8, 8)`` float32 tensors, labels ``y`` ``(N,)`` int64 tensor,
    in the order ``rng.permutation(N)`` (as :func:`cnnbook.fit`); returns the mean training loss."""
    order = torch.from_numpy(rng.permutation(len(x)))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / len(x)


def train_lenet_torch(torch, model: Sequential, data, rng: np.random.Generator, lr: float = LEARNING_RATE,
                      epochs: int = EPOCHS, batch_size: int = BATCH_SIZE, augment: bool = True,
                      threads: int | None = 1) -> tuple[float, float]:
    """Train the PyTorch twin of ``model`` (same starting weights) with :func:`train_lenet`'s recipe:
    the same (augmented) data, Adam, the cosine schedule, the same batch order. ``model`` itself is
    not changed. ``threads``: PyTorch's intra-op threads while training (restored afterwards), 1 by
    default for the same reason as :func:`train_lenet`. Returns ``(validation accuracy, seconds)``:
    the accuracy on ``data.x_val``, the digits :func:`train_lenet` validates on."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _train_torch(torch, model, data, rng, lr, epochs, batch_size, augment)
    finally:
        torch.set_num_threads(previous)


def _train_torch(torch, model, data, rng, lr, epochs, batch_size, augment) -> tuple[float, float]:
    import time

    net = torch_lenet(torch, model)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = shift_augment(data.x_train, data.y_train, blank_value(data)) if augment else (data.x_train, data.y_train)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    for epoch in range(epochs):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(epoch, epochs, lr)
        train_torch_epoch(torch, net, optimizer, x, y, batch_size, rng)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = net(torch.from_numpy(data.x_val)).argmax(dim=1).numpy()
    return float(np.mean(predicted == data.y_val)), seconds


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
