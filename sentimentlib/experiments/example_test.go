package experiments_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

func ExampleCompare() {
	base, _ := sentimentlib.Preset("compare", false)
	c, err := experiments.Compare(context.Background(), experiments.CompareOptions{
		Base: base, Seeds: []uint64{1, 2, 3}, RunsDir: "runs/compare",
		Settings: experiments.CompareSettings(false),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.WriteReport("runs/compare"); err != nil {
		log.Fatal(err)
	}
	fmt.Print(c.Markdown())
}
