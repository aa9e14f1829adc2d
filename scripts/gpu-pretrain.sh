#!/usr/bin/env bash
# The GPU pretraining experiment of docs/pretraining.md, on one NVIDIA GPU, with the xla build
# of the command (make build-xla) and JAX's CUDA PJRT plugin (pip jax-cuda13-pjrt) for XLA.
#
#   scripts/gpu-pretrain.sh probe OUT   # a few hundred steps of each job: checks the GPU path, prints speeds
#   scripts/gpu-pretrain.sh main OUT    # the experiment; STEPS_CPU sets the cpu preset's steps
#                                       # (0: skip it), STEPS_GPU the gpu preset's (default: the
#                                       # preset's 2,500); EXTRA_TRAIN adds flags to every fine-tune;
#                                       # SCRATCH_SEEDS (default "1 2 3") picks the from-scratch runs
#
# main pretrains, at the same time on the one GPU:
#   runs/gpu/pretrain-gpu-seed1   preset gpu (4 layers, 256 wide, 512 tokens)
#   runs/gpu/pretrain-cpu-seed1   preset cpu (the default classifier's encoder), STEPS_CPU steps,
#                                 to fine-tune on CPU
# then fine-tunes preset gpu, seeds 1-3, from scratch and --init pretrain-gpu-seed1, all at once,
# and packs every run's config, results, metrics, logits and log into OUT/runs.tgz. Weights stay
# out, except the encoders: the small cpu-preset one in OUT/encoder-cpu.tgz (to fine-tune on
# CPU), the gpu-preset one in OUT/encoder-gpu.tgz.part-aa, -ab, ... (15 MB pieces, the most a
# device call brings back per file; cat them together to unpack).
set -uo pipefail
mode=${1:?probe or main}
out=${2:?output directory}
mkdir -p "$out"
BIN=${BIN:-bin/sentiment-xla}
R=${RUNS:-runs/gpu}
start=$(date +%s)

user_backend=${GOMLX_BACKEND:-}
. "$(dirname "$0")/cuda-env.sh" || exit 2
# Many processes share the GPU: no preallocation.
[ -n "$user_backend" ] || export GOMLX_BACKEND=$GOMLX_BACKEND,preallocate=false
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 10 > "$out/gpu-util.csv" 2>&1 &
smi=$!
mkdir -p "$R"

pack() {
  local sleeper; sleeper=$(pgrep -P "$watchdog") # its sleep, which would hold the caller's pipe open
  kill "$watchdog" "$smi" 2>/dev/null
  [ -n "$sleeper" ] && kill $sleeper 2>/dev/null
  tar czf "$out/runs.tgz" --exclude='*.ckpt' --exclude='tokenizer.json' "$R" 2>/dev/null
  [ -f "$R/pretrain-cpu-seed1/encoder.ckpt" ] && tar czf "$out/encoder-cpu.tgz" -C "$R" \
    pretrain-cpu-seed1/encoder.ckpt pretrain-cpu-seed1/tokenizer.json pretrain-cpu-seed1/config.json pretrain-cpu-seed1/results.json
  [ -f "$R/pretrain-gpu-seed1/encoder.ckpt" ] && tar cz -C "$R" pretrain-gpu-seed1/encoder.ckpt pretrain-gpu-seed1/tokenizer.json \
    pretrain-gpu-seed1/config.json pretrain-gpu-seed1/results.json | split -b 15000000 - "$out/encoder-gpu.tgz.part-"
  echo "packed after $(( $(date +%s) - start )) s"; ls -la "$out"
}
trap pack EXIT

# EXTRA_TRAIN / EXTRA_PRETRAIN: more flags for every train / pretrain (a dry run on CPU: --quick ...)
EXTRA_TRAIN=${EXTRA_TRAIN:-} EXTRA_PRETRAIN=${EXTRA_PRETRAIN:-}
pids=()
run() { # name args...: run the command in the background, its log in $R/name.log
  local name=$1; shift
  local extra=$EXTRA_TRAIN
  [ "$1" = pretrain ] && extra=$EXTRA_PRETRAIN
  "$BIN" "$@" $extra > "$R/$name.log" 2>&1 &
  pids+=($!)
}
waitall() { wait "${pids[@]}"; pids=(); }
# Past DEADLINE seconds, interrupt every run (each stops cleanly, resumable) so that the results
# are packed before the caller's time limit.
( sleep "${DEADLINE:-540}"; echo "deadline: interrupting"; pkill -INT -f "^$BIN " ) &
watchdog=$!
summary() { for f in "$R"/*.log; do echo "== $f"; tr '\r' '\n' < "$f" | grep -v '^\[' | tail -4; tr '\r' '\n' < "$f" | grep '^\[' | tail -1; done; }

case $mode in
probe)
  run pretrain-gpu pretrain --preset gpu --steps 300 --set eval_every_steps=300 --set held_out=500 --out "$R/probe-pretrain-gpu"
  run pretrain-cpu pretrain --preset cpu --steps 300 --set eval_every_steps=300 --set held_out=500 --out "$R/probe-pretrain-cpu"
  run train-gpu train --preset gpu --epochs 1 --set max_train_reviews=6400 --out "$R/probe-train-gpu"
  waitall
  summary
  ;;
main)
  : "${STEPS_CPU:?}"
  gpu_steps=()
  [ -n "${STEPS_GPU:-}" ] && gpu_steps=(--steps "$STEPS_GPU" --set warmup_steps=$((STEPS_GPU / 16)) --set eval_every_steps=$((STEPS_GPU / 4)))
  run pretrain-gpu pretrain --preset gpu "${gpu_steps[@]}" --out "$R/pretrain-gpu-seed1"
  [ "$STEPS_CPU" -gt 0 ] && run pretrain-cpu pretrain --preset cpu --steps "$STEPS_CPU" --set length_buckets=2 --set warmup_steps=$((STEPS_CPU / 16)) \
    --set eval_every_steps=$((STEPS_CPU / 2)) --out "$R/pretrain-cpu-seed1"
  waitall
  echo "pretrained after $(( $(date +%s) - start )) s"
  for s in ${SCRATCH_SEEDS-1 2 3}; do
    run gpu-seed$s train --preset gpu --seed $s --out "$R/gpu-seed$s"
  done
  for s in 1 2 3; do
    run pretrained-gpu-seed$s train --preset gpu --seed $s --init "$R/pretrain-gpu-seed1" --out "$R/pretrained-gpu-seed$s"
  done
  waitall
  echo "fine-tuned after $(( $(date +%s) - start )) s"
  summary
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
