#!/usr/bin/env bash
# Runs axon's criterion benches with short settings and prints one compact table of the results.
#
#   scripts/bench_table.sh                  # all benches: matmul elementwise reduce overhead mlp_step
#   scripts/bench_table.sh matmul overhead  # only these
#   BENCH_ARGS="--warm-up-time 3 --measurement-time 10" scripts/bench_table.sh   # longer runs
#   REPEAT=3 scripts/bench_table.sh matmul  # run 3 times, keep each bench's fastest median
#
# Times are criterion's median estimates (robust to a busy machine); with REPEAT > 1 the table
# shows the fastest of the repeats' medians, the least disturbed by other processes sharing the
# cores. The full criterion output goes to target/bench_table.log; the table reads only results
# written by this run (target/criterion/**/new/*.json newer than its start), so stale results
# never show up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

benches=("$@")
if [ "${#benches[@]}" -eq 0 ]; then
    benches=(matmul elementwise reduce overhead mlp_step)
fi
read -r -a criterion_args <<<"${BENCH_ARGS:---warm-up-time 1 --measurement-time 3}"
repeat="${REPEAT:-1}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
log="$target_dir/bench_table.log"
mkdir -p "$target_dir"
: >"$log"
stamp="$target_dir/.bench_table_start"

# Reads the criterion results written since $stamp and merges them into $results (JSON), keeping
# the fastest median of every benchmark.
collect() {
    python3 - "$target_dir/criterion" "$stamp" "$results" <<'PY'
import json, os, sys

root, stamp, out = sys.argv[1], os.path.getmtime(sys.argv[2]), sys.argv[3]
res = json.load(open(out)) if os.path.exists(out) else {}
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
        continue
    est_path = os.path.join(dirpath, "estimates.json")
    if os.path.getmtime(est_path) < stamp:
        continue
    bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
    median = json.load(open(est_path))["median"]["point_estimate"] * 1e-9
    key = "\t".join((bench["group_id"], bench["function_id"] or "", bench["value_str"] or ""))
    if key not in res or median < res[key][0]:
        res[key] = [median, bench.get("throughput") or {}]
json.dump(res, open(out, "w"))
PY
}

results="$target_dir/bench_table.json"
rm -f "$results"
for ((run = 1; run <= repeat; run++)); do
    touch "$stamp"
    for bench in "${benches[@]}"; do
        echo "running $bench ($run/$repeat) ..." >&2
        if ! cargo bench -p axon --bench "$bench" -- --noplot "${criterion_args[@]}" >>"$log" 2>&1
        then
            tail -n 30 "$log" >&2
            echo "bench $bench failed; full output in $log" >&2
            exit 1
        fi
    done
    collect
done

python3 - "$results" <<'PY'
import json, sys

# (group, function, value) -> (median seconds, throughput dict)
res = {tuple(k.split("\t")): tuple(v) for k, v in json.load(open(sys.argv[1])).items()}

def fmt_time(s):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:7.2f} {unit}"
    return f"{s / 1e-9:7.2f} ns"

def rows_of(group):
    return sorted(((f, v, t, th) for (g, f, v), (t, th) in res.items() if g == group),
                  key=lambda r: (r[1], r[0]))

# matmul: GFLOP/s of axon and of gemm called directly, and their ratio.
mm = rows_of("matmul")
if mm:
    shapes = []
    for _, v, _, _ in mm:
        if v not in shapes:
            shapes.append(v)
    order = {"64x64x64": 0, "256x256x256": 1, "1024x1024x1024": 2, "128x784@784x256": 3}
    shapes.sort(key=lambda v: order.get(v, 9))
    print("\nmatmul (f32)            GFLOP/s: axon  gemm+alloc  gemm   time axon/gemm  axon/gemm+alloc")
    for v in shapes:
        t = {f: (tt, th) for f, vv, tt, th in mm if vv == v}
        def gf(f):
            return t[f][1]["Elements"] / t[f][0] / 1e9 if f in t else float("nan")
        def ratio(f):
            return t["axon"][0] / t[f][0] if f in t and "axon" in t else float("nan")
        print(f"  {v:<20} {gf('axon'):17.1f} {gf('gemm_alloc'):11.1f} {gf('gemm'):6.1f}"
              f" {ratio('gemm'):15.2f} {ratio('gemm_alloc'):16.2f}")

# Bandwidth-bound groups: time and effective GB/s (bytes read + written).
for group, title in (("elementwise", "elementwise, 1M f32"), ("reduce", "reductions, (1000, 1000) f32")):
    rows = rows_of(group)
    if not rows:
        continue
    print(f"\n{title:<30} {'median':>10} {'GB/s':>7}")
    for f, v, t, th in rows:
        name = "/".join(x for x in (f, v) if x)
        gbs = th.get("Bytes", 0) / t / 1e9 if "Bytes" in th else float("nan")
        print(f"  {name:<28} {fmt_time(t):>10} {gbs:7.2f}")

# Per-op overhead.
rows = rows_of("tiny")
if rows:
    print(f"\nper-op overhead, (4,) f32      {'ns/op':>10}")
    for f, v, t, _ in rows:
        print(f"  {f:<28} {t * 1e9:10.0f}")
rows = rows_of("chain100")
if rows:
    print(f"\nchain of 100 tiny ops          {'total':>10} {'ns/op':>7}")
    for f, v, t, th in rows:
        print(f"  {f:<28} {fmt_time(t):>10} {t * 1e9 / th.get('Elements', 1):7.0f}")

# MLP step.
rows = rows_of("mlp_step")
if rows:
    print(f"\nMLP 784-128-10 f32             {'median':>10} {'per sample':>11}")
    for f, v, t, _ in sorted(rows, key=lambda r: (int(r[1]), r[0])):
        print(f"  {f + ', batch ' + v:<28} {fmt_time(t):>10} {fmt_time(t / int(v)):>11}")
PY
