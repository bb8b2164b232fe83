package helper

import (
	"debug/elf"
	"fmt"
	"io"
	"sort"
	"strings"
)

// LibsOptions are the inputs of the libs helper.
type LibsOptions struct {
	// Builder is the builder's root ("/" in a build step); Runtime the
	// runtime image's root, mounted read-only.
	Builder, Runtime Root
	// Out is the output tree copied onto the runtime.
	Out string
	// Scan are image directories whose ELF objects need their libraries;
	// they reach the image as they are.
	Scan []string
	// Machine, when set, skips objects built for another machine: packages
	// that ship prebuilt binaries for every platform.
	Machine elf.Machine
	Log     io.Writer
}

// Machines maps GOARCH to ELF machines.
var Machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM, "386": elf.EM_386,
	"ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390, "riscv64": elf.EM_RISCV,
}

// CarryLibraries copies, from the builder, the shared libraries that the
// ELF objects under the scanned directories need and the runtime lacks,
// and records the Debian packages they came from.
func CarryLibraries(o LibsOptions) error {
	c := &Closure{Builder: o.Builder, Runtime: o.Runtime, Out: o.Out, Provided: o.Scan, Log: o.Log}
	return Carry(c, o.Scan, o.Machine, o.Log)
}

// Carry adds the ELF objects under dirs to the closure, then writes what
// it found: the copied libraries, warnings for missing ones, and the
// status.d entries of their packages.
func Carry(c *Closure, dirs []string, machine elf.Machine, log io.Writer) error {
	logf := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	skipped := 0
	for _, dir := range dirs {
		files, err := ELFFiles(c.Builder, dir)
		if err != nil {
			return err
		}
		for _, f := range files {
			if machine != 0 {
				if real, err := c.Builder.Resolve(f); err == nil {
					if info, ok, _ := readELF(c.Builder.Host(real), dir); ok && info.machine != machine {
						skipped++
						continue
					}
				}
			}
			if err := c.Add(f); err != nil {
				return fmt.Errorf("reading %s: %v", f, err)
			}
		}
	}
	if skipped > 0 {
		logf("%d ELF objects for other machines left as they are", skipped)
	}
	sort.Strings(c.Copied)
	if len(c.Copied) > 0 {
		logf("shared libraries the runtime lacks, copied from the builder:")
		for _, f := range c.Copied {
			logf("  %s", f)
		}
	}
	for _, m := range c.Missing {
		logf("warning: %s: not in the builder nor the runtime; add the package that ships it to build-packages", m)
	}
	pkgs := &Packages{Root: c.Builder}
	recorded, err := pkgs.WriteStatus(c.Sources, c.Runtime, c.Out)
	if err != nil {
		return err
	}
	if len(recorded) > 0 {
		logf("Debian packages recorded in /var/lib/dpkg/status.d: %s", strings.Join(recorded, " "))
	}
	return nil
}
