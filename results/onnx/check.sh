#!/bin/bash
# Real runs exported, then run by ONNX Runtime for Node over the whole validation split.
cd /work/main
echo "# commit $(git rev-parse --short HEAD), $(date -u +%F), $(nproc) cores; make build-onnx, then:"
mkdir -p runs/onnx
for r in nbsvm-seed1 regions-tv-seed1 notebook-default-seed1; do
  echo "\$ bin/sentiment-onnx export --model runs/$r --onnx runs/onnx/$r.onnx --batch 16 --sample 2500 --hf-cache ../shared/hf-cache"
  bin/sentiment-onnx export --model runs/$r --onnx runs/onnx/$r.onnx --batch 16 --sample 2500 --hf-cache ../shared/hf-cache
  echo "\$ node bench/onnx/run.mjs runs/onnx/$r.onnx.json runs/onnx/$r.onnx.sample.json > /dev/null"
  /usr/bin/time -f "(%e s wall, %M KB peak RSS)" node bench/onnx/run.mjs runs/onnx/$r.onnx.json runs/onnx/$r.onnx.sample.json > /dev/null
  echo "exit status $?"
  ls -l runs/onnx/$r.onnx | awk '{print "model file: " $5 " bytes"}'
done
