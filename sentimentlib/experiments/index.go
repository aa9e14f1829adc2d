package experiments

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ResultsIndex is the index of a results directory (results/): one line per study folder, its
// README's title and first sentence, and how many runs (folders with a results.json) it holds.
// `sentiment results` prints it and writes it to results/README.md, so the index is never kept by
// hand.
func ResultsIndex(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("results index: %w", err)
	}
	var b strings.Builder
	b.WriteString("# Results\n\nOne folder per study; each folder's README lists its runs with command, commit, machine and date.\nThis index is written by `sentiment results`.\n\n")
	b.WriteString("| study | runs | what it holds |\n|---|---:|---|\n")
	var studies []string
	for _, e := range entries {
		if e.IsDir() {
			studies = append(studies, e.Name())
		}
	}
	slices.Sort(studies)
	for _, s := range studies {
		title, first, err := readmeSummary(filepath.Join(dir, s, "README.md"))
		if err != nil {
			return "", fmt.Errorf("results index: the study %s has no README.md saying what it holds (%v)", s, err)
		}
		runs := 0
		filepath.WalkDir(filepath.Join(dir, s), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == "results.json" {
				runs++
			}
			return nil
		})
		fmt.Fprintf(&b, "| [%s](%s/README.md) | %d | %s: %s |\n", s, s, runs, title, relink(first, s))
	}
	return b.String(), nil
}

// readmeSummary is a README's title (its first heading) and the first sentence after it.
func readmeSummary(path string) (title, first string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var para []string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case title == "" && strings.HasPrefix(line, "# "):
			title = strings.TrimPrefix(line, "# ")
		case title != "" && line == "" && len(para) > 0:
			return title, sentence(strings.Join(para, " ")), nil
		case title != "" && line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "|"):
			para = append(para, line)
		}
	}
	if title == "" {
		return "", "", fmt.Errorf("%s has no title", path)
	}
	return title, sentence(strings.Join(para, " ")), sc.Err()
}

// relink makes the relative links of a study README's text relative to the index beside it.
func relink(text, study string) string {
	return link.ReplaceAllStringFunc(text, func(m string) string {
		target := link.FindStringSubmatch(m)[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") {
			return m
		}
		return "](" + path.Clean(study+"/"+target) + ")"
	})
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// sentence is the first sentence of s, with any "|" escaped for a table cell.
func sentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return strings.ReplaceAll(s, "|", "\\|")
}
