"""What systemd sees (the Pi's `vappoint.service` is `Type=notify` with a watchdog): the
station says READY once it serves, keeps feeding the watchdog while it is healthy, and says
STOPPING on SIGTERM. A Unix datagram socket here plays systemd's notify socket."""

import socket
import time

from conftest import station_config


def messages(sock: socket.socket, want, timeout: float = 20.0) -> list[str]:
    """Datagrams received until `want(received)` holds (or the deadline passes)."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while not want(got):
        left = deadline - time.monotonic()
        assert left > 0, f"systemd was told only {got}"
        sock.settimeout(left)
        got.append(sock.recv(4096).decode().strip())
    return got


def test_the_station_tells_systemd_it_is_ready_and_alive(make_station, tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    try:
        st = make_station(station_config(None), start=False)
        st.add_officer(admin=True)
        # A watchdog of one second: the station must ping about every half second.
        st.env = {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"}
        st.start()

        first = messages(sock, lambda got: len(got) >= 1)
        assert "READY=1" in first[0].split("\n"), first
        assert f"STATUS=serving on 127.0.0.1:{st.https_port}" in first[0], first
        # By the time systemd hears READY, the station answers.
        assert st.get("/").status_code == 200

        pings = messages(sock, lambda got: got.count("WATCHDOG=1") >= 3, timeout=10)
        assert set(pings) == {"WATCHDOG=1"}, pings

        st.stop()
        rest = messages(sock, lambda got: "STOPPING=1" in got, timeout=20)
        assert rest[-1] == "STOPPING=1"
    finally:
        sock.close()
