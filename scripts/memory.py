#!/usr/bin/env python3
"""Memory of a gateway holding many releases and one large pilot group (issue 10).

Starts BINARY (default target/release/graygate) on an embedded store in a temporary
directory, creates MINI_PROGRAMS (default 10,000) mini programs in full release through the
admin API (development target: create + apply), then one production release whose pilot
test group holds GROUP ids (`user-0000000`, ...), moved to `pilot_testing` so the snapshot
serves it, and finally scrapes /metrics three times. It samples VmRSS and VmHWM from
/proc/PID/status after each phase; VmHWM is the peak resident size since start, so it covers
the upload.

The group goes in the create body (`--via create`, the default) or in a separate
`PUT /v1/admin/releases/{id}/test-group` after creating the release (`--via put`, the only
way on builds whose create body was held to `max_body_bytes`).

Usage: scripts/memory.py [--binary PATH] [--mini-programs N] [--group N] [--via create|put]
       [--env KEY=VALUE ...]   (extra environment for the gateway, e.g. GRAYGATE_STORE_CACHE_MIB=32)
Prints one line per phase: PHASE name rss_mib=... hwm_mib=... seconds=...
"""

import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

TOKENS = {"admin": "memory-admin-token", "reviewer": "memory-reviewer-token"}


def config_text(store: str) -> str:
    tokens = "".join(
        f'[[auth.tokens]]\nname = "mem-{role}"\nrole = "{role}"\n'
        f'token_sha256 = "{hashlib.sha256(tok.encode()).hexdigest()}"\n'
        for role, tok in TOKENS.items()
    )
    return (
        '[server]\nclient_listen = "127.0.0.1:0"\nadmin_listen = "127.0.0.1:0"\n'
        f'[store]\nkind = "embedded"\npath = "{store}"\n'
        f"{tokens}"
        '[[apps]]\nid = "superapp-a"\n'
        "environments.production = { pilot_testing = true }\n"
        "environments.development = {}\n"
    )


def status_mib(pid: int) -> tuple:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class Admin:
    def __init__(self, addr: str, role: str):
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"authorization": "Bearer " + TOKENS[role], "content-type": "application/json"}

    def call(self, method: str, path: str, body=None, want=(200, 201)):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        self.conn.request(method, path, data, self.headers)
        response = self.conn.getresponse()
        text = response.read()
        if response.status not in want:
            sys.exit(f"{method} {path}: {response.status} {text[:300]!r}")
        return json.loads(text) if text else None


def full_releases(addr: str, first: int, last: int) -> None:
    admin = Admin(addr, "admin")
    for n in range(first, last):
        mp = f"mp-{n:05d}"
        admin.call("POST", f"/v1/admin/mini-programs/{mp}/versions",
                   {"version": "1.0.0", "package_url": f"https://cdn.example.com/{mp}/1.0.0.zip"})
        created = admin.call("POST", "/v1/admin/releases",
                             {"mini_program": mp, "version": "1.0.0", "app": "superapp-a", "env": "development"})
        applied = admin.call("POST", f"/v1/admin/releases/{created['id']}/apply")
        if applied["status"] != "full_release":
            sys.exit(f"{mp}: {applied['status']}")


def pilot_release(addr: str, size: int, via: str) -> None:
    admin, reviewer = Admin(addr, "admin"), Admin(addr, "reviewer")
    admin.call("POST", "/v1/admin/mini-programs/mp-pilot/versions",
               {"version": "2.0.0", "package_url": "https://cdn.example.com/mp-pilot/2.0.0.zip"})
    ids = b",".join(b'"user-%07d"' % i for i in range(size))
    head = b'{"mini_program":"mp-pilot","version":"2.0.0","app":"superapp-a","env":"production"'
    if via == "create":
        created = admin.call("POST", "/v1/admin/releases", head + b',"test_group":[' + ids + b"]}")
    else:
        created = admin.call("POST", "/v1/admin/releases", head + b"}")
        admin.call("PUT", f"/v1/admin/releases/{created['id']}/test-group", b"[" + ids + b"]")
    del ids
    release = created["id"]
    admin.call("POST", f"/v1/admin/releases/{release}/apply")
    approved = reviewer.call("POST", f"/v1/admin/releases/{release}/approve")
    if approved["status"] != "pilot_testing" or approved["test_group_size"] != size:
        sys.exit(f"pilot release: {approved['status']} with {approved['test_group_size']} ids")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default="target/release/graygate")
    p.add_argument("--mini-programs", type=int, default=10_000)
    p.add_argument("--group", type=int, default=1_000_000)
    p.add_argument("--via", choices=["create", "put"], default="create")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--env", action="append", default=[])
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "graygate.toml")
        with open(config, "w") as f:
            f.write(config_text(os.path.join(tmp, "graygate.db")))
        env = dict(os.environ)
        env.update(kv.split("=", 1) for kv in args.env)
        log = open(os.path.join(tmp, "gateway.log"), "w")
        gw = subprocess.Popen([args.binary, "serve", "--config", config], env=env,
                              stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = ""
            while "admin=" not in line:  # a wrapper (heaptrack, say) may print first
                line = gw.stdout.readline()
                if not line:
                    sys.exit("the gateway exited before listening")
            admin_addr = line.split("admin=")[1].split()[0]
            start = time.monotonic()

            def phase(name: str) -> None:
                rss, hwm = status_mib(gw.pid)
                print(f"PHASE {name} rss_mib={rss:.1f} hwm_mib={hwm:.1f} "
                      f"seconds={time.monotonic() - start:.1f}", flush=True)

            phase("started")
            n, t = args.mini_programs, args.threads
            workers = [threading.Thread(target=full_releases, args=(admin_addr, i * n // t, (i + 1) * n // t))
                       for i in range(t)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            phase(f"full_releases={n}")
            pilot_release(admin_addr, args.group, args.via)
            phase(f"pilot_group={args.group}")
            time.sleep(2)
            phase("settled")
            scrape = Admin(admin_addr, "admin")
            for _ in range(3):  # a Prometheus server scrapes every few seconds
                scrape.conn.request("GET", "/metrics")
                scrape.conn.getresponse().read()
            phase("after_3_metrics_scrapes")
        finally:
            gw.terminate()
            gw.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
