"""``leadforge serve``: the web service the environments deploy (dashboard, Prometheus metrics, queue API, webhooks).

``snapshot`` (pure) turns what one build read from the repository into a frozen ``Snapshot``;
``exposition`` (pure) turns a snapshot into Prometheus metric families; ``webhook`` (pure) checks a
delivery's signature and decides whether it calls for a refresh. ``build`` and ``checkout`` are the
effects (read the repository, clone/fetch/fast-forward through ``leadforge.gitrepo``); ``web`` is the
Starlette application and ``command`` runs it under uvicorn. Needs the ``serve`` extra.
"""
