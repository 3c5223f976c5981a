#!/usr/bin/env python3
"""`hookd backup` of a big database while hookd ingests: backup time, and the
ingest latency of one keep-alive client during the backup against its baseline
just before (same run, same machine).

  bench/backup_under_load.py build-release/sender/hookd [EVENTS] [ROUNDS]

Fills a fresh database in a temporary directory with EVENTS (default 80000)
events of 1 KB data through the API (8 clients), then ROUNDS (default 3) times:
3 s of baseline ingest, then ingest while `hookd backup --overwrite` runs.
"""
import http.client, json, os, shutil, subprocess, sys, tempfile, threading, time

hookd = sys.argv[1]
events = int(sys.argv[2]) if len(sys.argv) > 2 else 80000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
work = tempfile.mkdtemp(prefix="hookline-backup-bench-")
db = os.path.join(work, "hookline.db")
server = subprocess.Popen([hookd, "--listen", "127.0.0.1:0", "--db", db, "--api-token", "bench"],
                          stdout=subprocess.PIPE, stderr=open(os.path.join(work, "hookd.log"), "w"),
                          text=True)
try:
    port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
    headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
    body = json.dumps({"type": "bench.event", "data": {"pad": "x" * 1000}})

    def post(conn):
        conn.request("POST", "/v1/events", body, headers)
        r = conn.getresponse()
        r.read()
        if r.status != 202:
            raise RuntimeError(f"POST /v1/events answered {r.status}")

    def fill(n):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(n):
            post(conn)

    start = time.time()
    threads = [threading.Thread(target=fill, args=(events // 8,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"filled {events} events in {time.time() - start:.1f} s; "
          f"database {os.path.getsize(db) / 1e6:.0f} MB")

    def ingest(seconds, stop=None):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        lat, end = [], time.time() + seconds
        while time.time() < end and not (stop and stop.is_set()):
            s = time.perf_counter()
            post(conn)
            lat.append((time.perf_counter() - s) * 1000)
        lat.sort()
        return len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1]

    def show(what, seconds, n, p50, p99, top):
        print(f"{what}: {n / seconds:.0f} events/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
              f"max {top:.1f} ms")

    for _ in range(rounds):
        show("baseline", 3, *ingest(3))
        result, stop = {}, threading.Event()

        def backup():
            out = subprocess.run([hookd, "backup", "--overwrite", os.path.join(work, "copy.db"),
                                  "--db", db], capture_output=True, text=True)
            result["line"] = (out.stdout + out.stderr).strip()
            stop.set()

        t = threading.Thread(target=backup)
        start = time.time()
        t.start()
        stats = ingest(600, stop)
        elapsed = time.time() - start
        t.join()
        show(f"during backup ({elapsed:.1f} s)", elapsed, *stats)
        print("  " + result["line"])
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)
