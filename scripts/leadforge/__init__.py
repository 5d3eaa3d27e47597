"""LeadForge: a GitOps pipeline for AI coding agents, driven by GitHub Actions."""

__version__ = "0.1.0"
