package imdb

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// row is the parquet schema of stanfordnlp/imdb: text (string) and label (int64).
type row struct {
	Text  string `parquet:"text"`
	Label int64  `parquet:"label"`
}

// ReadParquet reads the reviews of one parquet file; firstIndex is the Index given to its first row.
// A corrupt or truncated file, or a file without the "text" (string) and "label" (integer) columns,
// gives an error that names the file (and the column).
func ReadParquet(path string, firstIndex int) (reviews []Review, err error) {
	defer func() {
		// parquet-go may panic on some corrupt inputs: report it as an error naming the file.
		if r := recover(); r != nil {
			reviews, err = nil, fmt.Errorf("imdb: corrupt parquet file %s: %v (delete it to have it downloaded again)", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imdb: cannot open parquet file: %w", err)
	}
	defer f.Close()
	stat, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("imdb: cannot stat parquet file %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, stat.Size())
	if err != nil {
		return nil, fmt.Errorf("imdb: corrupt or truncated parquet file %s: %v (delete it to have it downloaded again)", path, err)
	}
	if err := checkColumns(pf.Schema()); err != nil {
		return nil, fmt.Errorf("imdb: parquet file %s: %w", path, err)
	}
	reader := parquet.NewGenericReader[row](pf)
	defer reader.Close()
	n := int(pf.NumRows())
	reviews = make([]Review, 0, n)
	buf := make([]row, 256)
	for {
		k, rerr := reader.Read(buf)
		for i := range k {
			reviews = append(reviews, Review{Text: buf[i].Text, Label: int(buf[i].Label), Index: firstIndex + len(reviews)})
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("imdb: corrupt parquet file %s after %d rows: %v (delete it to have it downloaded again)", path, len(reviews), rerr)
		}
		if k == 0 {
			break
		}
	}
	if len(reviews) != n {
		return nil, fmt.Errorf("imdb: parquet file %s: read %d rows, its footer says %d: the file is corrupt", path, len(reviews), n)
	}
	return reviews, nil
}

// checkColumns verifies the schema has a string "text" and an integer "label" column.
func checkColumns(schema *parquet.Schema) error {
	want := []struct {
		name string
		ok   func(parquet.Kind) bool
		kind string
	}{
		{"text", func(k parquet.Kind) bool { return k == parquet.ByteArray }, "string"},
		{"label", func(k parquet.Kind) bool { return k == parquet.Int32 || k == parquet.Int64 }, "integer"},
	}
	for _, w := range want {
		col, ok := schema.Lookup(w.name)
		if !ok {
			var have []string
			for _, f := range schema.Fields() {
				have = append(have, f.Name())
			}
			return fmt.Errorf("missing column %q (columns found: %v); is this the stanfordnlp/imdb plain_text split?", w.name, have)
		}
		if k := col.Node.Type().Kind(); !w.ok(k) {
			return fmt.Errorf("column %q has type %v, want %s", w.name, k, w.kind)
		}
	}
	return nil
}
