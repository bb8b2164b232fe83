// The workspace's HTTP API. It imports the shared library through
// go.work alone (its go.mod requires nothing).
package main

import (
	"fmt"
	"log"
	"net/http"

	"example.com/ws/greet"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, greet.Hello("api"))
	})
	log.Println("listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}
