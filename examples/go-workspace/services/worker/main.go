// The workspace's worker: it runs the next job and exits. Its go.mod
// requires nothing: go.work resolves the libraries.
package main

import (
	"fmt"

	"example.com/ws/greet"
	"example.com/ws/jobs"
)

func main() {
	fmt.Println(greet.Hello("worker"))
	fmt.Println("ran", jobs.Next())
}
