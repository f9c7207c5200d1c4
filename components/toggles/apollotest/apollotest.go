// Package apollotest is an in-process Apollo config service for tests: it speaks the HTTP
// protocol agollo uses (the meta server's /services/config, /configfiles/json and /configs for a
// namespace's release, /notifications/v2 long polling) and checks the access key signature when
// an application has a secret. No Apollo server can run on the project's machines, and the
// protocol is small, so the tests of the Apollo provider run against this.
package apollotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

type namespace struct {
	values         map[string]string
	releaseKey     string
	notificationID int64
}

// Server is one Apollo config service holding one application's namespaces.
type Server struct {
	AppID, Cluster, Secret string
	// Hold is how long a notification long poll waits for a release (Apollo's is 60s).
	Hold time.Duration

	mu       sync.Mutex
	ns       map[string]*namespace
	changed  chan struct{} // closed and replaced on each release
	releases int
	srv      *http.Server
	ln       net.Listener
	// Requests counts the requests served by path prefix.
	requests map[string]int
	// held counts the long polls waiting for a release; broken answers everything 503 (Break).
	held   int
	broken bool
}

// New returns a server for appID on cluster; Start serves it.
func New(appID, cluster, secret string) *Server {
	return &Server{AppID: appID, Cluster: cluster, Secret: secret, Hold: 30 * time.Second,
		ns: map[string]*namespace{}, changed: make(chan struct{}), requests: map[string]int{}}
}

// Start serves on addr ("127.0.0.1:0" for any port) and returns the server's URL.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.ln = ln
	s.srv = &http.Server{Handler: s}
	srv := s.srv
	s.mu.Unlock()
	go srv.Serve(ln)
	return s.URL(), nil
}

// URL is where the server listens.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.ln.Addr().String()
}

// Stop closes the listener and every open connection: Apollo going away.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Publish releases a namespace's whole content and returns its release key.
func (s *Server) Publish(ns string, values map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases++
	n := s.ns[ns]
	if n == nil {
		n = &namespace{}
		s.ns[ns] = n
	}
	n.values = make(map[string]string, len(values))
	for k, v := range values {
		n.values[k] = v
	}
	n.releaseKey = fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102150405"), s.releases)
	n.notificationID = int64(s.releases)
	close(s.changed)
	s.changed = make(chan struct{})
	return n.releaseKey
}

// Held is how many notification long polls are waiting for a release now: a release published
// while one is held reaches its client at once.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Break makes the server answer every request 503, as a config service that went away behind its
// load balancer does, and ends the long polls it holds the same way.
func (s *Server) Break() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
	close(s.changed)
	s.changed = make(chan struct{})
}

// Requests is how many requests were served under a path prefix ("/notifications/v2").
func (s *Server) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[prefix]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	s.mu.Lock()
	s.requests["/"+parts[0]]++
	broken := s.broken
	s.mu.Unlock()
	if broken {
		http.Error(w, "config service unavailable", http.StatusServiceUnavailable)
		return
	}
	if !s.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case len(parts) == 2 && parts[0] == "services" && parts[1] == "config":
		writeJSON(w, []map[string]string{{"appName": "APOLLO-CONFIGSERVICE", "instanceId": "in-process", "homepageUrl": s.URL() + "/"}})
	case len(parts) == 5 && parts[0] == "configfiles" && parts[1] == "json":
		n, ok := s.namespace(parts[2], parts[3], parts[4])
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, n.values)
	case len(parts) == 4 && parts[0] == "configs":
		n, ok := s.namespace(parts[1], parts[2], parts[3])
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("releaseKey") == n.releaseKey {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, map[string]any{"appId": parts[1], "cluster": parts[2], "namespaceName": parts[3],
			"configurations": n.values, "releaseKey": n.releaseKey})
	case len(parts) == 2 && parts[0] == "notifications" && parts[1] == "v2":
		s.notifications(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) namespace(appID, cluster, ns string) (namespace, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.ns[ns]
	if appID != s.AppID || cluster != s.Cluster || !ok {
		return namespace{}, false
	}
	return *n, true
}

type notification struct {
	NamespaceName  string `json:"namespaceName"`
	NotificationID int64  `json:"notificationId"`
}

// notifications answers at once with the namespaces whose notification id differs from the
// client's, or waits for a release up to Hold and answers 304.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("appId") != s.AppID || q.Get("cluster") != s.Cluster {
		http.NotFound(w, r)
		return
	}
	var asked []notification
	if err := json.Unmarshal([]byte(q.Get("notifications")), &asked); err != nil {
		http.Error(w, "bad notifications", http.StatusBadRequest)
		return
	}
	deadline := time.After(s.Hold)
	for {
		s.mu.Lock()
		var out []notification
		for _, a := range asked {
			if n, ok := s.ns[a.NamespaceName]; ok && n.notificationID != a.NotificationID {
				out = append(out, notification{a.NamespaceName, n.notificationID})
			}
		}
		changed, broken := s.changed, s.broken
		if len(out) == 0 && !broken {
			s.held++
		}
		s.mu.Unlock()
		if broken {
			http.Error(w, "config service unavailable", http.StatusServiceUnavailable)
			return
		}
		if len(out) > 0 {
			writeJSON(w, out)
			return
		}
		var done bool
		select {
		case <-changed:
		case <-deadline:
			w.WriteHeader(http.StatusNotModified)
			done = true
		case <-r.Context().Done():
			done = true
		}
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// authorized checks Apollo's access key signature: Authorization "Apollo appId:signature" where
// the signature is HMAC-SHA1 of "timestamp\npath?query" under the secret, base64.
func (s *Server) authorized(r *http.Request) bool {
	if s.Secret == "" || r.URL.Path == "/services/config" {
		return true
	}
	ts := r.Header.Get("Timestamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
		return false
	}
	pathQuery := r.URL.Path
	if r.URL.RawQuery != "" {
		pathQuery += "?" + r.URL.RawQuery
	}
	mac := hmac.New(sha1.New, []byte(s.Secret))
	mac.Write([]byte(ts + "\n" + pathQuery))
	want := "Apollo " + s.AppID + ":" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(r.Header.Get("Authorization")), []byte(want))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}
