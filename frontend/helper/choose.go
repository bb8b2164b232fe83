package helper

import (
	"debug/elf"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
)

// Candidate is a runtime the choose helper may pick: its name (a
// distroless flavour) and its root, mounted read-only.
type Candidate struct {
	Name string
	Root Root
}

// ChooseOptions are the inputs of the choose helper.
type ChooseOptions struct {
	Builder Root
	// Scan are the directories whose ELF objects (for Machine) decide.
	Scan    []string
	Machine elf.Machine
	// Candidates are in order, least content first; a candidate named
	// "static" fits only objects that need no shared library.
	Candidates []Candidate
}

// Choose picks the first candidate that has every shared library the ELF
// objects need, recursively, among the ones any candidate has (a library
// none has is carried from the builder whichever is chosen); it returns
// the candidate's name and the reason.
func Choose(o ChooseOptions) (string, string, error) {
	if len(o.Candidates) == 0 {
		return "", "", fmt.Errorf("no candidate runtime")
	}
	var files []string
	for _, dir := range o.Scan {
		fs, err := ELFFiles(o.Builder, dir)
		if err != nil {
			return "", "", err
		}
		files = append(files, fs...)
	}
	// What each candidate lacks.
	lacking := make([][]string, len(o.Candidates))
	dynamic := false
	for i, cand := range o.Candidates {
		out, err := os.MkdirTemp("", "distill-choose-")
		if err != nil {
			return "", "", err
		}
		c := &Closure{Builder: o.Builder, Runtime: cand.Root, Out: out, Provided: o.Scan}
		for _, f := range files {
			real, err := o.Builder.Resolve(f)
			if err != nil {
				continue
			}
			info, ok, _ := readELF(o.Builder.Host(real), filepath.Dir(f))
			if !ok || (o.Machine != 0 && info.machine != o.Machine) {
				continue
			}
			if len(info.needed) > 0 {
				dynamic = true
			}
			if err := c.Add(f); err != nil {
				os.RemoveAll(out)
				return "", "", fmt.Errorf("reading %s: %v", f, err)
			}
		}
		os.RemoveAll(out)
		slices.Sort(c.Lacking)
		lacking[i] = slices.Compact(c.Lacking)
	}
	if !dynamic {
		for _, cand := range o.Candidates {
			if cand.Name == "static" {
				return cand.Name, "no ELF object needs a shared library", nil
			}
		}
	}
	// The libraries no candidate has are carried anyway.
	everywhere := slices.Clone(lacking[0])
	for _, l := range lacking[1:] {
		everywhere = slices.DeleteFunc(everywhere, func(s string) bool { return !slices.Contains(l, s) })
	}
	var passed []string
	for i, cand := range o.Candidates {
		if cand.Name == "static" && dynamic {
			passed = append(passed, "static: the binary is dynamically linked")
			continue
		}
		extra := slices.DeleteFunc(slices.Clone(lacking[i]), func(s string) bool { return slices.Contains(everywhere, s) })
		if len(extra) == 0 {
			why := cand.Name + " has every library the binary needs"
			if len(everywhere) > 0 {
				why += " but " + strings.Join(everywhere, ", ") + " (carried from the builder)"
			}
			if len(passed) > 0 {
				why += "; not " + strings.Join(passed, "; not ")
			}
			return cand.Name, why, nil
		}
		passed = append(passed, cand.Name+": it lacks "+strings.Join(extra, ", "))
	}
	last := o.Candidates[len(o.Candidates)-1]
	return last.Name, "no candidate has every library; " + strings.Join(passed, "; "), nil
}

// chooseMain is `choose --scan DIR --arch GOARCH --out FILE --candidate
// NAME=ROOT...`: it writes the chosen candidate's name to FILE.
func chooseMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	var scan, arch, out string
	var cands []Candidate
	fl.StringVar(&scan, "scan", "/app", "directories whose ELF objects decide (comma separated)")
	fl.StringVar(&arch, "arch", goruntime.GOARCH, "architecture (GOARCH) of the objects")
	fl.StringVar(&out, "out", "", "file to write the chosen candidate's name to")
	fl.Func("candidate", "NAME=ROOT of a candidate runtime, least content first (repeated)", func(v string) error {
		name, root, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want NAME=ROOT")
		}
		cands = append(cands, Candidate{Name: name, Root: Root{Dir: root}})
		return nil
	})
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if out == "" {
		fmt.Fprintln(stderr, "choose: --out is required")
		return 2
	}
	name, why, err := Choose(ChooseOptions{Builder: Root{Dir: "/"}, Scan: strings.Split(scan, ","), Machine: Machines[arch], Candidates: cands})
	if err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	fmt.Fprintf(stdout, "runtime: %s (%s)\n", name, why)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	if err := os.WriteFile(out, []byte(name+"\n"), 0o644); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	return 0
}
