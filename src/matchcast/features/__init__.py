"""Point-in-time match features: ratings, form and context (pure functions on DataFrames)."""
