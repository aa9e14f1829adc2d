# The Go toolchain and GOEXPERIMENT every build of this project uses: GoMLX v0.28.16 needs Go 1.27,
# and GOEXPERIMENT=simd turns on its AVX2/AVX-512 CPU kernels (a transformer training step ran
# 4.6x faster with it). Go 1.21+ downloads the 1.27.4 toolchain by itself.
export GOTOOLCHAIN := go1.27.4
export GOEXPERIMENT := simd
# The Hugging Face cache: HF_CACHE=DIR, else the command finds it (HF_HUB_CACHE, HF_HOME, the
# default cache, then a ../shared/hf-cache beside the checkout) or downloads into the default.
HF_CACHE ?=
CACHE_FLAG = $(if $(HF_CACHE),--hf-cache $(HF_CACHE))

NB_OUT ?= $(CURDIR)/runs/notebooks-executed

.PHONY: train train-best test check kernel vet-xla e2e onnx-check build-onnx notebooks notebooks-real data build build-xla bench fixture

# The main job: train the recommended model (NB-weighted n-grams, about 8 s on 2 cores) on IMDB
# and print its test metrics; a second run prints the saved ones.
train: build
	bin/sentiment train --preset nbsvm $(CACHE_FLAG) --out runs/nbsvm-seed1

# The most accurate model, trained on all 25,000 training reviews (refits) with the settings
# chosen on validation by the same runs without refit (results/refit): nbsvm; the tv-embedding
# pretrained on the training and unlabeled reviews; the region CNN fine-tuned from it; the two
# mixed with BEST_WEIGHT, nbsvm's weight chosen on validation by those twins. Nothing here reads
# validation; test is read once. Each step resumes or reuses a finished run.
BEST_WEIGHT ?= 0.80
train-best: build
	bin/sentiment train --preset nbsvm --set refit=true $(CACHE_FLAG) --out runs/nbsvm-refit-seed1
	bin/sentiment pretrain --preset regions --set refit=true $(CACHE_FLAG) --out runs/regions-pretrain-refit-seed1
	bin/sentiment train --preset regions --init runs/regions-pretrain-refit-seed1 --set refit=true $(CACHE_FLAG) --out runs/regions-tv-refit-seed1
	bin/sentiment ensemble --weight $(BEST_WEIGHT) runs/nbsvm-refit-seed1 runs/regions-tv-refit-seed1

test:
	go test ./...

# Builds GoNB and registers the Jupyter kernel the notebooks run on.
kernel:
	go run ./kernelsetup

# What CI runs: the tests, the browser test of the web demo, the ONNX export in ONNX Runtime,
# then every notebook executed headlessly in quick mode.
check: test vet-xla e2e onnx-check notebooks

# The GPU build (make build-xla) compiles and vets: it is behind a build tag, so go test skips it.
vet-xla:
	CGO_ENABLED=1 go vet -tags xla ./cmd/sentiment

# The web demo in headless Chromium (Debian: apt-get install -y chromium); screenshot in runs/e2e.
e2e:
	E2E_ARTIFACTS=$(CURDIR)/runs/e2e go test -tags e2e -count=1 -run Browser -v ./sentimentlib/server/

# Install the GoNB kernel, then execute each notebook in quick mode (SENTIMENT_QUICK=1) into
# $(NB_OUT), failing on the first cell error. The committed notebooks are left untouched.
notebooks:
	go run ./kernelsetup
	mkdir -p $(NB_OUT)
	cd notebooks && for nb in [0-9]*.ipynb; do \
	  echo "executing $$nb (quick)"; \
	  SENTIMENT_QUICK=1 jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=gonb \
	    --ExecutePreprocessor.timeout=1800 --output-dir $(NB_OUT) $$nb || exit 1; \
	done

# Re-execute the committed notebooks in place on the full data (their outputs then scrubbed of
# the machine's paths). Notebook 2 trains the default
# transformer afresh into runs/notebook-default-seed1 (a few minutes on 2 cores), which notebooks
# 3 and 4 read; notebook 5 trains the NB n-gram model.
notebooks-real:
	rm -rf runs/notebook-default-seed1 runs/notebook-nbsvm-seed1
	go run ./kernelsetup
	cd notebooks && for nb in [0-9]*.ipynb; do \
	  jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=gonb \
	    --ExecutePreprocessor.timeout=3600 $$nb || exit 1; \
	done
	python3 scripts/scrub-notebooks.py $(CURDIR) notebooks/[0-9]*.ipynb

data:
	go run ./cmd/sentiment data $(CACHE_FLAG)

build:
	go build -o bin/sentiment ./cmd/sentiment

# The command with GoMLX's XLA backend linked as well (cgo; runs on NVIDIA GPUs through a PJRT
# plugin, see docs/gpu.md): bin/sentiment-xla. With it linked, XLA becomes GoMLX's default
# backend; GOMLX_BACKEND=go selects the pure-Go one.
build-xla:
	CGO_ENABLED=1 go build -tags xla -ldflags='-s -w' -o bin/sentiment-xla ./cmd/sentiment

bench:
	IMDB_BENCH_CACHE=$(abspath $(or $(HF_CACHE),../shared/hf-cache)) go test ./sentimentlib/... -run '^$$' -bench . -benchtime 3x

fixture:
	go run ./data/mkfixture --from $(or $(HF_CACHE),../shared/hf-cache) --to data/hf-cache

# The ONNX export: bin/sentiment-onnx (cgo, the onnx build tag; the export runs GoMLX's ONNX
# backend on the ONNX Runtime library that npm's onnxruntime-node ships).
ORT_LIB = $(CURDIR)/bench/onnx/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
export ONNXRUNTIME_SHARED_LIBRARY_PATH ?= $(ORT_LIB)

bench/onnx/node_modules: bench/onnx/package.json bench/onnx/package-lock.json
	cd bench/onnx && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

build-onnx: bench/onnx/node_modules
	CGO_ENABLED=1 go build -tags onnx -o bin/sentiment-onnx ./cmd/sentiment

# Exported models run in ONNX Runtime for Node against ours (logits within 1e-4, the same
# labels, the same tokenizer ids from @huggingface/tokenizers).
onnx-check: bench/onnx/node_modules
	GOMLX_NO_AUTO_INSTALL=1 CGO_ENABLED=1 go test -tags onnx -count=1 -run ONNX -v ./sentimentlib/ ./cmd/sentiment/
	E2E_ARTIFACTS=$(CURDIR)/runs/e2e GOMLX_NO_AUTO_INSTALL=1 CGO_ENABLED=1 go test -tags 'onnx e2e' -count=1 -run WebDemo -v ./sentimentlib/
