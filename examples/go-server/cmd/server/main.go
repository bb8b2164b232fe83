// A small API server: a third-party module (uuid), an internal package,
// and static files shipped next to the binary through `include:`.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"example.com/go-server/internal/greet"
	"github.com/google/uuid"
)

func main() {
	addr := ":" + envOr("PORT", "8081")
	mux := http.NewServeMux()
	mux.HandleFunc("/api/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"message":    greet.Message(r.URL.Query().Get("name")),
			"request_id": uuid.NewString(),
		})
	})
	// Relative to the working directory (/app in the image).
	mux.Handle("/", http.FileServer(http.Dir("static")))
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
