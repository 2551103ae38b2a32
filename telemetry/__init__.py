"""What the processes tell operators: logs (`logs.py`), traces (`tracing.py`), the worker's metrics (`runtime.py`)."""
