"""Monitoring: feature and prediction drift, and live quality of the logged forecasts."""
