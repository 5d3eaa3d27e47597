"""Environments: kustomize overlays, validation, promotion, apply."""
