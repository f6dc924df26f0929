"""What every widget shares: the :class:`Explorer` container, controls, figures, grading guard."""

from __future__ import annotations

import io

import ipywidgets as widgets
from matplotlib.figure import Figure

#: Resolution of the PNG every widget shows; small enough to redraw in a few tens of ms.
DPI = 80


class Explorer(widgets.VBox):
    """The container every widget returns: a VBox that keeps its parts by name.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        The sliders, dropdowns and buttons, e.g. ``controls["alpha"]``.
    readout : ipywidgets.HTML
        The numbers under the controls.
    figure : matplotlib.figure.Figure
        The figure that is drawn; :attr:`image` shows it as PNG.
    artists : dict of str to matplotlib.artist.Artist
        What is drawn, by name (``"f"``, ``"heatmap"``...); updated in place.
    image : ipywidgets.Image
    state : dict
        Whatever the widget computed last (the plotted data, the network...).
    """

    def __init__(self, controls, figure, artists=None, rows=None):
        self.controls = dict(controls)
        self.readout = widgets.HTML()
        self.figure = figure
        self.artists = dict(artists or {})
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.state = {}
        self._on_close = []
        if rows is None:
            boxes = list(self.controls.values())
            rows = [boxes[i:i + 3] for i in range(0, len(boxes), 3)]
        super().__init__([*(widgets.HBox(row) for row in rows), self.readout, self.image])

    def render(self, layout=False):
        """Draw :attr:`figure` into :attr:`image` (an Agg draw and a PNG encoding).

        The constrained layout, which measures every label and costs about a
        third of a draw, runs on the first render and when ``layout`` is true
        (after a change that can move labels, such as another function);
        otherwise the Axes keep their places.
        """
        first = not self.image.value
        self.figure.set_layout_engine("constrained" if layout or first else "none")
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi="figure")
        self.image.value = buf.getvalue()

    def on_close(self, callback):
        """Call ``callback()`` when the widget is closed (a background task stops there)."""
        self._on_close.append(callback)

    def close(self):
        """Run the :meth:`on_close` callbacks, then close the container and its children."""
        for callback in self._on_close:
            callback()
        for child in (*self.controls.values(), self.readout, self.image):
            child.close()
        super().close()


def figure(width=7.0, height=3.4, ncols=1, **kw):
    """A pyplot-free Figure with ``ncols`` Axes side by side (``kw`` go to ``subplots``)."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig, fig.subplots(1, ncols, **kw)


def slider(description, value, lo, hi, step, fmt=".2f", **kw):
    """A FloatSlider with the course's look."""
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=fmt, continuous_update=False, **kw)


def dropdown(description, options, value=None):
    """A Dropdown; ``options`` are values or ``(label, value)`` pairs."""
    options = list(options)
    first = options[0][1] if isinstance(options[0], tuple) else options[0]
    return widgets.Dropdown(options=options, description=description,
                            value=first if value is None else value)


def on_change(controls, callback):
    """Call ``callback()`` whenever the value of any of ``controls`` changes."""
    for control in controls:
        control.observe(lambda _change: callback(), names="value")


def show(widget, visible: bool):
    """Show or hide ``widget`` (hidden widgets take no room)."""
    widget.layout.display = None if visible else "none"


def set_range(slider_, lo, hi, step, value):
    """Give ``slider_`` new bounds, step and value without ever inverting min and max."""
    slider_.min, slider_.max = min(lo, slider_.min), max(hi, slider_.max)  # widen first
    slider_.min, slider_.max, slider_.step, slider_.value = lo, hi, step, value


def fmt(value, digits=4) -> str:
    """A number as the readouts show it."""
    return f"{value:.{digits}f}"


class Guard:
    """A flag that silences callbacks while several controls change together.

    Examples
    --------
    >>> guard = Guard()
    >>> with guard:
    ...     bool(guard)
    True
    """

    def __init__(self):
        self._depth = 0

    def __enter__(self):
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1

    def __bool__(self):
        return self._depth > 0
