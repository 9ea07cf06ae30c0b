"""A link's impairments in user space, for bench/call-quality (the kernels we run on have no
netem): reads IP packets from a TUN device, drops, paces and delays them, and writes them
back to the device, whence the kernel forwards them on their way.

    python3 bench/impair.py TUN-NAME      (inside the namespace that holds the device)

Prints "ready" once the device is open. Settings arrive as JSON lines on standard input and
replace the previous ones whole; `{}` is a clean link:

    loss       fraction of packets dropped at random (0.02 = 2 %)
    rate_kbit  the link's rate: packets queue behind each other for their size's time
    queue_ms   the longest a packet may wait in that queue; later ones are dropped (tail drop)
    delay_ms   a fixed delay added to every packet
    jitter_ms  a uniform random part of the delay, +- this much; packets stay in order (a
               packet never leaves before the one ahead of it), as on a radio link's queue

On end of input it prints what it forwarded and dropped, and exits.
"""

from __future__ import annotations

import collections
import fcntl
import json
import os
import random
import struct
import sys
import threading
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Link:
    def __init__(self, fd: int):
        self.fd = fd
        self.settings: dict = {}
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.ready = threading.Condition()
        self.busy_until = 0.0  # when the rate-limited link has sent what it has accepted
        self.last_departure = 0.0
        self.forwarded = self.dropped = 0

    def arrive(self, packet: bytes):
        now = time.monotonic()
        with self.ready:
            s = self.settings
            if random.random() < s.get("loss", 0.0):
                self.dropped += 1
                return
            departure = now
            if s.get("rate_kbit"):
                start = max(now, self.busy_until)
                if (start - now) * 1000 > s.get("queue_ms", 500):
                    self.dropped += 1
                    return
                self.busy_until = start + len(packet) * 8 / (s["rate_kbit"] * 1000)
                departure = self.busy_until
            jitter = s.get("jitter_ms", 0)
            departure += max(0.0, s.get("delay_ms", 0) + random.uniform(-jitter, jitter)) / 1000
            departure = max(departure, self.last_departure)
            self.last_departure = departure
            self.queue.append((departure, packet))
            self.ready.notify()

    def send_forever(self):
        while True:
            with self.ready:
                while not self.queue:
                    self.ready.wait()
                departure, packet = self.queue[0]
                wait = departure - time.monotonic()
                if wait > 0:
                    # A packet that arrives meanwhile queues behind this one: waking early
                    # only re-reads the same head.
                    self.ready.wait(wait)
                    continue
                self.queue.popleft()
            os.write(self.fd, packet)
            self.forwarded += 1

    def read_forever(self):
        while True:
            self.arrive(os.read(self.fd, 65535))


def main():
    link = Link(open_tun(sys.argv[1]))
    threading.Thread(target=link.read_forever, daemon=True).start()
    threading.Thread(target=link.send_forever, daemon=True).start()
    print("ready", flush=True)
    for line in sys.stdin:
        settings = json.loads(line)
        with link.ready:
            link.settings = settings
            if not settings.get("rate_kbit"):
                link.busy_until = 0.0
    print(f"forwarded {link.forwarded} dropped {link.dropped}", flush=True)


if __name__ == "__main__":
    main()
