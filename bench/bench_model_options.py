"""Measure onnxruntime SessionOptions for jazzd's one-token step: memory, load and step time.

    python3 bench/bench_model_options.py [--steps 20000] [--repeat 3] [--model PATH]

Each variant runs in a fresh interpreter (so memory figures do not mix): it
imports numpy and onnxruntime, reads RssAnon + RssFile from ``/proc/self/status``,
opens the session with the variant's options, steps once, reads the memory
again, then times ``--steps`` single steps (``session.run`` as ``StepModel.step``
calls it). Printed per variant, medians over ``--repeat`` interpreters: the
session's own memory (after - before, MB: anonymous, file-backed, and the total
after the timed steps), the load time (ms) and the step time (median and p99,
µs). The baseline is jazzd's options before issue 9: one intra- and one
inter-op thread, sequential execution; ``jazzd.generate.step_model.session_options`` keeps
what helped.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: name -> Python statements applied to ``options`` (an ort.SessionOptions) after the baseline.
VARIANTS: dict[str, str] = {
    "baseline (1+1 threads, sequential)": "",
    "no cpu mem arena": "options.enable_cpu_mem_arena = False",
    "no mem pattern": "options.enable_mem_pattern = False",
    "no arena, no mem pattern": (
        "options.enable_cpu_mem_arena = False; options.enable_mem_pattern = False"
    ),
    "optimisation: disable all": (
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL"
    ),
    "optimisation: basic": (
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC"
    ),
    "optimisation: extended": (
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED"
    ),
    "no spinning": (
        'options.add_session_config_entry("session.intra_op.allow_spinning", "0");'
        'options.add_session_config_entry("session.inter_op.allow_spinning", "0")'
    ),
    "no arena + basic optimisation": (
        "options.enable_cpu_mem_arena = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC"
    ),
    "no arena + no optimisation (jazzd)": (
        "options.enable_cpu_mem_arena = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL"
    ),
    # 0.8 MB less with the 128-unit model (0.12 MB with 64 units), but other kernels: the
    # probabilities differ in their last bits from the defaults', so jazzd keeps prepacking.
    "jazzd + no weight prepacking": (
        "options.enable_cpu_mem_arena = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL;"
        'options.add_session_config_entry("session.disable_prepacking", "1")'
    ),
    "jazzd + initializers by the device allocator": (
        "options.enable_cpu_mem_arena = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL;"
        'options.add_session_config_entry('
        '"session.use_device_allocator_for_initializers", "1")'
    ),
    "jazzd + no environment thread pools": (
        "options.enable_cpu_mem_arena = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL;"
        "options.use_per_session_threads = True"
    ),
    "no arena, no pattern, basic": (
        "options.enable_cpu_mem_arena = False; options.enable_mem_pattern = False;"
        "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC"
    ),
}

CHILD = """
import hashlib, json, sys, time
from pathlib import Path

from array import array

def own_kb():
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["RssAnon"].split()[0]), int(fields["RssFile"].split()[0])

import numpy as np
import onnxruntime as ort
path, steps = sys.argv[1], int(sys.argv[2])
times = array("d", bytes(8 * steps))
before = own_kb()
begin = time.perf_counter()
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.log_severity_level = 3
VARIANT
session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
shapes = {i.name: i.shape[1] for i in session.get_inputs()}
size, n_a = shapes["x"], shapes["a"]
feeds = {name: np.zeros((1, width), dtype=np.float32) for name, width in shapes.items()}
if "context" in feeds:  # a format-3 model: an on-the-beat, first-note context
    feeds["context"][0, 0] = 1
x = feeds["x"]
outputs = ("probs", "a_out", "c_out")
probs, feeds["a"], feeds["c"] = session.run(outputs, feeds)
loaded = time.perf_counter() - begin
after_load = own_kb()
clock = time.perf_counter
digest = hashlib.sha256()
for i in range(steps):
    x[:] = 0
    x[0, i % size] = 1
    start = clock()
    probs, feeds["a"], feeds["c"] = session.run(outputs, feeds)
    times[i] = clock() - start
    digest.update(probs.tobytes())
after_steps = own_kb()
times = sorted(times)
print(json.dumps({
    "anon_mb": (after_load[0] - before[0]) / 1024,
    "file_mb": (after_load[1] - before[1]) / 1024,
    "after_steps_mb": (sum(after_steps) - sum(before)) / 1024,
    "load_ms": loaded * 1e3,
    "step_median_us": times[len(times) // 2] * 1e6,
    "step_p99_us": times[int(len(times) * 0.99)] * 1e6,
    "probs_sha256": digest.hexdigest(),
}))
"""


def run_variant(code: str, model: str, steps: int) -> dict[str, float]:
    script = CHILD.replace("VARIANT", code)
    result = subprocess.run(
        [sys.executable, "-c", script, model, str(steps)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=str(REPO / "data" / "model.onnx"))
    parser.add_argument("--only", help="run only the variants whose name contains this")
    args = parser.parse_args()
    print(f"{'variant':38} {'anon MB':>8} {'file MB':>8} {'+steps MB':>10} {'load ms':>8} "
          f"{'step µs p50':>11} {'p99':>7}  outputs")
    reference = None
    for name, code in VARIANTS.items():
        if args.only and args.only not in name:
            continue
        runs = [run_variant(code, args.model, args.steps) for _ in range(args.repeat)]
        digests = {run.pop("probs_sha256") for run in runs}
        reference = reference or digests
        same = "identical" if digests == reference else "DIFFER from the first variant"
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"{name:38} {med['anon_mb']:8.2f} {med['file_mb']:8.2f} "
              f"{med['after_steps_mb']:10.2f} "
              f"{med['load_ms']:8.1f} {med['step_median_us']:11.1f} "
              f"{med['step_p99_us']:7.1f}  {same}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
