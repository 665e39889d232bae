"""What the deploy tests share to run a real Prometheus (Debian's binary) on loopback."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


class Prometheus:
    """A Prometheus scraping `jobs` ({job: "host:port"}) every second, with `rule_files`.

    Raises RuntimeError when the binary is missing or it does not become ready within 60 s.
    """

    def __init__(self, tmp, jobs, rule_files=()):
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus missing: run scripts/install-deps.sh")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1/"
        self.log_path = os.path.join(tmp, "prometheus.log")
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n")
            if rule_files:
                f.write(f"rule_files: [{', '.join(rule_files)}]\n")
            f.write("scrape_configs:\n")
            for job, address in jobs.items():
                f.write(f"  - job_name: {job}\n    static_configs: [{{targets: ['{address}']}}]\n")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        if not wait_http(f"http://127.0.0.1:{self.port}/-/ready", 60):
            self.stop()
            raise RuntimeError("prometheus never became ready: " + open(self.log_path).read()[-2000:])

    def api(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url) as r:
            return json.load(r)

    def query(self, expr):
        """The instant query's answer: {"status": ..., "data": {"result": [...]}}."""
        return self.api("query", query=expr)

    def query_range(self, expr, start, end, step):
        """The range query's answer: {"status": ..., "data": {"result": [{"values": ...}]}}."""
        return self.api("query_range", query=expr, start=start, end=end, step=step)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
