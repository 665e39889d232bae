#!/usr/bin/env python3
"""The outside truth for brokerload's latency figures: a known distribution recorded through
brokerload's own accounting and exporter (quantile_truth_server), scraped by the real
Prometheus. Checks that histogram_quantile over the exported default buckets lands within 10 %
of the internal histogram's quantile at q = 0.5, 0.9, 0.99, 0.999 for every latency
histogram, and that the exported window-quantile gauges equal the internal quantiles.

It also serves the same values with the old 1-2.5-5 ladder as a control, and fails unless that
control is off by more than 10 % somewhere: a check that cannot fail proves nothing.

usage: quantile_truth_test.py QUANTILE_TRUTH_SERVER
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time

import promlib

OLD_LADDER = "0.00005,0.0001,0.00025,0.0005,0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10"
HISTOGRAMS = {"end_to_end": "brokerload_end_to_end_latency",
              "publish": "brokerload_publish_latency",
              "send_lag": "brokerload_send_lag"}
QUANTILES = ("0.5", "0.9", "0.99", "0.999")
TOLERANCE = 0.10


def start_server(binary, *args):
    process = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, text=True)
    return process, json.loads(process.stdout.readline())


def scalar(prometheus, expr):
    answer = prometheus.query(expr)
    if answer.get("status") != "success" or len(answer["data"]["result"]) != 1:
        raise RuntimeError(f"{expr}: {answer}")
    return float(answer["data"]["result"][0]["value"][1])


def wait_for_scrape(prometheus, job, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if prometheus.query(f'brokerload_end_to_end_latency_seconds_count{{job="{job}"}}')["data"]["result"]:
            return
        time.sleep(0.5)
    raise RuntimeError(f"prometheus never scraped {job}")


def compare(prometheus, job, exact):
    """Rows (histogram, q, exact, histogram_quantile, relative error); the worst error."""
    rows, worst = [], 0.0
    for name, metric in HISTOGRAMS.items():
        for q in QUANTILES:
            estimate = scalar(prometheus, f'histogram_quantile({q}, sum by (le) ({metric}_seconds_bucket{{job="{job}"}}))')
            error = abs(estimate - exact[name][q]) / exact[name][q]
            rows.append((name, q, exact[name][q], estimate, error))
            worst = max(worst, error)
    return rows, worst


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="brokerload-quantile-truth-")
    failures = []
    truth, truth_info = start_server(sys.argv[1])
    control, control_info = start_server(sys.argv[1], "--buckets", OLD_LADDER)
    prometheus = None
    try:
        prometheus = promlib.Prometheus(tmp, {"truth": f"127.0.0.1:{truth_info['port']}",
                                              "control": f"127.0.0.1:{control_info['port']}"})
        wait_for_scrape(prometheus, "truth")
        wait_for_scrape(prometheus, "control")
        exact = truth_info["exact"]
        if control_info["exact"] != exact:
            failures.append("the two servers disagree on the internal quantiles")

        rows, worst = compare(prometheus, "truth", exact)
        control_rows, control_worst = compare(prometheus, "control", control_info["exact"])
        print(f"{'histogram':<11} {'q':>6} {'exact':>12} {'default buckets':>16} {'error':>7}"
              f" {'1-2.5-5 ladder':>15} {'error':>7}")
        for (name, q, value, estimate, error), (_, _, _, old, old_error) in zip(rows, control_rows):
            print(f"{name:<11} {q:>6} {value:>12.6f} {estimate:>16.6f} {error:>7.1%} {old:>15.6f} {old_error:>7.1%}")
            if error > TOLERANCE:
                failures.append(f"{name} q={q}: histogram_quantile {estimate:.6f} s is {error:.1%} off the exact {value:.6f} s")
        if control_worst <= TOLERANCE:
            failures.append(f"control: the 1-2.5-5 ladder is within {TOLERANCE:.0%} everywhere "
                            f"(worst {control_worst:.1%}), so this test cannot tell precise buckets from coarse ones")
        print(f"worst error: default buckets {worst:.1%}, 1-2.5-5 ladder {control_worst:.1%}")

        for name, metric in HISTOGRAMS.items():
            for q in QUANTILES:
                for window in ("1m", "5m"):
                    gauge = scalar(prometheus, f'{metric}_window_seconds{{job="truth", quantile="{q}", window="{window}"}}')
                    if abs(gauge - exact[name][q]) > 1e-9 * max(1.0, exact[name][q]):
                        failures.append(f"{metric}_window_seconds{{quantile=\"{q}\", window=\"{window}\"}} "
                                        f"is {gauge!r}, the internal quantile {exact[name][q]!r}")
        print(f"window gauges: {len(HISTOGRAMS) * len(QUANTILES) * 2} compared with the internal quantiles")
    except RuntimeError as error:
        failures.append(str(error))
    finally:
        for process in (truth, control):
            process.terminate()
            process.wait(timeout=30)
        if prometheus is not None:
            prometheus.stop()
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    if failures:
        print(f"{len(failures)} problem(s); files in {tmp}", file=sys.stderr)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
