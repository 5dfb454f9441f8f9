"""Helpers of the real-browser test: a local server for the built book and offline npm assets."""
