// Package daytonatest is an in-test stand-in for Daytona's REST API, built
// from the routes and JSON shapes of Daytona's public API client
// (@daytonaio/api-client): sandboxes can be created (they pass through
// "creating" before "started"), fetched, listed in cursor pages and
// deleted, and each started sandbox's toolbox is a real procsh server on
// the local backend at {toolboxProxyUrl}/{id}. It listens on 127.0.0.1.
// No Daytona service is reachable from the tests, so this is what they
// run against.
package daytonatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/server"
)

// Server is the fake API.
type Server struct {
	URL      string // the API base URL (…/api)
	APIKey   string
	PageSize int // sandboxes per list page (default 2, to exercise cursors)

	srv      *httptest.Server
	mu       sync.Mutex
	boxes    map[string]*box
	seq      int
	Requests []string // "METHOD path" of every API request, in order
}

type box struct {
	fields  map[string]any
	polls   int // GETs left in "creating"
	backend *local.Backend
	toolbox http.Handler
}

// Start starts the server; it stops, and every sandbox's processes end,
// when the test ends.
func Start(t testing.TB, apiKey string) *Server {
	s := &Server{APIKey: apiKey, PageSize: 2, boxes: map[string]*box{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.api)
	mux.HandleFunc("/toolbox/", s.toolbox)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api"
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.boxes {
			if b.backend != nil {
				_ = b.backend.Close()
			}
		}
	})
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nestError is the NestJS error body the API returns.
func nestError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": msg, "error": http.StatusText(status)})
}

func (s *Server) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+s.APIKey
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api")
	s.mu.Lock()
	s.Requests = append(s.Requests, r.Method+" "+path)
	s.mu.Unlock()
	if !s.authorized(r) {
		nestError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "sandbox" && r.Method == http.MethodGet:
		s.list(w, r)
	case len(parts) == 1 && parts[0] == "sandbox" && r.Method == http.MethodPost:
		s.create(w, r)
	case len(parts) == 2 && parts[0] == "sandbox" && r.Method == http.MethodGet:
		s.get(w, parts[1])
	case len(parts) == 2 && parts[0] == "sandbox" && r.Method == http.MethodDelete:
		s.delete(w, parts[1])
	case len(parts) == 3 && parts[0] == "sandbox" && parts[2] == "toolbox-proxy-url" && r.Method == http.MethodGet:
		s.mu.Lock()
		_, ok := s.boxes[parts[1]]
		s.mu.Unlock()
		if !ok {
			nestError(w, http.StatusNotFound, "Sandbox with ID or name "+parts[1]+" not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"url": s.srv.URL + "/toolbox"})
	default:
		nestError(w, http.StatusNotFound, "Cannot "+r.Method+" "+path)
	}
}

func (s *Server) find(id string) *box {
	if b, ok := s.boxes[id]; ok {
		return b
	}
	for _, b := range s.boxes {
		if b.fields["name"] == id {
			return b
		}
	}
	return nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		nestError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	if c, ok := req["cpu"].(float64); ok && c > 16 {
		nestError(w, http.StatusBadRequest, "CPU request 17 exceeds maximum allowed per sandbox (16)")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("sbx-%04d-%d", s.seq, time.Now().UnixNano()%100000)
	name, _ := req["name"].(string)
	if name == "" {
		name = id
	}
	for _, b := range s.boxes {
		if b.fields["name"] == name {
			nestError(w, http.StatusConflict, "Sandbox with name "+name+" already exists")
			return
		}
	}
	f := map[string]any{
		"id": id, "organizationId": "org-1", "name": name, "user": "daytona", "target": "us",
		"env": map[string]any{}, "labels": map[string]any{}, "public": false, "networkBlockAll": false, "kvm": false,
		"cpu": 1.0, "gpu": 0.0, "memory": 1.0, "disk": 3.0, "state": "creating", "desiredState": "started",
		"createdAt": time.Now().UTC().Format(time.RFC3339), "toolboxProxyUrl": s.srv.URL + "/toolbox",
	}
	for k, v := range req {
		if k != "ttlMinutes" && k != "secrets" {
			f[k] = v
		}
	}
	b := &box{fields: f, polls: 1}
	if req["snapshot"] == "broken" {
		f["state"], f["errorReason"] = "error", "snapshot broken not found"
	}
	s.boxes[id] = b
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.find(id)
	if b == nil {
		nestError(w, http.StatusNotFound, "Sandbox with ID or name "+id+" not found")
		return
	}
	if b.fields["state"] == "creating" {
		if b.polls--; b.polls < 0 {
			if err := b.start(); err != nil {
				nestError(w, http.StatusInternalServerError, err.Error())
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, b.fields)
}

func (b *box) start() error {
	be, err := local.New(local.WithKillGrace(200 * time.Millisecond))
	if err != nil {
		return err
	}
	b.backend = be
	b.toolbox = server.New(be)
	b.fields["state"] = "started"
	return nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.boxes))
	for id := range s.boxes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		start = sort.SearchStrings(ids, c)
	}
	end := min(start+s.PageSize, len(ids))
	items := []map[string]any{}
	for _, id := range ids[start:end] {
		item := map[string]any{}
		for k, v := range s.boxes[id].fields {
			if k != "env" { // SandboxListItem has no env
				item[k] = v
			}
		}
		items = append(items, item)
	}
	var next any
	if end < len(ids) {
		next = ids[end]
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "nextCursor": next})
}

func (s *Server) delete(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b := s.find(id)
	if b != nil {
		delete(s.boxes, b.fields["id"].(string))
	}
	s.mu.Unlock()
	if b == nil {
		nestError(w, http.StatusNotFound, "Sandbox with ID or name "+id+" not found")
		return
	}
	if b.backend != nil {
		_ = b.backend.Close()
	}
	b.fields["state"] = "destroying"
	writeJSON(w, http.StatusOK, b.fields)
}

// toolbox serves /toolbox/{id}/… with the sandbox's procsh server, which
// checks the API key as its bearer token.
func (s *Server) toolbox(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/toolbox/")
	id, sub, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	b := s.boxes[id]
	var h http.Handler
	if b != nil {
		h = b.toolbox
	}
	s.mu.Unlock()
	if h == nil {
		http.Error(w, "sandbox not found or not started", http.StatusNotFound)
		return
	}
	if !s.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + sub
	r2.URL.RawPath = ""
	h.ServeHTTP(w, r2)
}

// Count returns how many sandboxes exist.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.boxes)
}
