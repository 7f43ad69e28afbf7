#!/usr/bin/env python3
"""Soak and fault run for graygate (issue: hardening). Loopback only, bounded in time.

Phases:
  1. load: wrk saturates GET /v1/resolve for SOAK_SECONDS (default 60) while an operator
     loop creates and scales releases, so the control plane swaps snapshots throughout.
     Reports requests, resolve errors (must be 0), RSS before/after (growth < 5 %).
  2. crash (embedded store): the operator loop writes while the gateway is SIGKILLed
     CRASHES times (default 5) at random moments and restarted on the same file; every
     acknowledged write must be there after each restart (lost must be 0).
  3. redis (own redis-server with appendonly + appendfsync always on a free port): load and
     writes while Redis is stopped for a few seconds and started again; resolves must keep
     answering 200, writes answer 503 during the outage, nothing acknowledged is lost, and
     the gateway converges by itself.

Usage: scripts/soak.py            (builds target/release/graygate first)
Env:   SOAK_SECONDS, CRASHES, WRK_THREADS (default 1), WRK_CONNECTIONS (default 32),
       MALLOC_ARENA_MAX (default 2 for the gateway, as README "Deployment" recommends)
"""

import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "graygate")
TOKENS = {"admin": "soak-admin", "developer": "soak-dev", "reviewer": "soak-rev"}
APP, ENV, MP = "superapp-a", "production", "mp-soak"


def log(*a):
    print(*a, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(dir_, store_section):
    tokens = "".join(
        f'[[auth.tokens]]\nname = "{role}"\nrole = "{role}"\ntoken_sha256 = "{hashlib.sha256(t.encode()).hexdigest()}"\n'
        for role, t in TOKENS.items()
    )
    text = (
        '[server]\nclient_listen = "127.0.0.1:0"\nadmin_listen = "127.0.0.1:0"\nshutdown_grace_seconds = 2\n'
        f"[store]\n{store_section}\n{tokens}"
        f'[[apps]]\nid = "{APP}"\nenvironments.production = {{ pilot_testing = false }}\n'
    )
    path = os.path.join(dir_, "graygate.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


class Gateway:
    def __init__(self, config_path, log_path):
        self.config_path, self.log_path = config_path, log_path
        self.start()

    def start(self):
        self.stderr = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", self.config_path],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            env={"MALLOC_ARENA_MAX": "2",  # as README "Deployment" recommends; override to compare
                 **{k: v for k, v in os.environ.items() if not k.startswith("GRAYGATE_")}},
        )
        line = self.proc.stdout.readline()
        m = re.search(r"client=(\S+) admin=(\S+)", line)
        if not m:
            raise SystemExit(f"gateway did not start: {line!r}; see {self.log_path}")
        self.client, self.admin = f"http://{m.group(1)}", f"http://{m.group(2)}"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def call(self, method, path, role=None, body=None, timeout=5):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin + path, data=data, method=method)
        if role:
            req.add_header("Authorization", f"Bearer {TOKENS[role]}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def release(gw, mp, version, percentage=None):
    """Creates and applies/approves a release; returns its id (or None when refused)."""
    gw.call("POST", f"/v1/admin/mini-programs/{mp}/versions", "developer",
            {"version": version, "package_url": f"https://cdn.example.com/{mp}/{version}.zip"})
    s, r = gw.call("POST", "/v1/admin/releases", "developer",
                   {"mini_program": mp, "version": version, "app": APP, "env": ENV})
    if s != 201:
        return None
    rid = r["id"]
    gw.call("POST", f"/v1/admin/releases/{rid}/apply", "developer", {})
    gw.call("POST", f"/v1/admin/releases/{rid}/approve", "reviewer", {})
    if percentage is None:
        gw.call("POST", f"/v1/admin/releases/{rid}/go_live", "admin", {"type": "full"})
    return rid


class Operator(threading.Thread):
    """Scales MPS grayscale releases up in 0.0001 % steps, round robin, recording every
    acknowledged write. Each step is a real scale-up (a commit and a snapshot swap) while
    the number of releases stays bounded, so memory should stay flat."""

    MPS = 20

    def __init__(self, gw, prefix, pause=0.0):
        super().__init__(daemon=True)
        self.gw, self.prefix, self.pause = gw, prefix, pause
        self.acked = []  # (release id, revision, status, percentage)
        self.failed = 0
        self.halt = threading.Event()
        self.ppm = {}  # release id -> current grayscale share in parts per million

    def setup(self):
        for n in range(self.MPS):
            rid = release(self.gw, f"{self.prefix}-{n}", "1.0.0", percentage=1)
            s, r = self.gw.call("POST", f"/v1/admin/releases/{rid}/go_live", "admin",
                                {"type": "grayscale", "percentage": 0.0001})
            if s != 200:
                raise SystemExit(f"operator setup failed: {s} {r}")
            self.ppm[rid] = 1
        return self

    def run(self):
        ids = sorted(self.ppm)
        n = 0
        while not self.halt.is_set():
            rid = ids[n % len(ids)]
            n += 1
            self.ppm[rid] += 1
            try:
                s, r = self.gw.call("POST", f"/v1/admin/releases/{rid}/go_live", "admin",
                                    {"type": "grayscale", "percentage": self.ppm[rid] / 10_000})
                if s == 200:
                    self.acked.append((rid, r["revision"], r["status"], r["percentage"]))
                else:
                    self.failed += 1
            except (OSError, ValueError):
                self.failed += 1
                time.sleep(0.05)
            if self.pause:
                time.sleep(self.pause)


def lost_writes(gw, acked):
    """Acknowledged writes the gateway no longer has: a release older than what was acked."""
    order = ["new_version_created", "under_review", "release_preparation", "grayscale_release",
             "full_release", "archived"]
    s, releases = gw.call("GET", "/v1/admin/releases", "admin")
    by_id = {r["id"]: r for r in releases}
    lost = 0
    for rid, rev, status, pct in acked:
        r = by_id.get(rid)
        if r is None or r["revision"] < rev:
            lost += 1
        elif r["revision"] == rev and (r["status"], r["percentage"]) != (status, pct):
            lost += 1
        elif order.index(r["status"]) < order.index(status):
            lost += 1
        elif r["status"] == status == "grayscale_release" and r["percentage"] < pct:
            lost += 1
    return lost


def wrk(gw, seconds, lua):
    threads = os.environ.get("WRK_THREADS", "1")
    conns = os.environ.get("WRK_CONNECTIONS", "32")
    url = f"{gw.client}/v1/resolve?app={APP}&env={ENV}&mini_program={MP}&user=u"
    out = subprocess.run(["wrk", "-t", threads, "-c", conns, "-d", f"{seconds}s", "-s", lua, url],
                         capture_output=True, text=True).stdout
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return reqs, errors, out


def sample_rss(gw, seconds, out, count=12):
    for _ in range(count):
        out.append(gw.rss_kib())
        time.sleep(seconds / count)


def write_lua(dir_):
    path = os.path.join(dir_, "soak.lua")
    with open(path, "w") as f:
        f.write('counter = 0\nrequest = function()\n  counter = counter + 1\n'
                f'  return wrk.format("GET", "/v1/resolve?app={APP}&env={ENV}&mini_program={MP}&user=u" .. counter)\nend\n')
    return path


def phase_load(tmp):
    seconds = int(os.environ.get("SOAK_SECONDS", "60"))
    gw = Gateway(config(tmp, f'kind = "embedded"\npath = "{tmp}/load.db"\ncache_mib = 2'), f"{tmp}/load.log")
    try:
        release(gw, MP, "1.0.0")  # a full release, so every resolve answers 200
        release(gw, MP, "2.0.0", percentage=1)
        lua = write_lua(tmp)
        wrk(gw, 5, lua)  # warm-up
        op = Operator(gw, "mp-ops").setup()
        op.start()
        samples = []
        sampler = threading.Thread(target=sample_rss, args=(gw, seconds, samples), daemon=True)
        sampler.start()
        reqs, errors, _ = wrk(gw, seconds, lua)
        op.halt.set()
        op.join(10)
        sampler.join()
        # The first third warms caches (allocator arenas, redb's page cache, connection
        # buffers); growth after it is what a leak would show.
        rss_start, rss_warm, rss_end = samples[0], samples[len(samples) // 3], gw.rss_kib()
        growth = 100.0 * (rss_end - rss_warm) / rss_warm
        lost = lost_writes(gw, op.acked)
        log(f"load: {seconds}s, {reqs} resolves ({reqs / seconds:.0f}/s), resolve errors {errors}, "
            f"acked writes {len(op.acked)} (lost {lost}), RSS {rss_start} KiB at start, {rss_warm} KiB "
            f"after warm-up, {rss_end} KiB at the end ({growth:+.1f} % after warm-up)")
        log(f"load: RSS every {seconds / len(samples):.0f}s: {samples}")
        return errors == 0 and lost == 0 and growth < 5.0
    finally:
        gw.stop()


def phase_crash(tmp):
    crashes = int(os.environ.get("CRASHES", "5"))
    gw = Gateway(config(tmp, f'kind = "embedded"\npath = "{tmp}/crash.db"'), f"{tmp}/crash.log")
    all_acked, total_lost = [], 0
    ppm = Operator(gw, "mp-crash").setup().ppm
    try:
        for i in range(crashes):
            op = Operator(gw, "mp-crash")
            op.ppm = dict(ppm)
            op.start()
            time.sleep(random.uniform(0.5, 2.0))
            gw.kill9()  # in the middle of writes
            op.halt.set()
            op.join(10)
            all_acked += op.acked
            gw.start()
            # The next round continues above the highest share that may have been written.
            ppm = {rid: p + 1 for rid, p in op.ppm.items()}
            lost = lost_writes(gw, all_acked)
            total_lost += lost
            log(f"crash {i + 1}/{crashes}: acked so far {len(all_acked)}, lost after restart {lost}")
        return total_lost == 0
    finally:
        gw.stop()


def phase_redis(tmp):
    if not shutil.which("redis-server"):
        log("redis: skipped (redis-server not installed)")
        return True
    port = free_port()
    rdir = os.path.join(tmp, "redis")
    os.makedirs(rdir)
    redis_cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--appendfsync", "always", "--dir", rdir]
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    section = f'kind = "redis"\nurl = "redis://127.0.0.1:{port}/0"\nnamespace = "soak"\nrevision_check_seconds = 0.5'
    gw = Gateway(config(tmp, section), f"{tmp}/redis.log")
    try:
        release(gw, MP, "1.0.0")
        lua = write_lua(tmp)
        op = Operator(gw, "mp-redis", pause=0.01).setup()
        op.start()
        result = {}
        load = threading.Thread(target=lambda: result.update(zip(("reqs", "errors", "out"), wrk(gw, 20, lua))))
        load.start()
        time.sleep(6)
        redis.send_signal(signal.SIGTERM)
        redis.wait()
        s, body = gw.call("POST", f"/v1/admin/mini-programs/{MP}/versions", "developer",
                          {"version": "9.9.9", "package_url": "https://cdn.example.com/x.zip"})
        write_status = s
        time.sleep(4)
        redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
        outage_start = time.time()
        deadline = time.time() + 10
        while time.time() < deadline:  # writes succeed again without a gateway restart
            s, _ = gw.call("POST", f"/v1/admin/mini-programs/{MP}/versions", "developer",
                           {"version": "9.9.10", "package_url": "https://cdn.example.com/x.zip"})
            if s in (201, 409):
                break
            time.sleep(0.2)
        recovered = time.time() - outage_start
        load.join()
        op.halt.set()
        op.join(10)
        lost = lost_writes(gw, op.acked)
        log(f"redis: {result['reqs']} resolves during a {4}s Redis outage, resolve errors {result['errors']}, "
            f"write during outage answered {write_status}, writes accepted {recovered:.2f}s after Redis restarted (status {s}), "
            f"acked writes {len(op.acked)} (lost {lost})")
        return result["errors"] == 0 and write_status == 503 and s in (201, 409) and lost == 0
    finally:
        gw.stop()
        redis.kill()


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is required: apt-get install -y wrk")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="graygate-soak-")
    try:
        ok = [phase_load(tmp), phase_crash(tmp), phase_redis(tmp)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log("soak: PASS" if all(ok) else f"soak: FAIL {ok}")
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
