#!/usr/bin/env bash
# Drives `okta-idsrc emulator` with the official Okta Python SDK (tests/python/sdk_test.py).
#
#   tests/python/run.sh [PATH/TO/okta-idsrc]
#
# Without an argument it builds the release CLI (cargo build --release -p okta-idsrc-cli) and
# uses it from $CARGO_TARGET_DIR (default: target/). Creates a virtual environment
# ($OKTA_SDK_VENV, default target/python-sdk-venv), installs requirements.txt into it, starts
# the emulator on a free loopback port, runs the script, stops the emulator. Exits non-zero on
# any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

if [[ $# -ge 1 ]]; then
    binary="$1"
else
    (cd "$root" && cargo build --release -p okta-idsrc-cli)
    binary="$target/release/okta-idsrc"
fi
[[ -x "$binary" ]] || { echo "run.sh: $binary is not an executable" >&2; exit 2; }

venv="${OKTA_SDK_VENV:-$target/python-sdk-venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

token="sdk-token-$RANDOM$RANDOM"
source_id="0oapythonsdk00000001"
out="$(mktemp)"
# A short import delay keeps a triggered session TRIGGERED long enough for the
# "load after the trigger" check.
"$binary" emulator --listen 127.0.0.1:0 --token "$token" --identity-source "$source_id" \
    --import-delay-ms 300 >"$out" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -f "$out"' EXIT

url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^okta-idsrc emulator listening on //p' "$out" | head -n 1)"
    [[ -n "$url" ]] && break
    kill -0 "$emulator" 2>/dev/null || { echo "run.sh: the emulator exited" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$url" ]] || { echo "run.sh: the emulator did not start" >&2; exit 1; }

timeout 110 "$venv/bin/python" "$here/sdk_test.py" \
    --org-url "$url" --token "$token" --source "$source_id" --binary "$binary"
