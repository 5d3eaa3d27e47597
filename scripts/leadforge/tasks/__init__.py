"""AI task queue: issue form -> task file -> dispatch -> verified completion."""
