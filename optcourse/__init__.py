"""optcourse: the helper library of the course *Optimization and Gradient Descent for Machine Learning*."""

__version__ = "0.1.0"
