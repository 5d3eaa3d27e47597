"""A small static site for the capture tests: styled text, an animation, a caret, a clock to
mask, requests to other origins that must be blocked, and a page whose selector never appears."""

from __future__ import annotations

from pathlib import Path

INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<link rel="stylesheet" href="/style.css">
<style>
  @keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }
  .spinner { width: 30px; height: 30px; border: 4px solid #36c; border-top-color: transparent;
             border-radius: 50%; animation: spin 0.6s linear infinite; }
  #clock { position: absolute; top: 10px; right: 10px; width: 80px; height: 24px; background: #eee; overflow: hidden; }
  .tall { height: 900px; background: linear-gradient(#fff, #cde); }
</style></head>
<body>
  <h1 id="title">Welcome to the shop</h1>
  <div class="spinner"></div>
  <input id="search" autofocus value="shoes">
  <div id="clock"></div>
  <img src="http://example.invalid/tracker.png" width="1" height="1" alt="">
  <script>
    fetch("https://example.invalid/api").catch(() => {});
    const clock = document.getElementById("clock");
    setInterval(() => { clock.textContent = String(Date.now()); }, 50);
    document.getElementById("search").focus();
  </script>
  <button id="open" onclick="document.getElementById('menu').style.display='block'">Menu</button>
  <ul id="menu" style="display:none"><li>Account</li><li>Orders</li></ul>
  <div class="tall"></div>
</body></html>
"""

STYLE = "body { font-family: sans-serif; margin: 16px; color: #222; } h1 { color: #b22; font-size: 28px; }"

NEVER = """<!doctype html><html><body><p>This page never shows #ready.</p></body></html>"""

BLUE = """<!doctype html><html><body style="margin:0;background:#fff">
<div style="width:120px;height:60px;background:#2050c0"></div></body></html>"""


def write_site(folder: Path, *, button_colour: str = "#2050c0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(INDEX, encoding="utf-8")
    (folder / "style.css").write_text(STYLE, encoding="utf-8")
    (folder / "never.html").write_text(NEVER, encoding="utf-8")
    (folder / "blue.html").write_text(BLUE.replace("#2050c0", button_colour), encoding="utf-8")
    return folder
