// A Go program that runs a packaged CLI, jq, with execve (os/exec, no
// shell): the image needs jq and the libraries jq links, which the Go
// binary itself does not.
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	out, err := exec.Command("jq", "-n", "-c", "--arg", "who", "distroless", `{greeting: ("hello, " + $who), tools: ["jq"] | length}`).Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "running jq:", err)
		os.Exit(1)
	}
	fmt.Printf("jq says %s", out)
}
