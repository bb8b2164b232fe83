package e2e

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// privateServer is a package registry that needs credentials, on a
// loopback port build steps reach: it answers the requests its auth
// accepts and refuses the others with 401, counting both.
type privateServer struct {
	// URL is its base, http://127.0.0.1:port.
	URL          string
	hits, denied atomic.Int32
}

// basicAuth accepts requests with these HTTP basic credentials.
func basicAuth(user, pass string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == user && p == pass
	}
}

// startPrivate serves serve behind auth until the test ends.
func startPrivate(t *testing.T, auth func(*http.Request) bool, serve http.HandlerFunc) *privateServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &privateServer{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth(r) {
			s.denied.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "auth required", http.StatusUnauthorized)
			return
		}
		s.hits.Add(1)
		serve(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// mustHaveBeenAsked fails the test when the server answered nothing: the
// build never used the credentials.
func (s *privateServer) mustHaveBeenAsked(t *testing.T) {
	t.Helper()
	if s.hits.Load() == 0 {
		t.Fatalf("the private server was never asked (denied %d)", s.denied.Load())
	}
}
