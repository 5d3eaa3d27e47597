"""Agent metrics and the dashboard."""
