"""A GitHub REST API double on loopback, checked against GitHub's OpenAPI description.

PyGithub (through ``leadforge.forge.github.GitHubForge``) or any HTTP client talks to it
like to GitHub Enterprise: ``double.url`` is ``http://127.0.0.1:PORT/api/v3`` (what
``GITHUB_API_URL`` holds), release uploads go to ``http://127.0.0.1:PORT/api/uploads``.
It keeps one repository's state in memory (issues, comments, labels, assignees, pull
requests with files/commits, reviews, review comments, statuses, check runs, releases,
assets, permissions, dispatches) and behaves like GitHub where it matters (drafts are not
found by tag, inline comments must be on a diff line, a tag has one release, assets are
unique per release, list endpoints paginate with ``Link`` headers, ``per_page`` <= 100).

Every request is checked: the path must be an operation of the OpenAPI subset
(``tests/fixtures/openapi/github-subset.json``), the method one it serves, query parameters
and the JSON body must match the operation's schemas, the token must be sent. Every
response the double sends is validated against the operation's response schema. A
violation answers 422 (bad request) or 500 (double bug) and is recorded in
``double.violations``; the ``github_double`` fixture fails the test at teardown if any.

Use in a test::

    def test_something(github_double):
        number = github_double.add_issue("Bug", "body", labels=["triage"])
        forge = github_double.forge()             # GitHubForge(repository, token, base_url=double.url)
        forge.create_issue_comment(number, "hi")
        assert github_double.issue_comments(number)[0]["body"] == "hi"
        assert github_double.count("issues/create-comment") == 1

    # a workflow / CLI run: point the process at the double
    env = {**os.environ, **github_double.env()}   # GITHUB_API_URL, GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_SERVER_URL

Seeding (other people's actions): ``add_issue(title, body, labels=, author=, state=, assignees=) -> number``,
``add_pull(title, head=, base=, body=, head_sha=, base_sha=, files=[ChangedFile|dict], commits=[sha], labels=,
draft=, head_repo=, author=) -> number``, ``merge_pull(number, sha)``, ``add_comment(number, body, author=) -> id``,
``add_release(tag, name=, body=, draft=, prerelease=) -> id``, ``set_permission(user, role)``
(admin|maintain|write|triage|read|none; others get ``default_permission``, "read").
``add_issue``/``add_pull`` take ``number=`` to match a payload; ``seed_event(payload, files=[...])`` seeds the
issue or pull request a webhook payload (``../shared/github/webhooks``) is about, with its number, refs and SHAs.
Payloads name their repository: use ``make_github_double("Codertocat/Hello-World")`` (fixture) for those.
Like GitHub, inline review comments must name a file of the pull request and a line of its patch: seed
``files=`` with patches when a test posts inline comments.

Inspection: ``issue(n)``, ``issue_comments(n)``, ``pull_reviews(n)``, ``pull_review_comments(n)``,
``release_by_tag(tag)``, ``statuses[sha]``, ``check_runs``, ``assets``, ``dispatches``, ``labels``,
``requests`` (every request: method, path, operation_id, status), ``count(operationId | template, method)``.

Faults: ``fail_next(method, template_or_operationId, status=502, headers=None, message=None, times=1,
after=False)`` answers the next ``times`` calls with ``status`` (``after=True``: perform the operation, then
fail, as when a gateway loses the response); ``rate_limit_next(method, template, reset_at=epoch, status=403)``
sends GitHub's primary rate-limit answer (``x-ratelimit-remaining: 0``). Examples::

    double.fail_next("GET", "/repos/{owner}/{repo}/issues/{issue_number}", status=429, headers={"Retry-After": "1"})
    double.fail_next("POST", "issues/create-comment", status=502, times=10)

The forge from ``double.forge(**options)`` never sleeps: it records its waits in ``forge.sleeps``.
Fixtures (``tests/apidouble/plugin.py``; registered by ``pytest_plugins = ["tests.apidouble.plugin"]`` in
tests/conftest.py): ``github_double`` (a started double for ``octo-org/octo-repo``) and ``make_github_double``
(a factory: ``make_github_double(repository)``); both fail the test at teardown on any OpenAPI violation.
"""

from tests.apidouble.server import ROLES, GitHubDouble, HttpError

__all__ = ["ROLES", "GitHubDouble", "HttpError"]
