"""Annotation: label sets, the SQLite store, the labelling queue, agreement, export and import."""
