"""dlkit: the small numpy library behind the Unit 2 deep-learning course.

Modules, one concept each:

- :mod:`dlkit.activations` - activation functions and their derivatives
- :mod:`dlkit.losses` - the lecture's twelve losses and their gradients
- :mod:`dlkit.nn` - Dense layers, Sequential/MLP, SGD with momentum, fit/predict
- :mod:`dlkit.gradcheck` - numerical gradients and the relative error
- :mod:`dlkit.data` - small seeded 2-D datasets
- :mod:`dlkit.worked_example` - the lecture's 2-2-1 backpropagation example, exactly
- :mod:`dlkit.plots`, :mod:`dlkit.widgets` - pictures and interactive explorers
- :mod:`dlkit.grading` - the checks nbgrader test cells run, with readable feedback

Graded exercises are compared against these references; plots, widgets and
grading are imported on demand so ``import dlkit`` stays fast.
"""

from dlkit import activations, gradcheck, losses, nn

__version__ = "0.1.0"
__all__ = ["activations", "gradcheck", "losses", "nn", "__version__"]
