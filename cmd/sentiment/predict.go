package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// cmdPredict runs `sentiment predict`: the label and probability of each review text, given as
// arguments or, with -, one per line of stdin (blank lines skipped). A review with nothing to
// judge is reported (on stderr, and in its place on stdout: an "error" line, a JSON line with
// an error field with --json) without losing the others, and makes the exit status non-zero;
// Ctrl-C or SIGTERM stops it, even while stdin waits.
func cmdPredict(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	dir := modelFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if err := requireModel(fs, *dir); err != nil {
		return err
	}
	reviews, err := predictInput(ctx, fs.Args(), stdin)
	if err != nil {
		return err
	}
	var texts []string
	var bad []string
	for i, r := range reviews {
		if !tokenize.Readable(r.text) {
			reviews[i].problem = fmt.Sprintf("%s (%q) has no readable words (no letter or digit): there is nothing to judge", r.name, truncate(r.text, 40))
			bad = append(bad, reviews[i].problem)
			continue
		}
		texts = append(texts, r.text)
	}
	p, err := loadModel(*dir, stderr)
	if err != nil {
		return err
	}
	preds, err := p.PredictContext(ctx, texts)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	next := 0
	for _, r := range reviews {
		if r.problem != "" {
			fmt.Fprintf(stderr, "predict: %s\n", r.problem)
			if *asJSON {
				b, _ := json.Marshal(map[string]any{"text": r.text, "error": r.problem})
				fmt.Fprintln(stdout, string(b))
			} else { // a line of its own, so that the output keeps the input's lines in step
				fmt.Fprintf(stdout, "%-8s %s  %s\n", "error", "(no readable words)", truncate(r.text, 70))
			}
			continue
		}
		pr := preds[next]
		next++
		if math.IsNaN(pr.Probability) {
			return fmt.Errorf("predict: %s: the model's probability is not a number: the model is broken; retrain it", r.name)
		}
		if *asJSON {
			line := map[string]any{"text": r.text, "label": pr.Label, "probability": pr.Probability, "truncated": pr.Truncated}
			if pr.Unknown {
				line["unknown"] = true
			}
			b, _ := json.Marshal(line)
			fmt.Fprintln(stdout, string(b))
			continue
		}
		note := ""
		if pr.Unknown {
			note = "  (no word the model knows: its prior alone)"
		} else if pr.Truncated {
			note = "  (long: the model read its beginning and end)"
		}
		fmt.Fprintf(stdout, "%-8s p(positive)=%.3f  %s%s\n", pr.Label, pr.Probability, truncate(r.text, 70), note)
	}
	if len(bad) > 0 {
		return fmt.Errorf("predict: %d of %d reviews could not be judged; the first: %s", len(bad), len(reviews), bad[0])
	}
	return nil
}

// review is one text to judge, how messages name it ("review 2", "line 7"), and why it cannot
// be judged (empty when it can).
type review struct{ name, text, problem string }

// predictInput is the reviews of the arguments, or, for a lone -, of stdin's non-blank lines,
// read in the background so that ctx ending stops the wait for input.
func predictInput(ctx context.Context, args []string, stdin io.Reader) ([]review, error) {
	if len(args) != 1 || args[0] != "-" {
		if len(args) == 0 {
			return nil, fmt.Errorf("predict: give review texts as arguments, or - to read one per line from stdin")
		}
		out := make([]review, len(args))
		for i, a := range args {
			out[i] = review{name: fmt.Sprintf("review %d", i+1), text: a}
		}
		return out, nil
	}
	type result struct {
		reviews []review
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var out []review
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for line := 1; sc.Scan(); line++ {
			if strings.TrimSpace(sc.Text()) != "" {
				out = append(out, review{name: fmt.Sprintf("line %d", line), text: sc.Text()})
			}
		}
		done <- result{out, sc.Err()}
	}()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("predict: interrupted while reading stdin: %w", ctx.Err())
	case r := <-done:
		switch {
		case r.err != nil:
			return nil, fmt.Errorf("predict: reading stdin: %w", r.err)
		case len(r.reviews) == 0:
			return nil, fmt.Errorf("predict: stdin held no review (one per line; blank lines are skipped)")
		}
		return r.reviews, nil
	}
}
