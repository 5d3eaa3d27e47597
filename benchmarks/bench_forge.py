"""GitHubForge overhead: a review-sized read/write workload through the forge vs PyGithub used directly.

Both run against the GitHub API double on loopback (so the network is the same and every request is
validated), with the same PyGithub settings (lazy, no throttling). The workload: read a pull request,
its files (250, three pages) and comments (120), post a comment, edit it, set a status. Figures: median
wall time per workload and requests made; the ratio shows what the forge's conversion and retry layer
adds on top of PyGithub.

    .venv/bin/python benchmarks/bench_forge.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# benchmarks run as scripts: the checkout's own packages come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadforge.forge.models import ChangedFile, CommitStatus
from tests.apidouble import GitHubDouble

ROOT = Path(__file__).resolve().parents[1]

HEAD = "1" * 40


def seed(double: GitHubDouble) -> int:
    files = [ChangedFile(f"src/m{i}.py", "modified", 1, 1, "@@ -1 +1 @@\n-a\n+b") for i in range(250)]
    number = double.add_pull("Big change", head_sha=HEAD, files=files)
    for i in range(120):
        double.add_comment(number, f"comment {i}")
    return number


def with_forge(double: GitHubDouble, number: int) -> None:
    forge = double.forge()
    pull = forge.get_pull(number)
    files = forge.list_pull_files(number)
    comments = forge.list_issue_comments(number)
    comment = forge.create_issue_comment(number, f"{len(files)} files, {len(comments)} comments on {pull.title}")
    forge.update_issue_comment(comment.id, "edited")
    forge.create_status(pull.head_sha, CommitStatus("bench", "success"))


def with_pygithub(double: GitHubDouble, number: int) -> None:
    import github

    gh = github.Github(
        auth=github.Auth.Token(double.token),
        base_url=double.url,
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    repo = gh.get_repo(double.repository)
    pull = repo.get_pull(number)
    title, head_sha = pull.title, pull.head.sha
    files = [(f.filename, f.status, f.patch) for f in pull.get_files()]
    issue = repo.get_issue(number)
    comments = [(c.id, c.body, c.user.login) for c in issue.get_comments()]
    comment = issue.create_comment(f"{len(files)} files, {len(comments)} comments on {title}")
    comment.edit("edited")
    repo.get_commit(head_sha).create_status("success", context="bench")


def measure(double: GitHubDouble, number: int, runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and requests per workload; the two sides alternate so machine load hits both alike."""
    workloads = {"forge": with_forge, "pygithub": with_pygithub}
    times: dict[str, list[float]] = {name: [] for name in workloads}
    requests: dict[str, int] = dict.fromkeys(workloads, 0)
    for fn in workloads.values():
        fn(double, number)  # warm-up
    for _ in range(runs):
        for name, fn in workloads.items():
            before = len(double.requests)
            start = time.perf_counter()
            fn(double, number)
            times[name].append(time.perf_counter() - start)
            requests[name] = len(double.requests) - before
    return {name: (statistics.median(times[name]), requests[name]) for name in workloads}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with GitHubDouble() as double:
        number = seed(double)
        figures = measure(double, number, args.runs)
        (forge_time, forge_requests), (peer_time, peer_requests) = figures["forge"], figures["pygithub"]
        double.assert_clean()
    print(f"GitHubForge:       median {forge_time * 1000:.1f} ms per workload, {forge_requests} requests")
    print(f"PyGithub directly: median {peer_time * 1000:.1f} ms per workload, {peer_requests} requests")
    print(f"ratio GitHubForge / PyGithub: {forge_time / peer_time:.2f}x time, {forge_requests / peer_requests:.2f}x requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
