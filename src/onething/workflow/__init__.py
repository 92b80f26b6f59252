"""The workflow engine's Django side: fire a kernel machine on a model object, with its audit record.

See :mod:`onething.workflow.engine`.
"""
