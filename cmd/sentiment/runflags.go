package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// runFlags are the flags that train and pretrain share: the preset, where the run goes, its
// seed, --quick, the data cache, the length of the run (--epochs or --steps) and the --set
// overrides; one definition, so that the two commands read them alike.
type runFlags struct {
	verb   string // what the command does, for its first message: "training" or "pretraining"
	prefix string // of the default --out, runs/PREFIXPRESET-seedN[-quick]: "" or "pretrain-"

	preset, out, cache string
	seed               uint64
	quick              bool
	length             int
	lengthFlag         string // "epochs" or "steps"
	fs                 *flag.FlagSet
	sets               setFlag
}

// runHelp is what the shared flags of train and pretrain say differently: the default preset
// and the choice of them, the unit of the run's length (also the name of its flag: "epochs"
// or "steps"), what the seed seeds, what --quick shrinks, and a --set example.
type runHelp struct {
	preset                   string
	presets                  []string
	length, seed, quick, set string
}

// register defines the flags on fs, with the help texts of h where the commands differ.
func (r *runFlags) register(fs *flag.FlagSet, h runHelp) {
	fs.StringVar(&r.preset, "preset", h.preset, "preset: "+strings.Join(h.presets, ", "))
	fs.StringVar(&r.out, "out", "", "output directory (default runs/"+r.prefix+"PRESET-seedN[-quick])")
	fs.Uint64Var(&r.seed, "seed", 1, "seed of "+h.seed)
	fs.BoolVar(&r.quick, "quick", false, h.quick+": about a minute on 2 cores (tests, CI)")
	fs.StringVar(&r.cache, "hf-cache", "", cacheHelp)
	r.lengthFlag, r.fs = h.length, fs
	fs.IntVar(&r.length, h.length, 0, "override the preset's number of "+h.length)
	fs.Var(&r.sets, "set", "override a config field by its config.json name, e.g. "+h.set+" (repeatable)")
}

// apply finishes cfg, the preset's configuration once the command's own flags are on it: the
// seed and the data cache go into run and data, a --epochs or --steps into length (cfg's
// RunConfig, Data and Epochs or Steps), then the --set overrides, last so that they win; and
// --out, if not given, becomes its default.
func (r *runFlags) apply(cfg settable, run *sentimentlib.RunConfig, data *sentimentlib.DataConfig, length *int) error {
	run.Seed, data.CacheDir = r.seed, r.cache
	given := false
	r.fs.Visit(func(f *flag.Flag) { given = given || f.Name == r.lengthFlag })
	if given && r.length < 1 {
		return fmt.Errorf("--%s %d: want at least 1 (or leave it out for the preset's)", r.lengthFlag, r.length)
	}
	if r.length > 0 {
		*length = r.length
	}
	if err := r.sets.apply(cfg); err != nil {
		return err
	}
	if r.out == "" {
		r.out = fmt.Sprintf("runs/%s%s-seed%d", r.prefix, r.preset, r.seed)
		if r.quick {
			r.out += "-quick"
		}
	}
	return nil
}

// announce tells w what the run is about to do; a rerun into the same --out resumes it.
func (r *runFlags) announce(w io.Writer) {
	fmt.Fprintf(w, "%s preset %q (seed %d) into %s\n", r.verb, r.preset, r.seed, r.out)
}
