"""AI task queue: issue form -> task file -> conflict-free dispatch -> verified completion (docs/tasks.md).

Pure: ``taskfile`` (the file format), ``scopes`` (glob overlap, index), ``dispatch`` (the plan),
``issueform`` (rendered issue forms), ``complete.verify``, ``sweep.decide_sweep``, ``options`` (the
``tasks:`` section without pydantic; ``settings`` is its pydantic twin for the config schema).
Effects: ``store`` (queue files), ``profiles`` (agent profiles), ``service`` (transact + hand-offs),
``intake``, ``complete``, ``sweep``, ``commands``; ``cli`` parses arguments; ``demo`` is the demo stage.
"""
