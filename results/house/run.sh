#!/usr/bin/env bash
# Usage: results/house/run.sh BIN OUTDIR (from the repository root): every preset's --quick run (train and pretrain), the two --init fine-tunes, and nbsvm seed 1 in full.
set -u
BIN=$1; OUT=$2; C=${HF_CACHE:-../shared/hf-cache}
mkdir -p $OUT
for p in default nbsvm ngrams regions compare gpu; do
  $BIN train --preset $p --quick --hf-cache $C --out $OUT/train-$p > $OUT/train-$p.log 2>&1; echo "train $p rc=$?"
done
for p in cpu cpu-contrastive gpu regions; do
  $BIN pretrain --preset $p --quick --hf-cache $C --out $OUT/pre-$p > $OUT/pre-$p.log 2>&1; echo "pretrain $p rc=$?"
done
$BIN train --preset regions --quick --init $OUT/pre-regions --hf-cache $C --out $OUT/train-regions-init > $OUT/train-regions-init.log 2>&1; echo "regions-init rc=$?"
$BIN train --preset default --quick --init $OUT/pre-cpu --hf-cache $C --out $OUT/train-default-init > $OUT/train-default-init.log 2>&1; echo "default-init rc=$?"
$BIN train --preset nbsvm --seed 1 --hf-cache $C --out $OUT/nbsvm-seed1 > $OUT/nbsvm-seed1.log 2>&1; echo "nbsvm full rc=$?"
