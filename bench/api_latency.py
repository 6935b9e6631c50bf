"""Paced GETs with an API key: RATE requests a second for SECONDS from a few threads, each on
its own keep-alive connection (a closed-loop tool would only measure the rate limiter's 429s).
Prints p50, p99 and max latency in milliseconds and the answers by status.

    python3 bench/api_latency.py URL KEY [RATE] [SECONDS]
"""
import collections
import http.client
import sys
import threading
import time
import urllib.parse

url, key = sys.argv[1], sys.argv[2]
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 40.0
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
threads = 4
parts = urllib.parse.urlsplit(url)
path = parts.path + ("?" + parts.query if parts.query else "")
latencies, statuses, lock = [], collections.Counter(), threading.Lock()


def worker(offset):
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    interval = threads / rate
    start = time.monotonic() + offset * interval / threads
    n = 0
    while True:
        due = start + n * interval
        if due - start > seconds:
            break
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        began = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": "Bearer " + key})
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[response.status] += 1
        n += 1


pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
latencies.sort()
at = lambda q: latencies[min(len(latencies) - 1, round((len(latencies) - 1) * q))]
print(
    f"{len(latencies)} requests at {rate:.0f}/s: p50 {at(0.5):.2f} ms, p99 {at(0.99):.2f} ms, "
    f"max {latencies[-1]:.2f} ms; statuses {dict(statuses)}"
)
