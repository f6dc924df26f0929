r"""Interactive widgets for JupyterLab, built from ipywidgets and matplotlib.

Each function returns one widget, an :class:`Explorer` (a ``VBox``): controls
on top, a line of readouts, and a picture redrawn whenever a control
changes. Put it last in a cell to show it::

    from dlkit.widgets import activation_explorer
    activation_explorer()

======================  ====================================================
:func:`activation_explorer`  an activation and its derivative, saturation, a comparison
:func:`explore_neuron`       one neuron with two inputs over the input plane
:func:`loss_explorer`        every loss of :mod:`dlkit.losses` and its gradient
:func:`playground`           the TensorFlow Playground, trained with :mod:`dlkit.nn`
:func:`backprop_stepper`     the lecture's 2-2-1 backpropagation example, phase by phase
======================  ====================================================

The picture is a matplotlib :class:`~matplotlib.figure.Figure` that is never
registered with pyplot: it is rendered to PNG into an ``Image`` widget, so it
works with any backend, shows no duplicate figure, and never blocks. Updates
change the drawn artists in place (``set_data``, ``set_array``...); nothing
is re-created. Every widget keeps its parts by name, for tests and curious
students: ``controls``, ``figure``, ``artists`` and ``state``; the numbers a
picture shows come from small plain functions (:func:`activation_data`,
:func:`loss_data`, :class:`Trainer`, :func:`dlkit.worked_example.one_step`).

**While nbgrader grades** (:func:`dlkit.plots.autograding`), every widget
prints one line saying it is skipped and returns ``None`` at once: nothing is
built, trained or drawn, so an exploration cell neither slows nor breaks
grading. Nothing here warns, at any slider position.
"""

from dlkit.widgets._base import Explorer
from dlkit.widgets.activation import activation_data, activation_explorer
from dlkit.widgets.loss import loss_data, loss_explorer
from dlkit.widgets.neuron import explore_neuron
from dlkit.widgets.stepper import backprop_stepper
from dlkit.widgets.training import Playground, Trainer, playground

#: The former name of :func:`activation_explorer`, kept for notebooks that use it.
explore_activation = activation_explorer

__all__ = [
    "Explorer", "Playground", "Trainer",
    "activation_explorer", "explore_neuron", "loss_explorer", "playground", "backprop_stepper",
    "activation_data", "loss_data", "explore_activation",
]
