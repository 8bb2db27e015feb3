"""matchcast: calibrated football 1X2 forecasts, from real data to a fast HTTP API."""

__version__ = "0.1.0"
