#!/usr/bin/env python3
"""Fleet-scale cost: `scalebridge run` and Prometheus side by side, in one run, on one fleet.

  A. 100 targets x 1k series, 1 s interval, listed (`urls:` / static_configs)
  B. 500 discovered targets x 1k series, 15 s interval (the same file_sd file for both)

Both evaluate the same two expressions every interval (Prometheus as recording rules). Every
page is served from 127.0.0.1 (one port per target). Before the figures count, both must see
every target up and compute the right values: target i serves `jobs_waiting i` and
`workers_required i`, so sum = n(n-1)/2 and max = n-1.

Per daemon: CPU per tick (all threads' schedstat over the window / ticks), VmRSS, RssAnon, and
the memory a platform bills, from a memory cgroup of its own (cgroup v1 or v2): anonymous and
working set (usage - inactive_file). Run with bench/fleet.sh (builds the release binary).
"""
import http.server
import json
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import cpu_and_rss, page  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build-release/release/scalebridge")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
CGROUP_V1 = os.path.isdir("/sys/fs/cgroup/memory")
CGROUP_BASE = "/sys/fs/cgroup/memory" if CGROUP_V1 else "/sys/fs/cgroup"


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_fleet(count):
    """One server per target on 127.0.0.1, each with its own pre-rendered page."""
    servers = []
    for index in range(count):
        body = page(1000, f"# TYPE jobs_waiting gauge\njobs_waiting {index}\n# TYPE workers_required gauge\nworkers_required {index}\n")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            payload = body

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(self.payload)))
                self.end_headers()
                self.wfile.write(self.payload)

            def log_message(self, *args):
                pass

        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def free_port():
    with socketserver.TCPServer(("127.0.0.1", 0), None) as probe:
        return probe.server_address[1]


def in_cgroup(name, command, stdout):
    group = f"{CGROUP_BASE}/sb-fleet-{os.getpid()}-{name}"
    os.makedirs(group, exist_ok=True)
    wrapped = ["sh", "-c", 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"', "sh", group] + command
    return subprocess.Popen(wrapped, stdout=stdout, stderr=subprocess.DEVNULL), group


def cgroup_memory(group):
    stat = dict(line.split() for line in open(f"{group}/memory.stat"))
    if CGROUP_V1:
        usage = int(open(f"{group}/memory.usage_in_bytes").read())
        anon = int(stat["rss"])
    else:
        usage = int(open(f"{group}/memory.current").read())
        anon = int(stat["anon"])
    return anon / 1048576, (usage - int(stat["inactive_file"])) / 1048576


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def prom_value(port, query):
    answer = json.loads(get(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})))
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def last_values(path):
    values = {}
    with open(path) as handle:
        for line in handle.read().splitlines()[-20:]:
            parts = line.split(" ")
            if len(parts) == 3:
                values[parts[1]] = float(parts[2])
    return values


def scenario(name, count, interval, discovered, window):
    work = tempfile.mkdtemp(prefix="sb-fleet-")
    servers = serve_fleet(count)
    addresses = [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    want = {"Waiting": count * (count - 1) / 2, "Required": count - 1}
    sd = os.path.join(work, "fleet.json")
    json.dump([{"targets": addresses, "labels": {}}], open(sd, "w"))
    if discovered:
        sb_target = f'discover: {{file: {{files: ["{sd}"], refresh: {interval}s}}}}'
        prom_target = f'file_sd_configs: [{{files: ["{sd}"], refresh_interval: {interval}s}}]'
    else:
        sb_target = "urls: [" + ", ".join(f'"http://{a}/metrics"' for a in addresses) + "]"
        prom_target = "static_configs: [{targets: [" + ", ".join(f'"{a}"' for a in addresses) + "]}]"
    sb_config = os.path.join(work, "scalebridge.yaml")
    open(sb_config, "w").write(f"""scrape: {{interval: {interval}s, timeout: {min(interval, 5)}s}}
state_dir: {work}/state
targets:
  - name: fleet
    {sb_target}
signals:
  - {{name: Waiting, expr: sum(jobs_waiting)}}
  - {{name: Required, expr: max(workers_required)}}
sinks: [{{type: stdout}}]
""")
    rules = os.path.join(work, "rules.yml")
    open(rules, "w").write(f"""groups:
  - name: fleet
    interval: {interval}s
    rules:
      - {{record: fleet:waiting, expr: sum(jobs_waiting)}}
      - {{record: fleet:required, expr: max(workers_required)}}
""")
    prom_config = os.path.join(work, "prometheus.yml")
    open(prom_config, "w").write(f"""global: {{scrape_interval: {interval}s, scrape_timeout: {min(interval, 5)}s, evaluation_interval: {interval}s}}
rule_files: ["{rules}"]
scrape_configs:
  - job_name: fleet
    {prom_target}
""")
    prom_port, sb_port = free_port(), free_port()
    sb_out = open(os.path.join(work, "scalebridge.out"), "w")
    sb, sb_group = in_cgroup("scalebridge", [BINARY, "run", "--config", sb_config, "--listen", f"127.0.0.1:{sb_port}"], sb_out)
    prom, prom_group = in_cgroup("prometheus", [PROMETHEUS, f"--config.file={prom_config}", f"--storage.tsdb.path={work}/tsdb",
                                                f"--web.listen-address=127.0.0.1:{prom_port}"], subprocess.DEVNULL)
    try:
        # Warm up: two intervals and until both see the whole fleet with the right values.
        deadline = time.time() + max(60, 6 * interval)
        time.sleep(2 * interval + 3)
        while True:
            sb_values = last_values(sb_out.name)
            try:
                up = prom_value(prom_port, 'count(up{job="fleet"} == 1)')
                prom_values = {"Waiting": prom_value(prom_port, "fleet:waiting"), "Required": prom_value(prom_port, "fleet:required")}
            except OSError:
                up, prom_values = None, {}
            sb_up = len(re.findall(r'^scalebridge_target_up\{[^}]*\} 1(\.0)?$', get(f"http://127.0.0.1:{sb_port}/metrics"), re.M))
            if up == count and prom_values == want and sb_values == want and sb_up == count:
                break
            if time.time() > deadline:
                raise SystemExit(f"{name}: not every target up or a wrong value: prometheus up={up} {prom_values}, "
                                 f"scalebridge up={sb_up} {sb_values}, want {want}")
            time.sleep(1)
        before = [cpu_and_rss(p.pid)[0] for p in (sb, prom)]
        time.sleep(window)
        after = [cpu_and_rss(p.pid) for p in (sb, prom)]
        ticks = window / interval
        rows = []
        for label, cpu0, (cpu, rss, _hwm, anon), group in zip(("scalebridge", "Prometheus"), before, after, (sb_group, prom_group)):
            cg_anon, working_set = cgroup_memory(group)
            rows.append((label, (cpu - cpu0) / ticks * 1000, rss / 1024, anon / 1024, cg_anon, working_set))
        if last_values(sb_out.name) != want:
            raise SystemExit(f"{name}: scalebridge's value changed during the window: {last_values(sb_out.name)}")
        return rows
    finally:
        for process in (sb, prom):
            process.send_signal(signal.SIGTERM)
            process.wait(20)
        for server in servers:
            server.shutdown()
            server.server_close()
        for group in (sb_group, prom_group):
            try:
                os.rmdir(group)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)


def main():
    window = int(os.environ.get("BENCH_WINDOW", "60"))
    print(f"prometheus: {subprocess.run([PROMETHEUS, '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"cgroup v{1 if CGROUP_V1 else 2}; CPU over a {window} s window after warm-up; every target up and both values right in both\n")
    for name, count, interval, discovered, seconds in (("A: 100 listed targets x 1k series, 1 s", 100, 1, False, window),
                                                        ("B: 500 file_sd targets x 1k series, 15 s", 500, 15, True, max(window, 120))):
        rows = scenario(name, count, interval, discovered, seconds)
        print(f"{name}")
        print(f"| | CPU per tick | VmRSS | RssAnon | cgroup anon | working set |")
        print("|---|---|---|---|---|---|")
        for label, cpu, rss, anon, cg_anon, ws in rows:
            print(f"| {label} | {cpu:.0f} ms | {rss:.1f} MiB | {anon:.1f} MiB | {cg_anon:.1f} MiB | {ws:.1f} MiB |")
        sb, prom = rows
        print(f"| ratio | {prom[1] / sb[1]:.1f}x | {prom[2] / sb[2]:.1f}x | {prom[3] / sb[3]:.1f}x | {prom[4] / sb[4]:.1f}x | {prom[5] / sb[5]:.1f}x |\n")


if __name__ == "__main__":
    main()
