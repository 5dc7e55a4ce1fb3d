// Command luadiff is the long run of procsh's Lua 5.1 differential test:
// it generates random well-formed programs (luadiff.Generate), runs each in
// PUC-Rio Lua 5.1 (lua5.1 on PATH) and in a procsh host on the local
// backend, and reports every program whose output or uncaught error
// differs. Divergent programs are written to -keep for turning into corpus
// cases (luabind/lua51/testdata/corpus).
//
//	go run ./cmd/luadiff -seeds 2000 -size 80 -keep /tmp/divergent
//
// It exits 1 when any program diverged.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind/lua51/luadiff"
)

func main() {
	start := flag.Int64("start", 1, "first seed")
	seeds := flag.Int("seeds", 1000, "number of programs")
	size := flag.Int("size", 80, "statements per program")
	keep := flag.String("keep", "", "directory to write divergent programs to")
	corpus := flag.String("corpus", "", "also run the .lua files of this `directory` (e.g. luabind/lua51/testdata/corpus)")
	flag.Parse()
	if *corpus != "" {
		n, err := runCorpus(*corpus)
		if err != nil {
			fmt.Fprintln(os.Stderr, "luadiff:", err)
			os.Exit(2)
		}
		if n > 0 {
			defer os.Exit(1)
		}
	}
	diverged, err := run(*start, *seeds, *size, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "luadiff:", err)
		os.Exit(2)
	}
	if diverged > 0 {
		os.Exit(1)
	}
}

// run compares the generated programs and returns how many diverged. (It
// returns rather than exits, so that its deferred clean-up runs.)
func run(start int64, seeds, size int, keep string) (int, error) {
	if _, err := luadiff.Reference(); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "luadiff-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	backend, err := local.New()
	if err != nil {
		return 0, err
	}
	defer backend.Close()
	diverged := 0
	began := time.Now()
	for seed := start; seed < start+int64(seeds); seed++ {
		// A name per program: procsh matches error names against every
		// source compiled under a name.
		name := fmt.Sprintf("gen%d.lua", seed)
		src := luadiff.Generate(seed, size)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			return diverged, err
		}
		want, err := luadiff.RunReference(context.Background(), dir, name)
		if err != nil {
			return diverged, err
		}
		got, err := luadiff.RunProcsh(backend, name, src)
		if err != nil {
			return diverged, fmt.Errorf("seed %d: %w", seed, err)
		}
		if d := luadiff.Diff(want, got); d != "" {
			diverged++
			fmt.Printf("seed %d: %s\n", seed, d)
			if keep != "" {
				if err := os.MkdirAll(keep, 0o755); err != nil {
					return diverged, err
				}
				if err := os.WriteFile(filepath.Join(keep, fmt.Sprintf("seed%d.lua", seed)), []byte(src), 0o644); err != nil {
					return diverged, err
				}
			}
		}
	}
	fmt.Printf("%d programs of %d statements (seeds %d..%d): %d diverged, %v\n", seeds, size, start, start+int64(seeds)-1, diverged, time.Since(began).Round(time.Millisecond))
	return diverged, nil
}

// runCorpus compares every program of dir and returns how many diverged.
func runCorpus(dir string) (int, error) {
	files, err := luadiff.Corpus(dir)
	if err != nil {
		return 0, err
	}
	backend, err := local.New()
	if err != nil {
		return 0, err
	}
	defer backend.Close()
	diverged := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		want, err := luadiff.RunReference(context.Background(), ".", f)
		if err != nil {
			return 0, err
		}
		got, err := luadiff.RunProcsh(backend, f, string(src))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if d := luadiff.DiffAll(want, got); len(d) > 0 {
			diverged++
			fmt.Printf("%s: %d differing lines, first: %s\n", f, len(d), d[0])
		}
	}
	fmt.Printf("corpus %s: %d programs, %d diverged\n", dir, len(files), diverged)
	return diverged, nil
}
