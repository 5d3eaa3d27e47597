"""AI task queue: issue form -> task file -> conflict-free dispatch -> verified completion (docs/tasks.md).

Pure: ``taskfile`` (the file format), ``scopes`` (glob overlap, index), ``dispatch`` (the plan),
``issueform`` (rendered issue forms), ``complete.verify``, ``sweep.decide_sweep``, ``options`` (the
``tasks:`` section without pydantic; ``settings`` is its pydantic twin for the config schema), ``costs``
(the cost ledger and the agents' usage files), ``budget`` (spend, expected cost, refusals, 80/95% alerts),
``forecast`` (the dispatch simulation and its Gantt SVG), ``recurring`` (cron templates), ``findings.plan_findings``.
Effects: ``store`` (queue files), ``profiles`` (agent profiles), ``service`` (transact + hand-offs + tracking
issues + budget comments), ``intake``, ``complete``, ``sweep``, ``ledger`` (cost reports), ``findings``,
``commands``; ``cli`` parses arguments; ``demo`` is the demo stage.
"""
