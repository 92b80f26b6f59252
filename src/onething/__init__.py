"""OneThing 一件事 — integrated government-service platform."""

__version__ = "0.1.0"
