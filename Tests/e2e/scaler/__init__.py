"""The scaler end-to-end suites. A package, so pytest imports this directory's conftest.py
as `scaler.conftest` and never shadows the module `conftest` that suites beside it import."""
