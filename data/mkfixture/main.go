// Command mkfixture writes the small test fixture under data/hf-cache: a Hugging Face hub cache
// with the same layout and schema as stanfordnlp/imdb, holding a seeded random sample of real
// reviews from a full cache. Unit tests read it, so they run without the full dataset.
//
//	go run ./data/mkfixture --from ../shared/hf-cache --to data/hf-cache
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

type row struct {
	Text  string `parquet:"text"`
	Label int64  `parquet:"label"`
}

func main() {
	from := flag.String("from", "../shared/hf-cache", "full Hugging Face cache holding stanfordnlp/imdb")
	to := flag.String("to", "data/hf-cache", "fixture cache directory to write")
	flag.Parse()
	// Per split: how many reviews of each label (unsupervised: label -1).
	sizes := map[string]map[int]int{
		imdb.SplitTrain:        {imdb.Negative: 150, imdb.Positive: 150},
		imdb.SplitTest:         {imdb.Negative: 50, imdb.Positive: 50},
		imdb.SplitUnsupervised: {imdb.Unlabeled: 60},
	}
	repo := filepath.Join(*to, "datasets--stanfordnlp--imdb")
	var files []map[string]any
	for _, split := range []string{imdb.SplitTrain, imdb.SplitTest, imdb.SplitUnsupervised} {
		reviews, err := imdb.ReadSplit(context.Background(), *from, split, true)
		check(err)
		rng := rand.New(rand.NewPCG(7, uint64(len(split))))
		rng.Shuffle(len(reviews), func(i, j int) { reviews[i], reviews[j] = reviews[j], reviews[i] })
		want := sizes[split]
		var rows []row
		for _, r := range reviews {
			if want[r.Label] > 0 && len(r.Text) < 2500 { // keep the fixture small
				want[r.Label]--
				rows = append(rows, row{r.Text, int64(r.Label)})
			}
		}
		// Same order as the hub files: negative first, then positive.
		var ordered []row
		for _, l := range []int64{-1, 0, 1} {
			for _, r := range rows {
				if r.Label == l {
					ordered = append(ordered, r)
				}
			}
		}
		path := filepath.Join(repo, "parquet", imdb.Config, split, "0000.parquet")
		check(os.MkdirAll(filepath.Dir(path), 0o755))
		f, err := os.Create(path)
		check(err)
		w := parquet.NewGenericWriter[row](f, parquet.Compression(&zstd.Codec{}))
		_, err = w.Write(ordered)
		check(err)
		check(w.Close())
		check(f.Close())
		st, err := os.Stat(path)
		check(err)
		files = append(files, map[string]any{
			"dataset": imdb.DatasetID, "config": imdb.Config, "split": split,
			"url":      "https://huggingface.co/datasets/stanfordnlp/imdb/resolve/refs%2Fconvert%2Fparquet/plain_text/" + split + "/0000.parquet",
			"filename": "0000.parquet", "size": st.Size(),
		})
		fmt.Printf("%s: %d reviews, %d bytes\n", split, len(ordered), st.Size())
	}
	info, err := json.MarshalIndent(map[string]any{"parquet_files": files, "pending": []any{}, "failed": []any{}, "partial": false}, "", " ")
	check(err)
	check(os.WriteFile(filepath.Join(repo, "dataset_parquet.json"), info, 0o644))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkfixture:", err)
		os.Exit(1)
	}
}
