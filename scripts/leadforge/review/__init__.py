"""Pull request review: criteria, architecture rules, changed-lines coverage, one review."""
