# The Go toolchain and GOEXPERIMENT every build of this project uses: GoMLX v0.28.16 needs Go 1.27,
# and GOEXPERIMENT=simd turns on its AVX2/AVX-512 CPU kernels (a transformer training step ran
# 4.6x faster with it). Go 1.21+ downloads the 1.27.4 toolchain by itself.
export GOTOOLCHAIN := go1.27.4
export GOEXPERIMENT := simd
HF_CACHE ?= $(if $(HF_HUB_CACHE),$(HF_HUB_CACHE),../shared/hf-cache)

NB_OUT ?= $(CURDIR)/runs/notebooks-executed

.PHONY: test check vet-xla e2e notebooks notebooks-real data build build-xla bench fixture

test:
	go test ./...

# What CI runs: the tests, the browser test of the web demo, then every notebook executed
# headlessly in quick mode.
check: test vet-xla e2e notebooks

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

# Re-execute the committed notebooks in place on the full data (uses runs/default-seed1, training
# it first if missing: about 10 minutes on 2 cores).
notebooks-real:
	go run ./kernelsetup
	cd notebooks && for nb in [0-9]*.ipynb; do \
	  jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=gonb \
	    --ExecutePreprocessor.timeout=3600 $$nb || exit 1; \
	done

data:
	go run ./cmd/sentiment data --hf-cache $(HF_CACHE)

build:
	go build -o bin/sentiment ./cmd/sentiment

# The command with GoMLX's XLA backend linked as well (cgo; runs on NVIDIA GPUs through a PJRT
# plugin, see README "GPU"): bin/sentiment-xla. With it linked, XLA becomes GoMLX's default
# backend; GOMLX_BACKEND=go selects the pure-Go one.
build-xla:
	CGO_ENABLED=1 go build -tags xla -ldflags='-s -w' -o bin/sentiment-xla ./cmd/sentiment

bench:
	IMDB_BENCH_CACHE=$(abspath $(HF_CACHE)) go test ./sentimentlib/... -run '^$$' -bench . -benchtime 3x

fixture:
	go run ./data/mkfixture --from $(HF_CACHE) --to data/hf-cache
