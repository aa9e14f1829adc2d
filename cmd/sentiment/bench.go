package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// cmdBench runs `sentiment bench`: speed against a peer (bench/), the default preset's transformer
// against PyTorch (training and inference), or with --peer nbsvm the nbsvm preset end to end
// against scikit-learn's NBSVM (benchNBSVM).
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	cache := fs.String("hf-cache", "", cacheHelp)
	steps := fs.Int("steps", 60, "timed training steps per measurement")
	infer := fs.Int("infer", 256, "reviews for the inference timings")
	repeats := fs.Int("repeats", 3, "measurements of each implementation, interleaved")
	python := fs.String("python", "python3", "Python with PyTorch (or scikit-learn, for --peer nbsvm) for the peer ('' to skip it)")
	peerName := fs.String("peer", "torch", "the peer: torch (the default preset's transformer against PyTorch: training and inference speed), nbsvm (the nbsvm preset end to end against scikit-learn's NBSVM) or regions (the tv-embedding's pretraining step against PyTorch's sparse embeddings; at most 30 steps)")
	script := fs.String("script", "", "the peer script (default bench/torch_peer.py or bench/nbsvm_peer.py)")
	threads := fs.Int("threads", runtime.NumCPU(), "threads of the PyTorch peer (GoMLX uses every core)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *peerName {
	case "nbsvm":
		return benchNBSVM(ctx, *cache, *python, cmp.Or(*script, "bench/nbsvm_peer.py"), *repeats, stdout, stderr)
	case "regions":
		return benchRegions(ctx, *python, cmp.Or(*script, "bench/regions_peer.py"), *threads, min(*steps, 30), *repeats, stdout, stderr)
	case "torch":
	default:
		return fmt.Errorf("--peer %q: want torch, nbsvm or regions", *peerName)
	}
	peer := cmp.Or(*script, "bench/torch_peer.py")
	cfg, err := sentimentlib.Preset("default", false)
	if err != nil {
		return err
	}
	cfg.Data.CacheDir = *cache
	prep, err := sentimentlib.PrepareData(ctx, cfg.Data)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sentiment-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := experiments.ExportTokens(prep, cfg, tmp); err != nil {
		return err
	}
	var goRes, ptRes []experiments.BenchResult
	for r := range *repeats {
		g, err := experiments.BenchGo(ctx, prep, cfg, *steps, *infer)
		if err != nil {
			return err
		}
		goRes = append(goRes, g)
		fmt.Fprintf(stderr, "repeat %d: %s %.1f reviews/s training\n", r+1, g.Peer, g.TrainReviewsPerSec)
		if *python == "" {
			continue
		}
		cmd := exec.CommandContext(ctx, *python, peer, "--data", tmp, "--steps", fmt.Sprint(*steps),
			"--infer", fmt.Sprint(*infer), "--threads", fmt.Sprint(*threads))
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("bench: the PyTorch peer (%s %s) failed: %w; it needs PyTorch: Debian apt-get install -y python3-torch libopenblas0-pthread, and --python /usr/bin/python3 when the python3 on PATH is another (--python '' skips the peer)", *python, peer, err)
		}
		var pr experiments.BenchResult
		if err := json.Unmarshal(out, &pr); err != nil {
			return fmt.Errorf("bench: the peer's output %q: %w", out, err)
		}
		ptRes = append(ptRes, pr)
		fmt.Fprintf(stderr, "repeat %d: %s %.1f reviews/s training\n", r+1, pr.Peer, pr.TrainReviewsPerSec)
	}
	printBench(stdout, goRes, ptRes)
	return nil
}

// benchNBSVM runs `--peer nbsvm`: the nbsvm preset end to end, then the scikit-learn peer on
// the same split, repeats times each, and prints them side by side.
func benchNBSVM(ctx context.Context, cache, python, script string, repeats int, stdout, stderr io.Writer) error {
	cfg, err := sentimentlib.Preset("nbsvm", false)
	if err != nil {
		return err
	}
	cfg.Data.CacheDir = cache
	var ours, peers []*experiments.EndToEnd
	for r := range max(repeats, 1) {
		o, p, err := experiments.BenchNBSVM(ctx, cfg, experiments.NBSVMPeerOptions{Python: python, Script: script}, io.Discard)
		if err != nil {
			return err
		}
		ours = append(ours, o)
		fmt.Fprintf(stderr, "repeat %d: ours %.1f s, test accuracy %.4f", r+1, o.Seconds, o.TestAccuracy)
		if p != nil {
			peers = append(peers, p)
			fmt.Fprintf(stderr, "; peer %.1f s, test accuracy %.4f", p.Seconds, p.TestAccuracy)
		}
		fmt.Fprintln(stderr)
	}
	fmt.Fprint(stdout, experiments.EndToEndTable(ours, peers))
	return nil
}

// benchRegions runs `--peer regions`: the tv-embedding's sparse training step (plain SGD,
// momentum, lazy Adam) against the PyTorch peer on the same exported batches, interleaved, then the
// work's GFLOP/s against each side's 1024^3 matrix product.
func benchRegions(ctx context.Context, python, script string, threads, steps, repeats int, stdout, stderr io.Writer) error {
	pc, err := sentimentlib.PretrainPreset("regions", false)
	if err != nil {
		return err
	}
	vocab, dim := pc.Regions.Vocab+2, pc.Regions.TVDim
	batches := experiments.TVBatches(8, vocab)
	tmp, err := os.MkdirTemp("", "sentiment-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := experiments.ExportTVBatches(tmp, batches, vocab, dim); err != nil {
		return err
	}
	ours, peers := map[string][]float64{}, map[string][]float64{}
	var names []string
	var goMatmul, peerMatmul []float64
	for r := range max(repeats, 1) {
		for _, opt := range experiments.TVOptimizers {
			res, err := experiments.BenchTVGo(batches, vocab, dim, opt, steps)
			if err != nil {
				return err
			}
			if r == 0 {
				names = append(names, res.Optimizer)
			}
			ours[res.Optimizer] = append(ours[res.Optimizer], res.RegionsPerSec)
		}
		g, err := experiments.MatmulGFlops(5)
		if err != nil {
			return err
		}
		goMatmul = append(goMatmul, g)
		if python == "" {
			continue
		}
		p, err := experiments.RunTVPeer(ctx, python, script, tmp, threads, steps, stderr)
		if err != nil {
			return err
		}
		for _, res := range p.Results {
			peers[res.Optimizer] = append(peers[res.Optimizer], res.RegionsPerSec)
		}
		peerMatmul = append(peerMatmul, p.MatmulGFlops)
		fmt.Fprintf(stderr, "repeat %d done\n", r+1)
	}
	flops := experiments.TVFlops(batches[0], dim)
	fmt.Fprintf(stdout, "tv-embedding step, %d regions of %d words, %d slots, vocabulary %d x %d; %d steps x %d interleaved repeats (mean, min-max)\n",
		batches[0].Rows, batches[0].Q, batches[0].Slots, vocab, dim, steps, max(repeats, 1))
	fmt.Fprintf(stdout, "%-22s %-28s %-28s %s\n", "regions/s", "ours (package sparse)", "pytorch (sparse)", "ours vs peer")
	for _, n := range names {
		line := fmt.Sprintf("%-22s %-28s", n, meanRange(ours[n], "%.0f"))
		if len(peers[n]) > 0 {
			line += fmt.Sprintf(" %-28s %.1fx", meanRange(peers[n], "%.0f"), mean(ours[n])/mean(peers[n]))
		}
		fmt.Fprintln(stdout, line)
	}
	for _, n := range names {
		fmt.Fprintf(stdout, "%s: %.0f flops a region: %.1f GFLOP/s, %.1f%% of GoMLX's 1024^3 matmul (%s GFLOP/s)", n, flops,
			mean(ours[n])*flops/1e9, 100*mean(ours[n])*flops/1e9/mean(goMatmul), meanRange(goMatmul, "%.1f"))
		if len(peers[n]) > 0 {
			fmt.Fprintf(stdout, "; the peer %.1f GFLOP/s, %.1f%% of its own (%s GFLOP/s)", mean(peers[n])*flops/1e9,
				100*mean(peers[n])*flops/1e9/mean(peerMatmul), meanRange(peerMatmul, "%.1f"))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// spread is the mean, the least and the largest of xs.
func spread(xs []float64) (mean, lo, hi float64) {
	for i, x := range xs {
		mean += x / float64(len(xs))
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return mean, lo, hi
}

func mean(xs []float64) float64 {
	m, _, _ := spread(xs)
	return m
}

// meanRange formats xs as "mean (min-max)".
func meanRange(xs []float64, f string) string {
	m, lo, hi := spread(xs)
	return fmt.Sprintf(f+" ("+f+"-"+f+")", m, lo, hi)
}

// printBench prints the mean (min-max) of each measure and the ratio ours/peer.
func printBench(w io.Writer, ours, peer []experiments.BenchResult) {
	stat := func(rs []experiments.BenchResult, f func(experiments.BenchResult) float64) (mean, lo, hi float64) {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return spread(xs)
	}
	measures := []struct {
		name         string
		f            func(experiments.BenchResult) float64
		higherBetter bool
	}{
		{"training, reviews/s", func(r experiments.BenchResult) float64 { return r.TrainReviewsPerSec }, true},
		{"inference batch 1, ms/review", func(r experiments.BenchResult) float64 { return r.InferMsBatch1 }, false},
		{"inference batch 64, reviews/s", func(r experiments.BenchResult) float64 { return r.InferReviewsPerSec64 }, true},
	}
	peerName := "(no peer)"
	if len(peer) > 0 {
		peerName = peer[0].Peer
	}
	fmt.Fprintf(w, "%-31s %-26s %-26s %s\n", "measure (mean, min-max)", ours[0].Peer, peerName, "ours vs peer")
	for _, m := range measures {
		om, olo, ohi := stat(ours, m.f)
		line := fmt.Sprintf("%-31s %-26s", m.name, fmt.Sprintf("%.1f (%.1f-%.1f)", om, olo, ohi))
		if len(peer) > 0 {
			pm, plo, phi := stat(peer, m.f)
			ratio := om / pm
			if !m.higherBetter {
				ratio = pm / om
			}
			line += fmt.Sprintf(" %-26s %.2fx", fmt.Sprintf("%.1f (%.1f-%.1f)", pm, plo, phi), ratio)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d interleaved repeats; ratio > 1: ours is faster\n", len(ours))
}
