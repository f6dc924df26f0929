r"""Interactive widgets for JupyterLab, built from ipywidgets and matplotlib.

Each function returns one widget, an :class:`Explorer` (a ``VBox``): controls
on top, a line of readouts, and a picture redrawn whenever a control
changes. Put it last in a cell to show it::

    from dlkit.widgets import activation_explorer
    activation_explorer()

One widget per module, named for what it shows (the widget ``<module>_<kind>``):

===========================  ======================  ==============================================
widget                       module                  what it shows
===========================  ======================  ==============================================
:func:`activation_explorer`  ``widgets/activation``  an activation and its derivative, saturation
:func:`neuron_explorer`      ``widgets/neuron``      one neuron with two inputs over the input plane
:func:`loss_explorer`        ``widgets/loss``        every loss of :mod:`dlkit.losses`, its gradient
:func:`training_playground`  ``widgets/training``    the TensorFlow Playground, on :mod:`dlkit.nn`
:func:`backprop_stepper`     ``widgets/backprop``    the lecture's 2-2-1 example, phase by phase
===========================  ======================  ==============================================

The picture is a matplotlib :class:`~matplotlib.figure.Figure` that is never
registered with pyplot: it is rendered to PNG into an ``Image`` widget, so it
works with any backend, shows no duplicate figure, and never blocks. Updates
change the drawn artists in place (``set_data``, ``set_array``...); nothing
is re-created. Every widget keeps its parts by name, for tests and curious
students: ``controls``, ``figure``, ``artists`` and ``state``; the numbers a
picture shows come from small plain functions (:func:`activation_data`,
:func:`loss_data`, :class:`Trainer`, :func:`dlkit.worked_example.one_step`).

**While nbgrader grades** (:func:`dlkit.autograding.autograding`), every widget
prints one line saying it is skipped and returns ``None`` at once: nothing is
built, trained or drawn, so an exploration cell neither slows nor breaks
grading. Nothing here warns, at any slider position.
"""

from dlkit.widgets._base import Explorer
from dlkit.widgets.activation import activation_data, activation_explorer
from dlkit.widgets.backprop import backprop_stepper
from dlkit.widgets.loss import loss_data, loss_explorer
from dlkit.widgets.neuron import neuron_explorer
from dlkit.widgets.training import Playground, Trainer, training_playground

__all__ = [
    "Explorer", "Playground", "Trainer",
    "activation_explorer", "neuron_explorer", "loss_explorer", "training_playground",
    "backprop_stepper",
    "activation_data", "loss_data",
]
