#!/usr/bin/env python3
"""The shipped binary's HTTP stack, end to end on loopback (packaging/check-runtime-deps.sh).

The test suite runs against the distribution's libcurl; the release binary links the minimal
one of packaging/curl/build.sh. This runs that binary's `once` through each transport feature
the minimal build keeps and checks the signals it prints:
  http with a gzip-encoded body and a redirect, https verified against ca_file, file://,
  a plain-http target through HTTP_PROXY (loopback exempt by NO_PROXY), and https against the wrong CA (must fail).
Then `run` for a few cycles: they must keep working.

  packaging/smoke.py BINARY
"""
import gzip, http.server, os, signal, ssl, subprocess, sys, tempfile, threading, time

BINARY = sys.argv[1]
PAGE = b"# TYPE jobs_waiting gauge\njobs_waiting{queue=\"%s\"} %d\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxied = []

    def do_GET(self):
        if self.path.startswith("http://"):  # a proxy request: absolute URI
            Handler.proxied.append(self.path)
            return self.answer(PAGE % (b"proxy", 4))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/gzip")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/gzip":
            assert "gzip" in self.headers.get("Accept-Encoding", ""), "no Accept-Encoding: gzip"
            return self.answer(gzip.compress(PAGE % (b"gzip", 2)), encoding="gzip")
        self.answer(PAGE % (b"tls", 3))

    def answer(self, body, encoding=None):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def certificate(directory, name):
    cert, key = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def once(config_text, directory, env=None):
    config = os.path.join(directory, "smoke.yaml")
    with open(config, "w") as handle:
        handle.write(config_text)
    return subprocess.run([BINARY, "once", "--config", config], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


def main():
    with tempfile.TemporaryDirectory(prefix="sb-smoke-") as directory:
        cert, key = certificate(directory, "server")
        other, _ = certificate(directory, "other")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        plain, tls = serve(), serve(context)
        page = os.path.join(directory, "page.prom")
        with open(page, "wb") as handle:
            handle.write(PAGE % (b"file", 1))
        http_base = f"http://127.0.0.1:{plain.server_address[1]}"
        https_base = f"https://127.0.0.1:{tls.server_address[1]}"
        signals = """signals:
  - {name: Waiting, expr: "sum(jobs_waiting)"}
  - {name: Queues, expr: "count(jobs_waiting)"}
sinks:
  - {type: stdout}
"""
        result = once(f"""listen: ""
targets:
  - {{name: redirected-gzip, url: "{http_base}/moved"}}
  - {{name: tls, url: "{https_base}/metrics", tls: {{ca_file: "{cert}"}}}}
  - {{name: file, url: "file://{page}"}}
  - {{name: proxied, url: "http://scalebridge-smoke.invalid/metrics"}}
{signals}""", directory, env={"HTTP_PROXY": http_base, "NO_PROXY": "127.0.0.1"})
        values = dict(line.split()[1:3] for line in result.stdout.splitlines() if len(line.split()) == 3)
        problems = []
        if result.returncode != 0:
            problems.append(f"once exited {result.returncode}: {result.stderr[-1500:]}")
        # 2 (gzip, after the redirect) + 3 (https) + 1 (file) + 4 (through the proxy)
        if values.get("Waiting") != "10" or values.get("Queues") != "4":
            problems.append(f"signals {values}, wanted Waiting 10 and Queues 4: {result.stderr[-1500:]}")
        if Handler.proxied != ["http://scalebridge-smoke.invalid/metrics"]:
            problems.append(f"proxy saw {Handler.proxied}")

        # The wrong CA: the scrape must fail on verification, and say so.
        wrong = once(f"""listen: ""
targets:
  - {{name: tls, url: "{https_base}/metrics", tls: {{ca_file: "{other}"}}}}
{signals}""", directory)
        if "certificate" not in wrong.stderr.lower() or "Waiting" in wrong.stdout:
            problems.append(f"https with the wrong CA was not refused on verification: {wrong.stdout} {wrong.stderr[-1500:]}")
        # run: every cycle must scrape over TLS and from a file and print the same values.
        config = os.path.join(directory, "run.yaml")
        with open(config, "w") as handle:
            handle.write(f"""listen: ""
state_dir: {directory}/state
scrape: {{interval: 300ms, timeout: 250ms}}
targets:
  - {{name: tls, url: "{https_base}/metrics", tls: {{ca_file: "{cert}"}}}}
  - {{name: file, url: "file://{page}"}}
{signals}""")
        daemon = subprocess.Popen([BINARY, "run", "--config", config], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=30)
        if daemon.returncode != 0 or out.count("Waiting 4") < 4:
            problems.append(f"run: exit {daemon.returncode}, {out.count('Waiting 4')} good cycles: {err[-1500:]}")
        if problems:
            sys.exit("packaging smoke test failed:\n  " + "\n  ".join(problems))
        print("packaging: smoke test passed (http+redirect+gzip, https+ca_file, file://, proxy, wrong CA refused, run)")


main()
