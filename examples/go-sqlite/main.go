// go-sqlite is an HTTP server that keeps notes in SQLite through
// github.com/mattn/go-sqlite3, a driver written in C (cgo): built without
// cgo it compiles to a stub that fails at run time. GET / stores a note
// and answers with every note and SQLite's version.
package main

import (
	"database/sql"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	dir := os.Getenv("NOTES_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	db, err := sql.Open("sqlite3", filepath.Join(dir, "notes.db"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body := r.URL.Query().Get("note")
		if body == "" {
			body = "hello from distill"
		}
		if _, err := db.Exec(`INSERT INTO notes (body) VALUES (?)`, body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var version string
		if err := db.QueryRow(`SELECT sqlite_version()`).Scan(&version); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		rows, err := db.Query(`SELECT body FROM notes ORDER BY id`)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		notes := []string{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			notes = append(notes, n)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"notes": notes, "sqlite": version, "uid": os.Getuid()})
	})
	log.Println("listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}
