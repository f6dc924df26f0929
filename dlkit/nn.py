r"""Dense layers, Sequential models, SGD with momentum, and a small ``fit``.

One concept, a network and how it learns (what assignment a4 builds), kept in
one module so a student can read it top to bottom: the layer's formulas, the
layer, the model, its state as plain data, the optimiser and the loop.

In the course's vocabulary (``docs/authoring.md``): a batch ``X`` of shape
``(N, D)``, weights ``W`` of shape ``(D, H)``, a bias ``b`` of shape ``(H,)``,
the weighted sums ``Z = XW + b`` and the activations ``A = f(Z)``, both
``(N, H)``; ``dA``, ``dZ``, ``dX``, ``dW``, ``db`` are the gradients of the
loss with respect to each. A :class:`Dense` layer is built with ``n_in = D``
and ``n_out = H``.

The layer's formulas live once, in the functional pair :func:`dense_forward`
(:math:`Z = XW + b`) and :func:`dense_backward`; :class:`Dense` is a thin
wrapper that adds the activation and keeps what backward needs:

.. math::

    dZ = dA \odot f'(Z), \qquad
    dW = X^\top dZ, \qquad
    db = \textstyle\sum_n dZ_n, \qquad
    dX = dZ\, W^\top.

Every model has ``params()`` and ``grads()``: dicts with the same keys whose
values are the live arrays, so :class:`SGD` updates the weights in place and
:func:`dlkit.gradcheck.check_layer_gradients` can perturb them.

Everything is float64 and deterministic: a layer built without ``rng`` draws
its weights from a fixed default seed, and :func:`fit` shuffles with a seeded
generator, so the same call gives the same numbers on every machine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlkit import activations
from dlkit._arrays import DEFAULT_SEED, as_float, check_int, generator, out

__all__ = [
    "neuron", "dense_forward", "dense_backward",
    "Dense", "Sequential", "MLP", "SGD",
    "fit", "predict", "predict_proba", "predict_classes", "accuracy",
    "DEFAULT_SEED", "init_std", "to_state", "from_state",
]

def init_std(n_in: int, n_out: int, activation=None) -> float:
    r"""Standard deviation of the initial weights for a layer with this activation.

    He init for ReLU-like activations (relu, leaky_relu, elu, softplus), which
    zero out about half their inputs, and Xavier/Glorot init for the rest
    (linear, sigmoid, tanh), as each one's record
    (:attr:`dlkit.activations.Activation.init`) says:

    .. math::

        \sigma_\text{He} = \sqrt{\frac{2}{n_\text{in}}}, \qquad
        \sigma_\text{Xavier} = \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    Both keep the variance of the activations (He) or of activations and
    gradients alike (Xavier) roughly constant from layer to layer.

    Parameters
    ----------
    n_in, n_out : int
    activation : str or None

    Returns
    -------
    float
    """
    he = activations.get(activation).init == "he"   # the activation's record says which
    return float(np.sqrt(2.0 / n_in if he else 2.0 / (n_in + n_out)))


# ---------------------------------------------------------------- functional forms
# The formulas of a layer as plain functions (the CS231n style): the notebooks'
# exercises are checked against these, and Dense is built on them.
def neuron(x, w, b, activation=None):
    r"""One neuron, :math:`a = f(\mathbf{w} \cdot \mathbf{x} + b)`.

    Parameters
    ----------
    x : array_like of shape (D,)
        Inputs.
    w : array_like of shape (D,)
        One weight per input.
    b : float
        Bias.
    activation : callable, str or None, default None
        Applied to the weighted sum :math:`z`; a name is looked up with
        :func:`dlkit.activations.get`; ``None`` returns :math:`z` itself.

    Returns
    -------
    numpy.float64
    """
    x, w = as_float(x, "x"), as_float(w, "w")
    if x.ndim != 1 or x.shape != w.shape:
        raise ValueError(f"expected x and w of the same shape (D,), got x {x.shape} "
                         f"and w {w.shape}")
    z = out(np.dot(w, x) + float(b))
    if activation is None:
        return z
    f = activation if callable(activation) else activations.get(activation).fn
    return out(as_float(f(z)))


def dense_forward(X, W, b):
    r"""Weighted sums of a dense layer for a batch, :math:`Z = XW + b`.

    Parameters
    ----------
    X : array_like of shape (N, D)
    W : array_like of shape (D, H)
        ``W[i, j]`` is the weight from input ``i`` to neuron ``j``.
    b : array_like of shape (H,)

    Returns
    -------
    Z : ndarray of shape (N, H)
    """
    X, W, b = as_float(X, "X"), as_float(W, "W"), as_float(b, "b")
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(f"expected X (N, D), W (D, H) and b (H,), got X {X.shape}, "
                         f"W {W.shape} and b {b.shape}")
    Z = X @ W
    Z += b   # into the fresh product: one (N, H) array made, not two
    return Z


def dense_backward(dZ, X, W):
    r"""Gradients of a dense layer's weighted sums :math:`Z = XW + b`.

    .. math:: dX = dZ\,W^\top, \qquad dW = X^\top dZ, \qquad db = \textstyle\sum_n dZ_n

    Parameters
    ----------
    dZ : array_like of shape (N, H)
        :math:`\partial L / \partial Z`, the upstream gradient (already
        multiplied by the activation's derivative, if there is one).
    X : array_like of shape (N, D)
        The layer's input in the forward pass.
    W : array_like of shape (D, H)

    Returns
    -------
    dX : ndarray of shape (N, D)
    dW : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    """
    dZ, X, W = as_float(dZ, "dZ"), as_float(X, "X"), as_float(W, "W")
    if (X.ndim != 2 or W.ndim != 2 or dZ.ndim != 2 or X.shape[1] != W.shape[0]
            or dZ.shape != (X.shape[0], W.shape[1])):
        raise ValueError(f"expected dZ (N, H), X (N, D) and W (D, H), got dZ {dZ.shape}, "
                         f"X {X.shape} and W {W.shape}")
    # db = sum over the batch, written as the product 1^T dZ (BLAS does it fastest)
    return dZ @ W.T, X.T @ dZ, np.ones(dZ.shape[0]) @ dZ


# ---------------------------------------------------------------- Dense
class Dense:
    r"""Fully connected layer, :math:`A = f(XW + b)`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    activation : str or None, default None
        A name known to :func:`dlkit.activations.get` ("relu", "sigmoid",
        "tanh", ...); ``None`` means linear.
    rng : int, numpy.random.Generator or None, default None
        Where the initial weights come from: an int seed, a Generator (shared
        by several layers so they differ), or ``None`` for the fixed seed
        :data:`DEFAULT_SEED`, so an unseeded layer is still reproducible.
    bias : bool, default True
        With ``bias=False``, ``b`` stays zeros, is not added, and is not a
        parameter (``params()`` and ``grads()`` hold ``"W"`` only).

    Attributes
    ----------
    W : ndarray of shape (D, H)
        Normal with standard deviation :func:`init_std` (He or Xavier).
    b : ndarray of shape (H,)
        Zeros.
    dW : ndarray of shape (D, H) or None
        :math:`\partial L / \partial W` after :meth:`backward`.
    db : ndarray of shape (H,) or None
        :math:`\partial L / \partial b` after :meth:`backward` (None without bias).
    Z : ndarray of shape (N, H) or None
        Pre-activation :math:`XW + b` of the last :meth:`forward` (the
        lecture's weighted sum :math:`a_j`).
    dZ : ndarray of shape (N, H) or None
        :math:`\partial L / \partial Z` after :meth:`backward`; the lecture's
        error term is :math:`\delta = -dZ`.
    """

    def __init__(self, n_in, n_out, activation=None, rng=None, bias=True):
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        self.activation = activations.get(activation)
        self.bias = bool(bias)
        std = init_std(self.n_in, self.n_out, self.activation)
        self.W = generator(rng).standard_normal((self.n_in, self.n_out)) * std
        self.b = np.zeros(self.n_out)
        self._zeros = np.zeros(self.n_out)   # what is added without a bias (b is not used)
        self.dW = self.db = self.dZ = None
        self._X = self.Z = None

    def forward(self, X):
        r"""Compute :math:`A = f(XW + b)`, keeping ``X`` and ``Z`` for :meth:`backward`.

        The weighted sums are :func:`dense_forward`'s; this adds the activation.

        Parameters
        ----------
        X : array_like of shape (N, D)

        Returns
        -------
        A : ndarray of shape (N, H)
        """
        X = as_float(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"expected X of shape (N, {self.n_in}), got {X.shape}")
        Z = dense_forward(X, self.W, self.b if self.bias else self._zeros)
        self._X, self.Z = X, Z
        return self.activation.fn(Z)

    def backward(self, dA):
        r"""Backpropagate ``dA = dL/dA`` through the activation and the layer.

        .. math:: dZ = dA \odot f'(Z)

        then :func:`dense_backward` gives :math:`dX = dZ\,W^\top`,
        :math:`dW = X^\top dZ` and :math:`db = \sum_n dZ_n`.

        Parameters
        ----------
        dA : ndarray of shape (N, H)

        Returns
        -------
        dX : ndarray of shape (N, D)
            Also stores ``dW`` (D, H), ``db`` (H,) and ``dZ`` (N, H).
        """
        if self.Z is None:
            raise RuntimeError("call forward(X) before backward(dA)")
        dA = as_float(dA, "dA")
        if dA.shape != self.Z.shape:
            raise ValueError(f"expected dA of shape {self.Z.shape} (the forward output), "
                             f"got {dA.shape}")
        dZ = self.activation.derivative(self.Z)   # a fresh array: multiplied in place
        dZ *= dA
        self.dZ = dZ
        dX, self.dW, db = dense_backward(self.dZ, self._X, self.W)
        self.db = db if self.bias else None
        return dX

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays themselves (not copies): ``{"W": W, "b": b}``."""
        return {"W": self.W, "b": self.b} if self.bias else {"W": self.W}

    def grads(self) -> dict[str, np.ndarray]:
        """Gradients from the last :meth:`backward`, keyed like :meth:`params`."""
        return {"W": self.dW, "b": self.db} if self.bias else {"W": self.dW}

    def __repr__(self):
        extra = "" if self.bias else ", bias=False"
        return f"Dense({self.n_in} -> {self.n_out}, {self.activation.name}{extra})"


# ---------------------------------------------------------------- Sequential
class Sequential:
    """Layers applied one after another; backward runs them in reverse.

    Parameters
    ----------
    *layers
        Objects with ``forward``, ``backward``, ``params`` and ``grads``
        (usually :class:`Dense`).

    Examples
    --------
    >>> Sequential(Dense(2, 4, "relu"), Dense(4, 1))
    Sequential(Dense(2 -> 4, relu), Dense(4 -> 1, linear))
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            missing = [m for m in ("forward", "backward", "params", "grads")
                       if not callable(getattr(layer, m, None))]
            if missing:
                raise TypeError(f"layer {i} ({type(layer).__name__}) has no {', '.join(missing)}")
        self.layers = list(layers)

    def forward(self, X):
        """Run ``X`` (N, D) through every layer; returns the last output (N, H)."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dA):
        """Backpropagate ``dA`` (N, H) through the layers in reverse; returns dX (N, D)."""
        for layer in reversed(self.layers):
            dA = layer.backward(dA)
        return dA

    def predict(self, X):
        """Raw outputs (N, H) for ``X`` (N, D); the same as :meth:`forward`."""
        return self.forward(X)

    __call__ = forward

    def params(self) -> dict[str, np.ndarray]:
        """Every layer's parameters, keyed ``"<layer index>.<name>"`` ("0.W", "0.b", ...)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.params().items()}

    def grads(self) -> dict[str, np.ndarray]:
        """Every layer's gradients, keyed like :meth:`params`."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.grads().items()}

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return f"Sequential({', '.join(map(repr, self.layers))})"


def MLP(sizes, activation="relu", output_activation=None, rng=0) -> Sequential:
    """Build a multilayer perceptron: a :class:`Sequential` of :class:`Dense` layers.

    Named like a class because it stands for one; it returns a Sequential.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, at least two: ``[2, 64, 64, 1]``
        is 2 inputs, two hidden layers of 64 and one output.
    activation : str, default "relu"
        Activation of every hidden layer.
    output_activation : str or None, default None
        Activation of the last layer; ``None`` (linear) suits "mse",
        "bce_logits" and "softmax_ce" in :func:`fit`.
    rng : int, numpy.random.Generator or None, default 0
        One Generator is shared by all layers, so no two start alike.

    Returns
    -------
    Sequential

    Examples
    --------
    >>> MLP([2, 8, 1])
    Sequential(Dense(2 -> 8, relu), Dense(8 -> 1, linear))
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    gen = generator(rng)
    last = len(sizes) - 2
    return Sequential(*[
        Dense(n_in, n_out, output_activation if i == last else activation, rng=gen)
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False))
    ])


# ---------------------------------------------------------------- state
def to_state(model) -> dict:
    """A :class:`Dense` or :class:`Sequential` of Dense layers as plain data.

    The state holds what the model computes with and nothing else: per
    layer its activation's name, whether it has a bias, and copies of ``W``
    (D, H) and ``b`` (H,). :func:`from_state` builds the same model back;
    the grader uses the pair to take a model a student trained out of their
    kernel as data.

    Returns
    -------
    dict
        ``{"layers": [{"activation": str, "bias": bool, "W": ndarray, "b": ndarray}, ...],
        "sequential": bool}``

    Raises
    ------
    TypeError
        For anything else (a layer that is not a Dense, for one).
    """
    layers = model.layers if isinstance(model, Sequential) else [model]
    if not all(type(layer) is Dense for layer in layers):
        raise TypeError("to_state takes a Dense layer or a Sequential of Dense layers")
    return {"sequential": isinstance(model, Sequential),
            "layers": [{"activation": layer.activation.name, "bias": layer.bias,
                        "W": np.array(layer.W, dtype=float), "b": np.array(layer.b, dtype=float)}
                       for layer in layers]}


def from_state(state) -> Dense | Sequential:
    """The model :func:`to_state` described, checked entry by entry.

    Raises
    ------
    ValueError or TypeError
        Naming the layer and the entry that is malformed (an unknown
        activation, ``W`` not 2-D, ``b`` not of shape (H,), widths that do
        not chain).
    """
    if not isinstance(state, dict) or not isinstance(state.get("layers"), list) \
            or not state["layers"] or len(state["layers"]) > 1000:
        raise TypeError("a model state is a dict with a non-empty list of layers")
    layers = []
    for i, entry in enumerate(state["layers"]):
        if not isinstance(entry, dict):
            raise TypeError(f"layer {i} of the state is not a dict")
        W, b = as_float(entry.get("W"), f"layer {i} W"), as_float(entry.get("b"), f"layer {i} b")
        if W.ndim != 2 or W.size == 0:
            raise ValueError(f"layer {i}: W must be a 2-D array (D, H), got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(f"layer {i}: b must have shape ({W.shape[1]},), got {b.shape}")
        if layers and layers[-1].n_out != W.shape[0]:
            raise ValueError(f"layer {i} takes {W.shape[0]} inputs but layer {i - 1} gives "
                             f"{layers[-1].n_out}")
        layer = Dense(W.shape[0], W.shape[1], entry.get("activation"),
                      bias=bool(entry.get("bias", True)))
        layer.W[...], layer.b[...] = W, b
        layers.append(layer)
    return Sequential(*layers) if state.get("sequential", True) or len(layers) > 1 else layers[0]


# ---------------------------------------------------------------- SGD
class SGD:
    r"""Stochastic gradient descent with classic (heavy-ball) momentum.

    For every parameter :math:`p` with gradient :math:`g`:

    .. math:: v \leftarrow \mu v - \eta\, g, \qquad p \leftarrow p + v

    With :math:`\mu = 0` this is plain :math:`p \leftarrow p - \eta g`.

    Parameters
    ----------
    model : object with ``params()`` and ``grads()``
    lr : float, default 0.1
        Learning rate :math:`\eta`.
    momentum : float, default 0.0
        :math:`\mu`, in [0, 1).
    """

    def __init__(self, model, lr=0.1, momentum=0.0):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.model, self.lr, self.momentum = model, float(lr), float(momentum)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self):
        """Update every parameter in place from the gradients of the last backward."""
        params, grads = self.model.params(), self.model.grads()
        lr, mu = self.lr, self.momentum
        for name, p in params.items():
            g = grads[name]
            if g is None:
                raise RuntimeError(f"no gradient for {name!r}: call backward before step()")
            if mu == 0.0:
                p -= lr * g
                continue
            v = self.velocity.get(name)
            if v is None:
                v = self.velocity[name] = np.zeros_like(p)
            v *= mu
            v -= lr * g
            p += v

    def zero_velocity(self):
        """Forget the momentum (start afresh)."""
        self.velocity.clear()

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


# ---------------------------------------------------------------- fit / predict
# Short names accepted by fit, and how the labels y are shaped for each.
_LOSS_ALIASES = {
    "bce_logits": "binary_cross_entropy_with_logits",
    "softmax_ce": "softmax_cross_entropy_with_logits",
}


def _resolve_loss(loss) -> tuple[str, Callable, Callable]:
    """Return ``(name, loss_fn, grad_fn)`` for a loss name or a ``(loss, grad)`` pair."""
    if isinstance(loss, tuple) and len(loss) == 2 and all(map(callable, loss)):
        return getattr(loss[0], "__name__", "custom"), loss[0], loss[1]
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name such as 'mse' or a (loss, grad) pair, got {loss!r}")
    from dlkit import losses  # lazily: nn works without the losses module

    name = _LOSS_ALIASES.get(loss, loss)
    for candidate in dict.fromkeys((loss, name)):
        try:
            fn, grad = losses.get(candidate)
        except (KeyError, ValueError):
            continue
        return name, fn, grad
    fn, grad = getattr(losses, name, None), getattr(losses, name + "_grad", None)
    if fn is None or grad is None:
        raise ValueError(f"unknown loss {loss!r}; use 'mse', 'bce_logits', 'softmax_ce', "
                         "another name from dlkit.losses, or a (loss, grad) pair")
    return name, fn, grad


def _targets(name: str, y, N: int, n_out: int) -> np.ndarray:
    """Shape the labels ``y`` the way the loss expects them next to (N, H) outputs."""
    if name == "softmax_cross_entropy_with_logits":
        y = np.asarray(y)
        whole = y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.all(y == np.round(y)))
        if y.shape != (N,) or not whole:
            raise ValueError(f"softmax_ce expects integer labels y of shape ({N},), "
                             f"got {y.dtype} of shape {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= n_out):
            raise ValueError(f"labels must lie in [0, {n_out}) for {n_out} outputs, "
                             f"got values from {y.min()} to {y.max()}")
        return y.astype(np.int64, copy=False)
    y = as_float(y, "y")
    if y.shape == (N,) and n_out == 1:
        y = y.reshape(N, 1)
    if y.shape != (N, n_out):
        raise ValueError(f"expected y of shape ({N}, {n_out})" + (" or (N,)" if n_out == 1 else "")
                         + f" to match the model's outputs, got {np.shape(y)}")
    return y


def _n_out(model, X) -> int:
    last = model[-1] if hasattr(model, "__getitem__") else model
    n_out = getattr(last, "n_out", None)
    return n_out if n_out is not None else model.forward(X[:1]).shape[1]


def fit(model, X, y, loss="mse", epochs=100, lr=0.1, momentum=0.0, batch_size=None,
        rng=0, verbose=False) -> list[float]:
    r"""Train ``model`` with mini-batch SGD; return the loss of every epoch.

    Parameters
    ----------
    model : Sequential or Dense
        Updated in place.
    X : array_like of shape (N, D)
    y : array_like
        Targets, by loss:

        - ``"mse"``: real values of shape (N, H), or (N,) when n_out is 1;
        - ``"bce_logits"``: 0/1 labels of shape (N,) or (N, 1); the model's
          last layer must be linear (it outputs logits);
        - ``"softmax_ce"``: integer class labels of shape (N,) in [0, n_out);
          the last layer must be linear (it outputs one logit per class).
    loss : str or (callable, callable), default "mse"
        A name for :func:`dlkit.losses.get` (``"bce_logits"`` and
        ``"softmax_ce"`` are short for the ``*_with_logits`` losses), or a
        pair ``(loss(y_true, y_pred) -> float, grad(y_true, y_pred) -> dL/dy_pred)``.
    epochs : int, default 100
    lr, momentum : float
        Passed to :class:`SGD`.
    batch_size : int or None, default None
        ``None`` trains on the full batch; otherwise the rows are shuffled
        every epoch (with ``rng``) and cut into batches of this size.
    rng : int, Generator or None, default 0
        Seeds the shuffling.
    verbose : bool, default False
        Print the loss about ten times during training.

    Returns
    -------
    list of float
        One entry per epoch: the mean of the mini-batch losses weighted by
        batch size, each measured before its update.
    """
    X = as_float(X, "X")
    if X.ndim != 2:
        raise ValueError(f"expected X of shape (N, D), got {X.shape}")
    N = X.shape[0]
    name, loss_fn, grad_fn = _resolve_loss(loss)
    y = _targets(name, y, N, _n_out(model, X))
    epochs = check_int(epochs, "epochs")
    batch = N if batch_size is None else min(check_int(batch_size, "batch_size"), N)
    gen = generator(rng)
    opt = SGD(model, lr=lr, momentum=momentum)
    history = []
    for epoch in range(epochs):
        order = None if batch == N else gen.permutation(N)
        total = 0.0
        for start in range(0, N, batch):
            if order is None:
                Xb, yb = X, y
            else:
                idx = order[start:start + batch]
                Xb, yb = X[idx], y[idx]
            out = model.forward(Xb)
            total += float(loss_fn(yb, out)) * Xb.shape[0]
            model.backward(grad_fn(yb, out))
            opt.step()
        history.append(total / N)
        if verbose and (epoch % max(1, epochs // 10) == 0 or epoch == epochs - 1):
            print(f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  loss {history[-1]:.6g}")
    return history


def predict(model, X) -> np.ndarray:
    """Raw model outputs, shape (N, H).

    Regression values for ``"mse"``; logits for ``"bce_logits"`` (N, 1) and
    ``"softmax_ce"`` (N, K). Use :func:`predict_proba` or
    :func:`predict_classes` for probabilities or labels.
    """
    return model.forward(X)


def predict_proba(model, X) -> np.ndarray:
    r"""Class probabilities from a model with a linear (logit) output layer.

    Returns
    -------
    ndarray
        Shape (N,) with :math:`P(y=1) = \sigma(\text{logit})` for one output;
        shape (N, K) with softmax rows for K > 1 outputs.
    """
    logits = model.forward(X)
    if logits.shape[1] == 1:
        return activations.sigmoid(logits[:, 0])
    return activations.softmax(logits, axis=1)


def predict_classes(model, X) -> np.ndarray:
    """Integer labels, shape (N,): ``logit > 0`` for one output, else the argmax."""
    logits = model.forward(X)
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(np.int64)
    return np.argmax(logits, axis=1)


def accuracy(y_true, y_pred) -> float:
    """Fraction of labels that match; ``y_true`` and ``y_pred`` of shape (N,) or (N, 1)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    a, b = y_true.reshape(-1), y_pred.reshape(-1)
    if y_true.ndim > 2 or y_pred.ndim > 2 or a.shape != b.shape:
        raise ValueError(f"y_true and y_pred must hold the same number of labels, "
                         f"got y_true {y_true.shape} and y_pred {y_pred.shape}")
    if a.size == 0:
        raise ValueError("accuracy of zero labels is undefined")
    return float(np.mean(a == b))
