#!/usr/bin/env bash
# Hear-less try-out of jazzd on a machine without sound hardware (a server, a container,
# CI): starts a JACK server with the dummy driver unless one is running, shows the MIDI
# notes with jack_midi_dump, and runs jazzd into it. Arguments go to jazzd, e.g.
#   packaging/try-jazzd.sh --bars 8 --seed 1
#   packaging/try-jazzd.sh --progression "Dm7 G7 Cmaj7 Cmaj7"
# Stop with Ctrl-C: jazzd sends note-offs and all-notes-off, then everything is shut down.
# On a desktop or a Raspberry Pi with ALSA, run plain `jazzd` instead.
set -euo pipefail

for tool in jackd jack_lsp jack_midi_dump; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "try-jazzd: $tool is missing: sudo apt-get install --no-install-recommends jackd2" >&2
        exit 2
    fi
done
if command -v jazzd >/dev/null 2>&1; then
    JAZZD=(jazzd)
else
    JAZZD=(python3 -m jazzd)
fi

# The helpers run in their own sessions, so Ctrl-C reaches only jazzd; they are stopped
# after it (the monitor first, so it prints jazzd's last note-offs, then the server).
pids=()
cleanup() {
    sleep 0.2
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# JACK as a user should run it: real-time (its default), so its threads are not outranked
# by jazzd's real-time player. Where this user may not use real-time scheduling (no
# rtprio limit: not in the audio group), or the real-time server does not start, it runs
# without, saying so once (jazzd then gets no real-time priority either).
start_jackd() {
    setsid jackd "$1" -d dummy -r 48000 -p 64 >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do
        jack_lsp >/dev/null 2>&1 && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || return 1
        sleep 0.1
    done
    jack_lsp >/dev/null 2>&1
}
if ! jack_lsp >/dev/null 2>&1; then
    log="${TMPDIR:-/tmp}/try-jazzd-jackd.log"
    if ! chrt -f 1 true 2>/dev/null; then
        echo "try-jazzd: real-time scheduling is not permitted here, JACK runs without it" \
            "(for steadier timing: sudo usermod -aG audio ${USER:-\$USER}, log in again)" >&2
        mode=--no-realtime
    else
        mode=--realtime
    fi
    echo "try-jazzd: starting a JACK server ($mode, dummy driver, 48 kHz, 64 frames); log: $log" >&2
    if ! start_jackd "$mode"; then
        if [ "$mode" = --realtime ]; then
            echo "try-jazzd: the real-time JACK server did not start (see $log)," \
                "starting it without real-time scheduling" >&2
            cleanup
            pids=()
            start_jackd --no-realtime || { echo "try-jazzd: jackd did not start, see $log" >&2; exit 2; }
        else
            echo "try-jazzd: jackd did not start, see $log" >&2
            exit 2
        fi
    fi
fi

monitor="jazzd-monitor-$$"
setsid stdbuf -oL jack_midi_dump "$monitor" &
pids=($! "${pids[@]}")
for _ in $(seq 50); do
    jack_lsp 2>/dev/null | grep -qx "$monitor:input" && break
    sleep 0.1
done

# --no-status: jack_midi_dump prints on this terminal too, and a status line would run into it.
"${JAZZD[@]}" --backend jack --connect "$monitor" --no-status "$@"
