"""A static replica for the throughput benches: generated releases in state.gov markup with full
site chrome (a mega menu, search, footer and tag-manager scripts, about 16 KB a page), written
to a directory and served by Debian's nginx on loopback, so the server is not the Python process
under test. Where nginx is missing and cannot be installed (not root, no apt-get), a Python
static server in its own process stands in, and the bench says so.

Imported by the bench scripts (run as `python bench/X.py`).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remarkwatch.demo.replica.content import generated_releases  # noqa: E402
from remarkwatch.demo.replica.site import BANNER, FOOTER, Site  # noqa: E402

TOPICS = (
    "Arms Control and International Security", "Civilian Security, Democracy, and Human Rights",
    "Economic Growth, Energy, and the Environment", "Management", "Political Affairs", "Public Diplomacy and Public Affairs",
    "Foreign Assistance", "Global Health Security and Diplomacy", "Counterterrorism", "Consular Affairs",
    "African Affairs", "East Asian and Pacific Affairs", "European and Eurasian Affairs", "Near Eastern Affairs",
    "South and Central Asian Affairs", "Western Hemisphere Affairs", "International Organization Affairs",
    "Intelligence and Research", "Legislative Affairs", "Legal Adviser", "Population, Refugees, and Migration",
    "Oceans and International Environmental and Scientific Affairs", "Cyberspace and Digital Policy",
    "Diplomatic Security", "Overseas Buildings Operations", "Global Talent Management", "Educational and Cultural Affairs",
)
OFFICES = ("Overview", "Leadership", "Press Releases", "Remarks", "Fact Sheets", "Travel", "Programs", "Reports")


def _mega_menu() -> str:
    sections = []
    for i, topic in enumerate(TOPICS[:12]):
        slug = topic.lower().replace(",", "").replace(" ", "-")
        links = "".join(f'<li class="menu-item menu-item-{i}-{j}"><a href="/bureaus/{slug}/{o.lower().replace(" ", "-")}/">'
                        f"{o}</a></li>" for j, o in enumerate(OFFICES[:5]))
        sections.append(f'<li class="menu-item menu-item-has-children"><a href="/bureaus/{slug}/">{topic}</a>'
                        f'<ul class="sub-menu">{links}</ul></li>')
    return (f'<header class="site-header" role="banner"><div class="site-header__logo"><a href="/">U.S. Department of State'
            f'</a></div><form class="search-form" role="search" action="/"><label>Search<input type="search" name="s">'
            f'</label><button type="submit">Search</button></form><nav class="primary-menu" aria-label="Main">'
            f'<ul class="menu">{"".join(sections)}</ul></nav></header>')


def _footer() -> str:
    columns = "".join(f'<div class="footer-col"><h4>{t}</h4><ul>' + "".join(
        f'<li><a href="/footer/{i}/{j}/">{o}</a></li>' for j, o in enumerate(OFFICES[:4])) + "</ul></div>"
        for i, t in enumerate(TOPICS[:8]))
    tags = "".join(f"<script>window.rwTag{i} = {{'id': 'GTM-{1000 + i}', 'consent': 'default', 'region': "
                   f"['US', 'EU'], 'wait_for_update': 500}};</script>" for i in range(6))
    return f'<div class="site-footer__columns">{columns}</div>{FOOTER}{tags}'


MENU, BIG_FOOTER = _mega_menu(), _footer()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_site(root: Path, releases: int, per_page: int = 10) -> list[str]:
    """Write RELEASES generated releases and their listing (PER_PAGE a page) under ROOT, with
    root-relative links (the same files serve any port); return the article paths."""
    if root.exists():
        shutil.rmtree(root)
    made = generated_releases(releases)
    site = Site(made, per_page=per_page)

    def put(path: str) -> None:
        response = site.handle(path, "")
        text = response.body.decode("utf-8").replace(BANNER, BANNER + MENU, 1).replace(FOOTER, BIG_FOOTER, 1)
        target = root / path.strip("/") / "index.html" if path.endswith("/") else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    put("/press-releases/")
    for page in range(2, -(-releases // per_page) + 1):
        put(f"/press-releases/page/{page}/")
    for release in made:
        put(release.path)
    (root / "robots.txt").write_text(site.robots)
    return [r.path for r in made]


NGINX_CONF = """worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log error;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ text/html html; text/plain txt; }}
    default_type text/html;
    client_body_temp_path {run}/body; proxy_temp_path {run}/proxy; fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi; scgi_temp_path {run}/scgi;
    # with validators: ETag and Last-Modified, 304 to conditional requests (nginx's default)
    server {{ listen 127.0.0.1:{port}; root {root}; index index.html; charset utf-8; }}
    # without: every request answered 200 with the whole page (an unconditional sweep)
    server {{ listen 127.0.0.1:{bare_port}; root {root}; index index.html; charset utf-8;
             etag off; if_modified_since off; }}
}}
"""


def ensure_nginx() -> str | None:
    """Debian's nginx: found, or installed where this machine can (root with apt-get)."""
    for name in ("nginx", "/usr/sbin/nginx"):
        if shutil.which(name):
            return shutil.which(name)
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("bench: installing Debian's nginx-light (apt-get)", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx-light"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        if subprocess.call(command, **quiet) != 0:
            subprocess.call(["apt-get", "update", "-q"], **quiet)
            subprocess.call(command, **quiet)
    return shutil.which("nginx") or shutil.which("/usr/sbin/nginx")


PY_SERVER = """
import functools, http.server, sys
root, port, validators = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def send_header(self, name, value):
        if validators or name.lower() != "last-modified":
            super().send_header(name, value)
    def send_head(self):
        if not validators:
            self.headers.replace_header("If-Modified-Since", "") if "If-Modified-Since" in self.headers else None
        return super().send_head()
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=root))
server.serve_forever()
"""


class Server:
    """The static site on two loopback ports: `base` answers conditional requests with 304,
    `bare_base` answers every request with the whole page."""

    def __init__(self, root: Path, run: Path):
        self.root, self.run = root, run
        self.port, self.bare_port = free_port(), free_port()
        self.base, self.bare_base = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.bare_port}"
        self.processes: list[subprocess.Popen] = []
        nginx = ensure_nginx()
        if nginx:
            self.kind = "nginx " + subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
            run.mkdir(parents=True, exist_ok=True)
            conf = run / "nginx.conf"
            user = "user root root;" if os.geteuid() == 0 else ""
            conf.write_text(NGINX_CONF.format(run=run, user=user, port=self.port, bare_port=self.bare_port, root=root))
            self.processes.append(subprocess.Popen([nginx, "-c", str(conf), "-p", str(run)], stderr=subprocess.DEVNULL))
        else:
            self.kind = "Python http.server (nginx not available)"
            for port, validators in ((self.port, "1"), (self.bare_port, "0")):
                self.processes.append(subprocess.Popen([sys.executable, "-c", PY_SERVER, str(root), str(port), validators]))
        for base in (self.base, self.bare_base):
            self._wait(base)

    def _wait(self, base: str) -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(base + "/robots.txt", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"bench: the static server at {base} did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=10)
