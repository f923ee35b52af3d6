#!/usr/bin/env bash
# jazzd on aarch64 without a Pi: builds a 64-bit ARM environment on this x86-64 Debian 12
# machine and runs jazzd in it under qemu-user, then compares its renders with this
# machine's byte for byte.
#
#   sudo packaging/aarch64-check.sh [WORKDIR]      (default: $TMPDIR/jazzd-aarch64)
#
# - qemu-user-static from Debian (installed with apt-get when missing: needs root);
# - an arm64 sysroot unpacked from Debian 12's own arm64 packages (python3.11, libasound2,
#   libstdc++6: what the wheels link against; jackd2: an arm64 JACK server and
#   jack_midi_dump), fetched with a private apt configuration, so this machine's apt
#   state is left alone;
# - jazzd (a wheel built from this tree) and its runtime dependencies from their
#   manylinux aarch64 wheels on PyPI (pip install --target --platform, never built here);
# - the emulated CPU is a Cortex-A72 (the Raspberry Pi 4's), and the sysroot carries the
#   /proc/cpuinfo a Pi 4 shows: qemu 7.2 passes this machine's x86 one through, and
#   onnxruntime's CPU probe crashes on it (SIGSEGV in `import onnxruntime`).
#
# Then, under emulation: `jazzd --version`, `jazzd --list-ports`, and `--render` of .mid
# (and .tokens when this jazzd has it) for seeds 1 2 3 over the embedded loop and over a
# progression; the same renders with this machine's jazzd (`python3 -m jazzd`, or
# $JAZZD_X86); a byte-for-byte comparison, the first differing token when they differ;
# a per-token cost under emulation (a sanity figure: qemu's speed, not a Pi's).
# Last, on armv7 (qemu-arm, Debian's armhf python3.11): the one line setup.py refuses a
# 32-bit system with. Exit 0 when every render is identical and armv7 is refused,
# 1 when a render differs or armv7 is not refused, 2 when the set-up fails.
# What it does not show: ALSA (no sound hardware here), real Pi timing.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

work=${1:-${TMPDIR:-/tmp}/jazzd-aarch64}
mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root
site=$work/site
wheels=$work/wheels
out=$work/out
x86_python=${PYTHON:-python3}
read -r -a x86_jazzd <<<"${JAZZD_X86:-$x86_python -m jazzd}"
seeds=(1 2 3)
progression="D-7 G7 Cmaj7 Cmaj7 F#-7b5 B7 E-7 A7"
bars=16

say() { printf 'aarch64-check: %s\n' "$*"; }
fail() { printf 'aarch64-check: %s\n' "$*" >&2; exit 2; }

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
    say "installing qemu-user-static"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-user-static >/dev/null || fail "cannot install qemu-user-static (run as root)"
fi

# The arm64 sysroot: Debian 12's packages for arm64, resolved and fetched by apt with a
# configuration of its own (an empty dpkg status, so every dependency is fetched), then
# unpacked with dpkg-deb. No maintainer scripts run: none is needed to run Python.
if [ ! -x "$root/usr/bin/python3.11" ]; then
    say "fetching Debian arm64 packages (python3.11, libasound2, libstdc++6, jackd2) into $root"
    apt_dir=$work/apt
    mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/preferences.d \
        "$apt_dir"/etc/sources.list.d "$apt_dir"/state/lists/partial \
        "$apt_dir"/cache/archives/partial
    : >"$apt_dir/state/status"
    cp /etc/apt/sources.list.d/*.sources "$apt_dir/etc/sources.list.d/" 2>/dev/null || true
    [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$apt_dir/etc/sources.list"
    cat >"$apt_dir/apt.conf" <<EOF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
Dir::Etc "$apt_dir/etc";
Dir::Etc::Trusted "/etc/apt/trusted.gpg";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State "$apt_dir/state";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache";
EOF
    APT_CONFIG=$apt_dir/apt.conf apt-get update -qq >/dev/null \
        || fail "apt-get update for arm64 failed"
    APT_CONFIG=$apt_dir/apt.conf apt-get install -y -qq --download-only \
        python3.11 libasound2 libstdc++6 jackd2 >/dev/null \
        || fail "fetching the arm64 packages failed"
    rm -rf "$root"
    mkdir -p "$root"
    for deb in "$apt_dir"/cache/archives/*.deb; do
        dpkg-deb -x "$deb" "$root"
    done
fi

# What a Raspberry Pi 4 (4 x Cortex-A72) shows in /proc/cpuinfo; qemu-user reads a path
# from the sysroot first.
mkdir -p "$root/proc"
{
    for cpu in 0 1 2 3; do
        printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$cpu"
        printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n'
        printf 'CPU part\t: 0xd08\nCPU revision\t: 3\n\n'
    done
    printf 'Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n'
} >"$root/proc/cpuinfo"

# jazzd and its runtime dependencies, aarch64 wheels only (the sysroot's glibc is 2.36).
say "installing jazzd and its aarch64 wheels into $site"
rm -rf "$site" "$wheels" "$work/src"
mkdir -p "$wheels" "$work/src"
# Built from a copy of the tree (its files as git sees them), so no build/ is left here.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - \
    | tar -C "$work/src" -xf -
"$x86_python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -w "$wheels" "$work/src" >/dev/null \
    || fail "building the jazzd wheel failed"
platforms=(--platform manylinux2014_aarch64)
for minor in $(seq 17 36); do
    platforms+=(--platform "manylinux_2_${minor}_aarch64")
done
"$x86_python" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts \
    --target "$site" --find-links "$wheels" "${platforms[@]}" --only-binary=:all: \
    --python-version 3.11 --implementation cp "$wheels"/jazzd-*.whl 2>&1 \
    | grep -v '^WARNING: Location' || true
[ -d "$site/onnxruntime" ] || fail "the aarch64 wheels did not install"

export QEMU_CPU=cortex-a72
arm() {
    PYTHONPATH=$site qemu-aarch64-static -L "$root" "$root/usr/bin/python3.11" "$@"
}
versions='import platform, sys
from importlib.metadata import version
print(f"{platform.machine()} Python {platform.python_version()}", *(
    f"{name} {version(name)}" for name in
    ("jazzd", "onnxruntime", "numpy", "music21", "mido", "python-rtmidi")), sep=", ")'

say "$(qemu-aarch64-static --version | head -1), CPU $QEMU_CPU"
say "arm64: $(arm -c "$versions")"
say "x86:   $("$x86_python" -c "$versions")"

say "arm64: jazzd --version"
arm -m jazzd --version || say "arm64: jazzd --version failed (exit $?)"
# JACK, all arm64: the server (dummy driver) and a jack_midi_dump under qemu too (an arm64
# client cannot talk to this machine's x86 jackd: JACK's shared memory is per-architecture).
server=jazzd-aarch64-$$
pids=()
stop_all() {
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_all EXIT
export JACK_DEFAULT_SERVER=$server
qemu-aarch64-static -L "$root" "$root/usr/bin/jackd" -n "$server" --no-realtime \
    -d dummy -r 48000 -p 1024 >"$work/jackd.log" 2>&1 &
pids+=($!)
jack_up=0
for _ in $(seq 100); do
    if qemu-aarch64-static -L "$root" "$root/usr/bin/jack_lsp" >/dev/null 2>&1; then
        jack_up=1
        break
    fi
    sleep 0.2
done
[ "$jack_up" = 1 ] || say "the arm64 jackd did not start (see $work/jackd.log)"
say "arm64: jazzd --list-ports (an arm64 jackd running)"
arm -m jazzd --list-ports || say "arm64: jazzd --list-ports failed (exit $?)"
if [ "$jack_up" = 1 ]; then
    monitor=aarch64-monitor
    qemu-aarch64-static -L "$root" "$root/usr/bin/jack_midi_dump" "$monitor" \
        >"$work/midi_dump.txt" 2>/dev/null &
    pids=($! "${pids[@]}")
    sleep 3
    say "arm64: jazzd --backend jack --connect $monitor --bars 4 --seed 1 (live, into it)"
    arm -m jazzd --backend jack --connect "$monitor" --bars 4 --seed 1 --bpm 200 \
        --no-status --log-level warning || say "arm64: the live run failed (exit $?)"
    sleep 1
    ons=$(grep -c 'note on' "$work/midi_dump.txt" || true)
    offs=$(grep -c 'note off' "$work/midi_dump.txt" || true)
    say "arm64: jack_midi_dump received $ons note-ons and $offs note-offs" \
        "($(grep -c 'controller 123' "$work/midi_dump.txt" || true) all-notes-off)"
fi

formats=(mid)
if arm -m jazzd --help | tr -s ' \n' ' ' | grep -q '\.tokens'; then
    formats+=(tokens)
else
    say "this jazzd has no --render OUT.tokens: comparing the .mid renders only"
fi

rm -rf "$out"
mkdir -p "$out/arm64" "$out/x86"
differ=0
for source in loop progression; do
    chords=()
    [ "$source" = progression ] && chords=(--progression "$progression")
    for seed in "${seeds[@]}"; do
        for format in "${formats[@]}"; do
            name=$source-seed$seed.$format
            t0=$SECONDS
            arm -m jazzd --render "$out/arm64/$name" --seed "$seed" --bars "$bars" \
                "${chords[@]}" >/dev/null
            t_arm=$((SECONDS - t0))
            "${x86_jazzd[@]}" --render "$out/x86/$name" --seed "$seed" --bars "$bars" \
                "${chords[@]}" >/dev/null
            if cmp -s "$out/arm64/$name" "$out/x86/$name"; then
                say "$name: identical ($(stat -c %s "$out/x86/$name") bytes; arm64 ${t_arm} s)"
            else
                differ=1
                say "$name: DIFFERENT: $("$x86_python" - "$out/arm64/$name" "$out/x86/$name" <<'EOF'
import sys
from pathlib import Path

a, b = (Path(p) for p in sys.argv[1:3])
if a.suffix == ".tokens":
    left, right = a.read_text().splitlines(), b.read_text().splitlines()
    what = "token line"
else:
    import mido
    left, right = ([str(m) for t in mido.MidiFile(p).tracks for m in t] for p in (a, b))
    what = "MIDI message"
for i, (x, y) in enumerate(zip(left, right)):
    if x != y:
        print(f"first at {what} {i + 1}: arm64 {x!r}, x86 {y!r}")
        break
else:
    print(f"one is a prefix of the other ({len(left)} vs {len(right)} {what}s)")
EOF
)"
            fi
        done
    done
done

# The model's probabilities on both machines over the same 400 tokens (the tokens x86
# sampled), and the per-token cost (model step + sampling) under emulation: a sanity
# figure, qemu's speed, not a Pi's.
probe=$(cat <<'EOF'
import sys, time

import numpy as np

from jazzd.generate.step_model import StepModel

model = StepModel.load()
path, replay = sys.argv[1], len(sys.argv) > 2
tokens = list(np.load(sys.argv[2])) if replay else []
rng = np.random.default_rng(0)
index, rows = None, []
start = time.perf_counter()
for step in range(400):
    probs = model.step(index)
    rows.append(probs)
    index = int(tokens[step]) if replay else int(rng.choice(len(probs), p=probs / probs.sum()))
    tokens.append(index)
elapsed = time.perf_counter() - start
np.save(path, np.array(rows, dtype=np.float32))
if not replay:
    np.save(path.replace(".npy", "-tokens.npy"), np.array(tokens))
print(f"{elapsed / 400 * 1e3:.2f} ms per token (model step + sample, 400 tokens)")
EOF
)
x86_cost=$("$x86_python" -c "$probe" "$out/x86/probs.npy")
arm_cost=$(arm -c "$probe" "$out/arm64/probs.npy" "$out/x86/probs-tokens.npy")
say "per-token cost, arm64 under qemu: $arm_cost (a sanity figure, not Pi timing)"
say "per-token cost, x86 natively:     $x86_cost"
say "model probabilities, arm64 vs x86 over the same 400 steps:"
"$x86_python" - "$out" <<'EOF'
import sys

import numpy as np

a = np.load(f"{sys.argv[1]}/arm64/probs.npy").astype(np.float64)
b = np.load(f"{sys.argv[1]}/x86/probs.npy").astype(np.float64)
same = int((a == b).all(axis=1).sum())
print(f"  {same}/{len(a)} steps bit-identical, largest difference {np.abs(a - b).max():.3g}, "
      f"largest cumulative-sum difference {np.abs(np.cumsum(a, 1) - np.cumsum(b, 1)).max():.3g}")

# How often would one uniform draw pick another token on arm64 than on x86? jazzd's
# sampling (cumulative sum, searchsorted), as is and with the probabilities rounded to a
# grid before the cumulative sum (a candidate "robust" sampling), over the same draws.
rng = np.random.default_rng(0)
grids = (None, 1e-6, 1e-4, 1e-3)
flips = dict.fromkeys(grids, 0)
per_step = 250_000


def pick(p: np.ndarray, grid: float | None, u: np.ndarray) -> np.ndarray:
    p = p / p.sum()
    if grid is not None:
        p = np.round(p / grid) * grid
    cumulative = np.cumsum(p)
    return np.searchsorted(cumulative, u * cumulative[-1], side="right")


for pa, pb in zip(a, b, strict=True):
    u = rng.random(per_step)
    for grid in grids:
        flips[grid] += int((pick(pa, grid, u) != pick(pb, grid, u)).sum())
total = per_step * len(a)
for grid in grids:
    label = "as is" if grid is None else f"rounded to {grid:g}"
    print(f"  sampling {label:>17}: {flips[grid]} of {total} draws pick another token "
          f"({flips[grid] / total:.2g} per token)")
EOF

# armv7 (32-bit Raspberry Pi OS): the build hook pip runs first (setup.py) must refuse in
# one line. pip itself cannot spawn its build subprocess under qemu-user without binfmt_misc,
# so the hook runs in-process, as pip's subprocess would run it.
# The CPU: a Cortex-A7, the 32-bit Raspberry Pi 2's.
armhf=$work/armhf
if [ ! -x "$armhf/root/usr/bin/python3.11" ]; then
    say "fetching Debian armhf packages (python3.11, python3-setuptools) into $armhf/root"
    mkdir -p "$armhf"/etc/apt.conf.d "$armhf"/etc/preferences.d "$armhf"/etc/sources.list.d \
        "$armhf"/state/lists/partial "$armhf"/cache/archives/partial "$armhf/root"
    : >"$armhf/state/status"
    cp "$work"/apt/etc/sources.list.d/* "$armhf/etc/sources.list.d/" 2>/dev/null || true
    [ -f "$work/apt/etc/sources.list" ] && cp "$work/apt/etc/sources.list" "$armhf/etc/"
    sed -e 's/"arm64"/"armhf"/g' -e "s|$work/apt|$armhf|g" "$work/apt/apt.conf" >"$armhf/apt.conf"
    APT_CONFIG=$armhf/apt.conf apt-get update -qq >/dev/null \
        || fail "apt-get update for armhf failed"
    APT_CONFIG=$armhf/apt.conf apt-get install -y -qq --download-only python3.11 \
        python3-setuptools >/dev/null || fail "fetching the armhf packages failed"
    for deb in "$armhf"/cache/archives/*.deb; do
        dpkg-deb -x "$deb" "$armhf/root"
    done
fi
say "armv7: the build hook of pip install . (setup.py) on a 32-bit Python:"
set +e
refusal=$(cd "$work/src" && QEMU_CPU=cortex-a7 qemu-arm-static -L "$armhf/root" \
    "$armhf/root/usr/bin/python3.11" \
    -c "from setuptools import build_meta; build_meta.get_requires_for_build_wheel()" 2>&1)
refused=$?
set -e
printf '  %s\n' "$refusal"
say "armv7: exit $refused, $(printf '%s\n' "$refusal" | grep -c .) line(s)"

say "took $((SECONDS - started)) s"
if [ "$refused" -eq 0 ]; then
    say "armv7 was not refused"
    exit 1
fi
if [ "$differ" -ne 0 ]; then
    say "some arm64 renders differ from x86"
    exit 1
fi
say "every arm64 render is identical to x86"
