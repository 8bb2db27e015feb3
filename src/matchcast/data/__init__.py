"""matchcast package."""
