package sentimentlib_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// Train the default transformer, then classify new reviews with the saved model.
func ExampleTrain() {
	cfg, err := sentimentlib.Preset("default", false)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Data.CacheDir = "../shared/hf-cache" // or "" for $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub
	cfg.Loss.ConfidenceGamma = 2             // a SentimentWeightedLoss factor (see package loss)
	res, err := sentimentlib.Train(context.Background(), cfg, "runs/my-model", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test accuracy %.4f\n", res.Test.Accuracy)

	p, err := sentimentlib.Load("runs/my-model")
	if err != nil {
		log.Fatal(err)
	}
	preds, err := p.Predict([]string{"A wonderful film.", "Two hours I will never get back."})
	if err != nil {
		log.Fatal(err)
	}
	for _, pr := range preds {
		fmt.Println(pr.Label, pr.Probability)
	}
}

// Pretrain the encoder on the unlabeled reviews, then fine-tune it.
func ExamplePretrain() {
	pc, _ := sentimentlib.PretrainPreset("cpu", false)
	if _, err := sentimentlib.Pretrain(context.Background(), pc, "runs/pretrain", nil); err != nil {
		log.Fatal(err)
	}
	cfg, _ := sentimentlib.Preset("default", false)
	if err := cfg.InitFrom("runs/pretrain"); err != nil {
		log.Fatal(err)
	}
	if _, err := sentimentlib.Train(context.Background(), cfg, "runs/finetuned", nil); err != nil {
		log.Fatal(err)
	}
}

// Compare losses over seeds, with statistics, and write the report.
