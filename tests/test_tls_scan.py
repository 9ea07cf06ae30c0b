"""The station's and the hub's TLS as an outside scanner sees it: testssl.sh (the Debian
package) checks protocols, cipher suites and their order, forward secrecy, the certificate,
security headers and the known vulnerabilities, and no finding may be MEDIUM or worse.

The one exception is the self-signed certificate a box serves until it has a trusted one
(LAN mode, and a hub without ACME): browsers do not trust it (`cert_chain_of_trust`), it is
valid for ever so that a laptop that trusted it once keeps trusting it and stations keep their
pin of the hub (`cert_validityPeriod`), and nothing can revoke it (`cert_revocation`)."""

import json
import shutil
import subprocess

import pytest
from hubkit import make_hub  # noqa: F401 (a fixture)

SELF_SIGNED = {"cert_chain_of_trust", "cert_validityPeriod", "cert_revocation"}
BAD = {"MEDIUM", "HIGH", "CRITICAL"}
CHECKS = ["--protocols", "--server-defaults", "--server-preference", "--fs", "--headers", "--vulnerable"]


def start_scan(port: int, out):
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl is None:
        pytest.fail("testssl.sh is missing (apt-get install testssl.sh; see tests/packages.sh)")
    return subprocess.Popen(
        [testssl, "--quiet", "--color", "0", "--warnings", "batch", "--nodns", "min",
         "--connect-timeout", "5", "--openssl-timeout", "5", "--jsonfile", str(out), *CHECKS,
         f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_testssl_finds_nothing_medium_or_worse(station, make_hub, tmp_path):
    hub = make_hub()
    # Both scans at once: each spends most of its time waiting on its own handshakes.
    scans = {}
    for name, port in (("station", station.https_port), ("hub", hub.https_port)):
        out = tmp_path / f"{name}.json"
        scans[name] = (start_scan(port, out), out)
    for name, (proc, out) in scans.items():
        log, _ = proc.communicate(timeout=400)
        assert out.exists(), f"testssl wrote no findings for the {name}:\n{log[-3000:]}"
        findings = {f["id"]: f for f in json.loads(out.read_text())}
        # The scan really ran: it saw TLS 1.3 offered and no SSL or TLS 1.0/1.1.
        assert findings["TLS1_3"]["finding"].startswith("offered"), (name, findings.get("TLS1_3"))
        for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            assert findings[old]["finding"].startswith("not offered"), (name, findings[old])
        assert "cipher_order" in findings and "HSTS" in findings, f"the {name} scan is incomplete"
        bad = [f"{f['severity']} {f['id']}: {f['finding']}" for f in findings.values()
               if f["severity"] in BAD and f["id"] not in SELF_SIGNED]
        assert not bad, f"testssl on the {name}:\n" + "\n".join(bad)
        # The exceptions are there because the certificate is self-signed, and for nothing else.
        assert findings["cert_chain_of_trust"]["finding"].startswith("failed (self signed)"), findings["cert_chain_of_trust"]
