package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// cmdPredict runs `sentiment predict`: the label and probability of each review text, given as
// arguments or, with -, one per line of stdin.
func cmdPredict(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	dir := modelFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if err := requireModel(fs, *dir); err != nil {
		return err
	}
	texts := fs.Args()
	if len(texts) == 1 && texts[0] == "-" {
		texts = nil
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			texts = append(texts, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("predict: reading stdin: %w", err)
		}
	}
	if len(texts) == 0 {
		return fmt.Errorf("predict: give review texts as arguments, or - to read one per line from stdin")
	}
	for i, t := range texts {
		if !tokenize.Readable(t) {
			return fmt.Errorf("predict: review %d (%q) has no readable words (no letter or digit): there is nothing to judge", i+1, truncate(t, 40))
		}
	}
	p, err := loadModel(*dir, stderr)
	if err != nil {
		return err
	}
	preds, err := p.Predict(texts)
	if err != nil {
		return err
	}
	for i, pr := range preds {
		if math.IsNaN(pr.Probability) {
			return fmt.Errorf("predict: review %d: the model's probability is not a number: the model is broken; retrain it", i+1)
		}
		if *asJSON {
			line := map[string]any{"text": texts[i], "label": pr.Label, "probability": pr.Probability, "truncated": pr.Truncated}
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
		fmt.Fprintf(stdout, "%-8s p(positive)=%.3f  %s%s\n", pr.Label, pr.Probability, truncate(texts[i], 70), note)
	}
	return nil
}
