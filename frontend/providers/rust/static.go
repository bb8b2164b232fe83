package rust

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"
)

// StaticHelper is `rust-static BINARY`: it fails, naming what the binary
// links, unless the binary is static (no program interpreter, no shared
// library), as base: static needs.
func StaticHelper(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: rust-static BINARY")
		return 2
	}
	needs, err := dynamicNeeds(args[1])
	if err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	if len(needs) > 0 {
		fmt.Fprintf(stderr, "distill: base: static, but %s is linked dynamically (%s): a dependency links a shared C library.\n"+
			"Use base: cc (distill carries the shared libraries into the image), or build the C library into the binary (a -sys crate's bundled or vendored feature).\n",
			args[1], strings.Join(needs, ", "))
		return 1
	}
	fmt.Fprintf(stdout, "%s is static\n", args[1])
	return 0
}

// dynamicNeeds is what makes an ELF binary dynamic: its interpreter and
// the shared libraries it needs.
func dynamicNeeds(file string) ([]string, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				out = append(out, "interpreter "+strings.TrimRight(string(b), "\x00"))
			}
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	return append(out, libs...), nil
}
