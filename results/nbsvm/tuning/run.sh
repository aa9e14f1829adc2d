#!/usr/bin/env bash
# The nbsvm tuning grid (results/nbsvm/README.md): learning rate x epochs x weight decay, seeds
# 1-3, on the default validation split and on the block split (data.validation_block=250), with
# no_test=true so that no test number is ever computed. Run from the repository root after
# `make build`; the runs go to runs/nbsvm-tuning/, and reruns skip finished ones.
set -u
out=runs/nbsvm-tuning
mkdir -p $out
for lr in 0.02 0.05 0.1; do for ep in 1 2; do for wd in 0 0.01 0.1; do
  for split in default block250; do for seed in 1 2 3; do
    name=lr$lr-ep$ep-wd$wd-$split-seed$seed
    extra=""; [ $split = block250 ] && extra="--set data.validation_block=250"
    [ -f $out/$name/results.json ] && continue
    bin/sentiment train --preset nbsvm --seed $seed --epochs $ep --set learning_rate=$lr --set weight_decay=$wd \
      --set no_test=true $extra --hf-cache ${HF_CACHE:-../shared/hf-cache} --out $out/$name >/dev/null 2>$out/$name.log || echo "FAILED $name"
  done; done
done; done; done
