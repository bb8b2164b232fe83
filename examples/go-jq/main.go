// A Go program that runs packaged CLIs with execve (os/exec, no shell):
// jq, which needs libraries the Go binary does not link, and awk, the
// name update-alternatives gives mawk.
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
	out, err = exec.Command("awk", "BEGIN { print \"awk says\", 6 * 7 }").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "running awk:", err)
		os.Exit(1)
	}
	fmt.Print(string(out))
}
