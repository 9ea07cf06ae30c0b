"""Debian's Janus as an anchor, for bench/compare (the bridge bench's calls) and
bench/call-quality (browsers' calls on impaired links): only the VideoCall plugin and the
HTTP transport, ICE on one interface only."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def janus_running(tmp: Path, prefix: list[str], iface: str, api_ip: str, api_port: int) -> subprocess.Popen:
    """Janus started with `prefix` (`ip netns exec NS`, or nothing), its HTTP API on
    `http://api_ip:api_port/janus`, gathering candidates on `iface` alone. Returns once the
    API answers; exits the bench with Janus's log when it does not."""
    lib = next(Path("/usr/lib").glob("*/janus/plugins"), None)
    if lib is None:
        sys.exit("no Janus plugins under /usr/lib/*/janus (Debian's janus package)")
    lib = lib.parent
    conf = tmp / "janus"
    (conf / "none").mkdir(parents=True, exist_ok=True)
    others = lambda kind, keep: ",".join(p.name for p in (lib / kind).glob("*.so") if p.name != keep)
    (conf / "janus.jcfg").write_text(f"""
general: {{
    configs_folder = "{conf}"
    plugins_folder = "{lib / 'plugins'}"
    transports_folder = "{lib / 'transports'}"
    events_folder = "{conf / 'none'}"
    loggers_folder = "{conf / 'none'}"
    debug_level = 3
}}
media: {{ rtp_port_range = "43000-43999" }}
nat: {{ ice_enforce_list = "{iface}" }}
plugins: {{ disable = "{others('plugins', 'libjanus_videocall.so')}" }}
transports: {{ disable = "{others('transports', 'libjanus_http.so')}" }}
""")
    (conf / "janus.plugin.videocall.jcfg").write_text("general: { }\n")
    (conf / "janus.transport.http.jcfg").write_text(f"""
general: {{ json = "plain" base_path = "/janus" http = true port = {api_port} https = false ip = "{api_ip}" }}
admin: {{ admin_http = false }}
""")
    log_path = tmp / "janus.log"
    proc = subprocess.Popen([*prefix, "janus", "-F", conf, "-C", conf / "janus.jcfg"],
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    url = f"http://{api_ip}:{api_port}/janus/info"
    ask = f"import urllib.request; urllib.request.urlopen('{url}', timeout=1)"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if subprocess.run([*prefix, sys.executable, "-c", ask], capture_output=True).returncode == 0:
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"Janus did not start its HTTP API: {log_path.read_text()[-2000:]}")
