#!/usr/bin/env python3
"""Benchmark: `leadforge visual capture` vs Playwright Test's `toHaveScreenshot`, 10 pages x 2 viewports.

    .venv/bin/python benchmarks/bench_capture.py [--repeat N] [--flaky-runs N] [--keep DIR]

Both drive the same Chromium (/usr/bin/chromium, Playwright Test through launchOptions.executablePath)
against the same site served from a loopback port by this script: 10 pages (landing, pricing, docs...,
800 to ~4000 px tall, full-page shots) at 1280x800 and 390x844. One page ("launch") has CSS animations
(an infinite spinner, a banner sliding in, a transition started after load) and a web font that the
server sends 600 ms late, used by text a script inserts 150 ms after load (as a client-rendered app does).

Timed whole process, wall clock, median of --repeat runs:
  ours          `leadforge visual capture --out DIR` (one browser; per shot a fresh context, load, network
                idle, fonts, then shots until two in a row are identical; PNGs optimised)
  Playwright    `playwright test --update-snapshots=all` (writes every screenshot; toHaveScreenshot's own
                stabilisation: animations disabled, fonts awaited, shots until two in a row match), its
                default worker count; and, as information, a run that compares with existing baselines
Flakiness (--flaky-runs, default 6): the launch page at both viewports captured N times by each tool from
scratch; a run is flaky when a screenshot's pixels differ from the first run's. Playwright Test is also
run N times against its first run's baselines: its own verdict (failed tests) is printed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

JS = ROOT / "tests" / "js"
PLAYWRIGHT = JS / "node_modules" / ".bin" / "playwright"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Both tools launch Chromium with the same flags: `visual capture` adds its CHROMIUM_FLAGS itself, so it
# is given only the sandbox flag this machine needs, and Playwright Test is given both (playwright_flags).
SANDBOX_FLAGS = ["--no-sandbox"]


def playwright_flags() -> list[str]:
    from leadforge.visual.capture import CHROMIUM_FLAGS

    return [*CHROMIUM_FLAGS, *SANDBOX_FLAGS]


VIEWPORTS = ((1280, 800), (390, 844))
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
)
FONT_DELAY = 0.6

STYLE = """
body { font-family: sans-serif; margin: 0; color: #1d2330; background: #fff; }
header { background: #203870; color: #fff; padding: 18px 32px; font-size: 22px; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px; }
.card { border: 1px solid #c9cfe6; border-radius: 12px; padding: 16px 20px; margin: 16px 0; background: #fafbff; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 16px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 8px; background: #e6f4ea; color: #146c2e; }
footer { border-top: 1px solid #ddd; padding: 24px 32px; color: #666; }
"""

LAUNCH = """<!doctype html><html><head><meta charset="utf-8"><title>Launch</title><link rel="stylesheet" href="/style.css">
<style>
@font-face { font-family: Brand; src: url(/fonts/brand.ttf) format("truetype"); font-display: swap; }
.brand { font-family: Brand, sans-serif; font-size: 40px; }
@keyframes spin { to { transform: rotate(360deg); } }
@keyframes slide { from { transform: translateX(-60px); opacity: 0; } to { transform: none; opacity: 1; } }
.spinner { width: 28px; height: 28px; border: 4px solid #36c; border-top-color: transparent; border-radius: 50%;
           animation: spin 0.8s linear infinite; display: inline-block; }
.banner { animation: slide 1.2s ease-out; background: #fff4c8; padding: 12px 20px; border-radius: 8px; }
.grow { width: 40px; height: 16px; background: #36c; transition: width 1.5s linear; }
.grow.on { width: 400px; }
</style></head><body>
<header>LeadForge launch <span class="spinner"></span></header>
<main><div class="banner">New: visual checks on every pull request</div><div id="app"></div><div class="grow" id="bar"></div>
{paragraphs}</main>
<script>
setTimeout(() => {
  document.getElementById("app").innerHTML = '<h1 class="brand">Ship with confidence</h1>';
  document.getElementById("bar").classList.add("on");
}, 150);
</script></body></html>
"""


def _paragraphs(n: int, seed: int) -> str:
    words = ["pipeline", "review", "deploy", "agent", "queue", "release", "metrics", "baseline", "diff", "approve"]
    out = []
    for i in range(n):
        text = " ".join(words[(seed * 7 + i * 3 + k) % len(words)] for k in range(28))
        out.append(f"<p>{text.capitalize()}.</p>")
        if i % 4 == 3:
            out.append(
                f'<div class="card"><b>Build #{seed * 100 + i}</b> <span class="badge">passed</span><p>{text[:120]}</p></div>'
            )
    return "\n".join(out)


def make_site(folder: Path) -> list[tuple[str, str]]:
    """Write the 10 pages; returns (name, path) per page."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "style.css").write_text(STYLE)
    (folder / "fonts").mkdir(exist_ok=True)
    font = next((Path(p) for p in FONT_CANDIDATES if Path(p).is_file()), None)
    if font is None:
        raise SystemExit(f"no font file to serve as the web font (looked for {', '.join(FONT_CANDIDATES)})")
    shutil.copyfile(font, folder / "fonts" / "brand.ttf")
    names = ["home", "pricing", "docs", "blog", "about", "careers", "contact", "changelog", "dashboard"]
    pages = []
    for n, name in enumerate(names):
        body = f'<div class="grid">{"".join(f"<div class=card>{name} item {k}</div>" for k in range(3 + n))}</div>'
        html = (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{name}</title>'
            f'<link rel="stylesheet" href="/style.css"></head><body><header>LeadForge {name}</header>'
            f"<main><h1>{name.capitalize()}</h1>{body}{_paragraphs(6 + 9 * n, n)}</main>"
            f"<footer>LeadForge, built in the open</footer></body></html>"
        )
        (folder / f"{name}.html").write_text(html)
        pages.append((name, f"/{name}.html"))
    (folder / "launch.html").write_text(LAUNCH.replace("{paragraphs}", _paragraphs(10, 42)))
    pages.append(("launch", "/launch.html"))
    return pages


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.startswith("/fonts/"):
            time.sleep(FONT_DELAY)  # a slow web font
        super().do_GET()


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_leadforge_repo(repo: Path, url: str, pages: list[tuple[str, str]]) -> None:
    (repo / ".github").mkdir(parents=True, exist_ok=True)
    lines = [
        "visual:",
        f"  app: {{url: {json.dumps(url)}}}",
        f"  viewports: [{', '.join(f'{w}x{h}' for w, h in VIEWPORTS)}]",
        f"  browser: {{executable: {json.dumps(CHROMIUM)}, args: {json.dumps(SANDBOX_FLAGS)}}}",
        "  pages:",
    ]
    lines += [f"    - {{name: {name}, path: {path}}}" for name, path in pages]
    (repo / ".github" / "leadforge.yml").write_text("\n".join(lines) + "\n")


def write_playwright_project(folder: Path, url: str, pages: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "node_modules"
    if not link.exists():
        link.symlink_to(JS / "node_modules")  # @playwright/test resolves from the project folder
    (folder / "playwright.config.mjs").write_text(f"""
import {{ defineConfig }} from '@playwright/test';
export default defineConfig({{
  testDir: '.',
  testMatch: 'capture.spec.mjs',
  reporter: 'line',
  retries: 0,
  snapshotPathTemplate: process.env.SNAP_DIR + '/{{arg}}{{ext}}',
  outputDir: process.env.SNAP_DIR + '-results',
  use: {{
    baseURL: {json.dumps(url)},
    browserName: 'chromium',
    headless: true,
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    launchOptions: {{ executablePath: {json.dumps(CHROMIUM)}, args: {json.dumps(playwright_flags())} }},
  }},
}});
""")
    (folder / "capture.spec.mjs").write_text(f"""
import {{ test, expect }} from '@playwright/test';
const pages = {json.dumps(pages)};
const viewports = {json.dumps(VIEWPORTS)};
for (const [name, path] of pages) {{
  for (const [width, height] of viewports) {{
    test(`${{name}}-${{width}}x${{height}}`, async ({{ page }}) => {{
      await page.setViewportSize({{ width, height }});
      await page.goto(path);
      await expect(page).toHaveScreenshot(`${{name}}-${{width}}x${{height}}.png`, {{ fullPage: true }});
    }});
  }}
}}
""")


def timed(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=900)
    return time.perf_counter() - start, done


def pixels(path: Path) -> bytes:
    from leadforge.visual.images import load_rgba

    return load_rgba(path).tobytes()


def differing(first: Path, other: Path, names: list[str]) -> list[str]:
    return [n for n in names if not (other / n).is_file() or pixels(first / n) != pixels(other / n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (median; default 3)")
    parser.add_argument("--flaky-runs", type=int, default=6, help="captures of the animated page per tool (default 6)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = parser.parse_args()
    if not PLAYWRIGHT.is_file():
        print("@playwright/test is missing: npm ci --prefix tests/js", file=sys.stderr)
        return 1
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-capture-"))
    work.mkdir(parents=True, exist_ok=True)
    pages = make_site(work / "site")
    server, url = serve(work / "site")
    try:
        repo, project = work / "repo", work / "pw"
        write_leadforge_repo(repo, url, pages)
        write_playwright_project(project, url, pages)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "scripts" / "leadforge")], check=True)
        leadforge = str(Path(sys.executable).parent / "leadforge")
        names = [f"{name}-{w}x{h}.png" for name, _ in pages for w, h in VIEWPORTS]
        env = dict(os.environ, CI="1")

        def ours(out: Path, *extra: str) -> float:
            shutil.rmtree(out, ignore_errors=True)
            seconds, done = timed([leadforge, "--repo", str(repo), "visual", "capture", "--out", str(out), *extra], env)
            if done.returncode != 0:
                raise SystemExit(f"leadforge visual capture failed: {done.stderr.strip()[-800:]}")
            return seconds

        def playwright(snaps: Path, *extra: str, update: bool = True) -> tuple[float, int]:
            if update:
                shutil.rmtree(snaps, ignore_errors=True)
            argv = [str(PLAYWRIGHT), "test", "-c", str(project / "playwright.config.mjs"), *extra]
            if update:
                argv.append("--update-snapshots=all")
            seconds, done = timed(argv, dict(env, SNAP_DIR=str(snaps)), cwd=project)
            failed = 0
            for line in done.stdout.splitlines():
                if line.strip().endswith("failed") and line.strip().split()[0].isdigit():
                    failed = int(line.strip().split()[0])
            if update and done.returncode != 0:
                raise SystemExit(f"playwright test failed: {(done.stdout + done.stderr).strip()[-1500:]}")
            return seconds, failed

        print("warming up (one run each) ...", file=sys.stderr)
        ours(work / "ours-warm")
        playwright(work / "pw-warm")
        print("timing ...", file=sys.stderr)
        ours_times, pw_times, pw_check_times = [], [], []
        for k in range(args.repeat):
            ours_times.append(ours(work / f"ours-{k}"))
            pw_times.append(playwright(work / f"pw-{k}")[0])
            pw_check_times.append(playwright(work / "pw-0", update=False)[0])
        shots = len(names)
        same_files = sum(1 for n in names if (work / "ours-0" / n).is_file() and (work / "pw-0" / n).is_file())

        print("flakiness runs ...", file=sys.stderr)
        launch = [n for n in names if n.startswith("launch-")]
        flaky_ours, flaky_pw, pw_failed = 0, 0, 0
        for k in range(args.flaky_runs):
            ours(work / f"flaky-ours-{k}", "--page", "launch")
            playwright(work / f"flaky-pw-{k}", "--grep", "launch")
            if k:
                flaky_ours += bool(differing(work / "flaky-ours-0", work / f"flaky-ours-{k}", launch))
                flaky_pw += bool(differing(work / "flaky-pw-0", work / f"flaky-pw-{k}", launch))
                pw_failed += playwright(work / "flaky-pw-0", "--grep", "launch", update=False)[1]
        # pixels each tool shows for the launch page (web font or fallback, animation state)
        cross = differing(work / "flaky-ours-0", work / "flaky-pw-0", launch)
    finally:
        server.shutdown()
        server.server_close()

    ours_s, pw_s, check_s = statistics.median(ours_times), statistics.median(pw_times), statistics.median(pw_check_times)
    version = subprocess.run([str(PLAYWRIGHT), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(
        f"\n{len(pages)} pages x {len(VIEWPORTS)} viewports = {shots} full-page screenshots; {chromium}; {version}; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; median of {args.repeat}\n"
    )
    print(f"{'capture, whole process':<52} {'wall s':>8}")
    print(f"{'leadforge visual capture --out DIR':<52} {ours_s:>8.2f}")
    print(f"{'playwright test --update-snapshots=all':<52} {pw_s:>8.2f}")
    print(f"{'playwright test (compare with its baselines)':<52} {check_s:>8.2f}")
    ratio = ours_s / pw_s
    verdict = "met" if ratio <= 1.0 else "MISSED"
    print(f"\nratio ours / Playwright Test writing screenshots: {ratio:.2f}x  (target <= 1.0: {verdict})")
    print(f"both wrote all {shots} screenshots: {same_files == shots}")
    runs = args.flaky_runs - 1
    print(
        f"\nflakiness, the launch page (CSS animations, a web font sent {FONT_DELAY * 1000:.0f} ms late, text inserted "
        f"after load) at {len(VIEWPORTS)} viewports, {args.flaky_runs} captures from scratch each:"
    )
    print(f"  runs whose pixels differ from the first run: leadforge {flaky_ours}/{runs}, Playwright Test {flaky_pw}/{runs}")
    print(f"  Playwright Test against its first run's baselines: {pw_failed} failed test(s) in {runs * len(launch)}")
    fewer = "yes" if flaky_ours < flaky_pw else "no (equal)" if flaky_ours == flaky_pw else "NO"
    print(f"  fewer flaky differences with leadforge: {fewer}")
    print(f"  first runs of the two tools differ on: {', '.join(cross) or 'nothing'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
