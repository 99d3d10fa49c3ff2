"""The application: change detection, the CLI, the demo."""
__version__ = "0.1.0"
