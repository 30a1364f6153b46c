// Command mkpdf writes a test PDF of a given size (testdocs.PDF), for the
// whole-process benchmarks of scripts/bench-tools.sh. It is not part of
// segl's command line.
//
//	go run ./internal/testdocs/cmd/mkpdf -size 10000000 -out doc.pdf
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/segl/segl/internal/testdocs"
)

func main() {
	size := flag.Int("size", 100_000, "size in bytes (at least)")
	text := flag.String("text", "segl benchmark", "text on the page")
	out := flag.String("out", "", "file to write")
	flag.Parse()
	if *out == "" || *size < 0 || *size > 1<<30 {
		fmt.Fprintln(os.Stderr, "usage: mkpdf -size N -out FILE (N at most 1 GiB)")
		os.Exit(2)
	}
	if err := os.WriteFile(*out, testdocs.PDF(*text, *size), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mkpdf:", err)
		os.Exit(1)
	}
}
