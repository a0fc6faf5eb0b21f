"""Guided checklists: runbooks as YAML data (model.py), live predicates (predicates.py), the step engine
(engine.py), their journal store (store.py) and the incident report (report.py)."""
