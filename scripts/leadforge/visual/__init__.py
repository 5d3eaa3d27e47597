"""Visual regression: capture, pixelmatch-exact diff, reports."""
