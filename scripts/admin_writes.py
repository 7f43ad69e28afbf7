#!/usr/bin/env python3
"""Paced admin writes for scripts/load.sh: PUT /v1/admin/releases/{id}/config on one
keep-alive connection at RATE per second for SECONDS. Every accepted edit commits a
revision, so the gateway rebuilds and swaps its snapshot each time.

Usage: admin_writes.py HOST:PORT RELEASE_ID RATE SECONDS  (bearer token in LOAD_TOKEN)
Prints one line: WRITES total=… ok=… per_second=… p50_ms=… p99_ms=…
"""

import http.client
import json
import os
import sys
import time


def main() -> int:
    addr, release_id, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    host, port = addr.rsplit(":", 1)
    if host != "127.0.0.1":
        sys.exit("admin_writes.py only targets 127.0.0.1")
    headers = {
        "authorization": "Bearer " + os.environ["LOAD_TOKEN"],
        "content-type": "application/json",
    }
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    path = f"/v1/admin/releases/{release_id}/config"
    interval = 1.0 / rate
    start = time.monotonic()
    next_at, latencies, ok = start, [], 0
    while time.monotonic() - start < seconds:
        n = len(latencies)
        body = json.dumps({"network_allowlist": ["api.example.com"], "payment": {"merchant_id": f"m-{n:08d}"}})
        sent = time.monotonic()
        conn.request("PUT", path, body, headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.monotonic() - sent)
        ok += response.status == 200
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    elapsed = time.monotonic() - start
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    print(f"WRITES total={len(latencies)} ok={ok} per_second={len(latencies) / elapsed:.1f} "
          f"p50_ms={pct(0.50):.2f} p99_ms={pct(0.99):.2f}")
    return 0 if ok == len(latencies) else 1


if __name__ == "__main__":
    sys.exit(main())
