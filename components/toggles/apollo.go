package toggles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apolloconfig/agollo/v4"
	agconfig "github.com/apolloconfig/agollo/v4/env/config"
)

// ApolloConfig says where the Apollo provider reads toggles from (toggles.source: apollo).
type ApolloConfig struct {
	// Server is the config service or meta server URL (http://apollo-config:8080).
	Server string `yaml:"server"`
	// AppID is the Apollo application whose namespaces hold the toggles.
	AppID string `yaml:"appId"`
	// Cluster is the Apollo cluster (default "default").
	Cluster string `yaml:"cluster"`
	// Namespaces are read in order; a key set in several takes the value of the first that sets
	// it (default: application).
	Namespaces []string `yaml:"namespaces"`
	// Secret is the application's access key secret, if it has one: requests are signed with it.
	Secret string `yaml:"secret"`
	// BackupDir holds the last release of each namespace, so that a restart while Apollo is down
	// starts from the last values (default <data dir>/apollo).
	BackupDir string `yaml:"backupDir"`
	// StartTimeout bounds how long start-up waits for Apollo before it goes on with the backup
	// (default 5s); the client keeps trying in the background.
	StartTimeout time.Duration `yaml:"startTimeout"`
}

func (c *ApolloConfig) normalize() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("apollo.server must be an http(s) URL, not %q", c.Server)
	}
	if strings.TrimSpace(c.AppID) == "" {
		return errors.New("apollo.appId is required")
	}
	if c.Cluster == "" {
		c.Cluster = "default"
	}
	if len(c.Namespaces) == 0 {
		c.Namespaces = []string{"application"}
	}
	for _, ns := range c.Namespaces {
		if ns == "" || strings.ContainsAny(ns, ",/ ") {
			return fmt.Errorf("apollo.namespaces: %q is not a namespace name", ns)
		}
	}
	if c.BackupDir == "" {
		return errors.New("apollo.backupDir is required")
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 5 * time.Second
	}
	return nil
}

// release is one namespace's current release.
type release struct {
	key    string
	values map[string]string
}

// apolloSource feeds one Toggles from the namespaces of one Apollo application.
type apolloSource struct {
	t   *Toggles
	cfg ApolloConfig
	mu  sync.Mutex
	ns  map[string]release
}

// onRelease takes a namespace's release and applies the namespaces together.
func (s *apolloSource) onRelease(namespace, key string, conf map[string]any) {
	values := make(map[string]string, len(conf))
	for k, v := range conf {
		values[k] = stringOf(v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.ns[namespace]; ok && cur.key != "" && key == "" && sameValues(cur.values, values) {
		return // the release key-less first read of what the backup or the last release holds
	}
	s.ns[namespace] = release{key: key, values: values}
	merged := map[string]string{}
	from := map[string]string{}
	for _, n := range s.cfg.Namespaces {
		r, ok := s.ns[n]
		if !ok {
			continue
		}
		for k, v := range r.values {
			if _, set := merged[k]; !set {
				merged[k], from[k] = v, n+"@"+r.key
			}
		}
	}
	s.t.ApplyReleases(Apollo, merged, func(k string) string { return from[k] })
}

func sameValues(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// WatchApollo reads the toggles from Apollo through agollo until ctx ends.
//
// It applies the backup of the last release first, so that a restart while Apollo is down starts
// from the last values; then waits up to StartTimeout for Apollo's current release, and goes on
// without it if Apollo does not answer (agollo keeps long-polling in the background). Each new
// release reaches the toggles within agollo's long poll; a value in it that does not parse is
// rejected and counted, and its last good value stays.
func (t *Toggles) WatchApollo(ctx context.Context, cfg ApolloConfig) error {
	if err := cfg.normalize(); err != nil {
		return fmt.Errorf("toggles: %w", err)
	}
	if err := os.MkdirAll(cfg.BackupDir, 0o755); err != nil {
		return fmt.Errorf("toggles: apollo backup dir: %w", err)
	}
	src := &apolloSource{t: t, cfg: cfg, ns: map[string]release{}}
	installApollo(t.log)
	for _, ns := range cfg.Namespaces {
		if c, err := readBackup(cfg.BackupDir, cfg.AppID, ns); err == nil {
			src.onRelease(ns, c.ReleaseKey, c.Configurations)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.log.Warn("toggles: apollo backup unreadable; starting from the defaults", "namespace", ns, "err", err)
		}
	}
	dir := register(cfg.BackupDir, src)
	go func() {
		<-ctx.Done()
		unregister(dir, src)
	}()
	cl := clientFor(cfg, dir, t.log)
	select {
	case <-cl.ready:
		if cl.client == nil {
			break
		}
		for _, ns := range cfg.Namespaces {
			if cache := cl.client.GetConfigCache(ns); cache != nil {
				conf := map[string]any{}
				cache.Range(func(k, v any) bool {
					conf[fmt.Sprint(k)] = v
					return true
				})
				src.onRelease(ns, "", conf)
			}
		}
	case <-time.After(cfg.StartTimeout):
		t.log.Warn("toggles: apollo did not answer in time; going on with the backup", "server", cfg.Server, "wait", cfg.StartTimeout)
	case <-ctx.Done():
	}
	return nil
}

// An agollo client runs until the process ends: its Close races with its own start-up (agollo
// v4.4.0 sets the stop channel on the polling goroutine and reads it unsynchronised in Close),
// and it has no context. So there is one client per Apollo application, cluster, namespaces and
// backup directory, shared by every WatchApollo on them (the trade and access roles of one
// process); a WatchApollo whose context ends stops taking its releases.
type sharedClient struct {
	ready  chan struct{}
	client agollo.Client // nil if it could not start
}

var (
	clientsMu sync.Mutex
	clients   = map[string]*sharedClient{}
)

func clientFor(cfg ApolloConfig, dir string, log *slog.Logger) *sharedClient {
	key := strings.Join([]string{cfg.Server, cfg.AppID, cfg.Cluster, strings.Join(cfg.Namespaces, ","), cfg.Secret, dir}, "\x00")
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[key]; ok {
		return c
	}
	c := &sharedClient{ready: make(chan struct{})}
	clients[key] = c
	go func() {
		defer close(c.ready)
		client, err := agollo.StartWithConfig(func() (*agconfig.AppConfig, error) {
			return &agconfig.AppConfig{AppID: cfg.AppID, Cluster: cfg.Cluster, IP: cfg.Server,
				NamespaceName: strings.Join(cfg.Namespaces, ","), Secret: cfg.Secret,
				IsBackupConfig: true, BackupConfigPath: dir}, nil
		})
		if err != nil {
			log.Warn("toggles: apollo client did not start", "server", cfg.Server, "err", err)
			clientsMu.Lock()
			delete(clients, key) // the next WatchApollo tries again
			clientsMu.Unlock()
			return
		}
		c.client = client
	}()
	return c
}

// The backup file handler. agollo hands each release it reads, with its release key, to one
// place only: the backup file handler (its change listeners get the values without the key). So
// Atrium's handler is where the Apollo source takes releases: it applies the release to every
// source registered on the backup directory, then writes the backup (atomically, unlike agollo's
// own, so that a crash mid-write cannot leave a truncated backup for the next start).

var (
	installOnce sync.Once
	sourcesMu   sync.Mutex
	sources     = map[string][]*apolloSource{}
)

func installApollo(log *slog.Logger) {
	installOnce.Do(func() {
		agollo.SetBackupFileHandler(backupHandler{})
		agollo.SetLogger(agolloLog{log})
	})
}

func register(dir string, s *apolloSource) string {
	dir = filepath.Clean(dir)
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	sources[dir] = append(sources[dir], s)
	return dir
}

func unregister(dir string, s *apolloSource) {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	list := sources[dir]
	for i, x := range list {
		if x == s {
			sources[dir] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(sources[dir]) == 0 {
		delete(sources, dir)
	}
}

type backupHandler struct{}

func backupPath(dir, appID, namespace string) string {
	return filepath.Join(dir, appID+"-"+namespace+".json")
}

func (backupHandler) GetConfigFile(dir, appID, namespace string) string {
	return backupPath(dir, appID, namespace)
}

func (backupHandler) WriteConfigFile(c *agconfig.ApolloConfig, dir string) error {
	sourcesMu.Lock()
	var to []*apolloSource
	for _, s := range sources[filepath.Clean(dir)] {
		if s.cfg.AppID == c.AppID {
			to = append(to, s)
		}
	}
	sourcesMu.Unlock()
	for _, s := range to {
		s.onRelease(c.NamespaceName, c.ReleaseKey, c.Configurations)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	path := backupPath(dir, c.AppID, c.NamespaceName)
	tmp, err := os.CreateTemp(dir, ".backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (backupHandler) LoadConfigFile(dir, appID, namespace string) (*agconfig.ApolloConfig, error) {
	return readBackup(dir, appID, namespace)
}

func readBackup(dir, appID, namespace string) (*agconfig.ApolloConfig, error) {
	b, err := os.ReadFile(backupPath(dir, appID, namespace))
	if err != nil {
		return nil, err
	}
	c := &agconfig.ApolloConfig{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", backupPath(dir, appID, namespace), err)
	}
	return c, nil
}

// agolloLog sends agollo's log lines to slog: its errors (one each time Apollo does not answer)
// as warnings, its chatter as debug.
type agolloLog struct{ log *slog.Logger }

func (l agolloLog) Debugf(f string, p ...any) { l.log.Debug("agollo: " + fmt.Sprintf(f, p...)) }
func (l agolloLog) Infof(f string, p ...any)  { l.log.Debug("agollo: " + fmt.Sprintf(f, p...)) }
func (l agolloLog) Warnf(f string, p ...any)  { l.log.Warn("agollo: " + fmt.Sprintf(f, p...)) }
func (l agolloLog) Errorf(f string, p ...any) { l.log.Warn("agollo: " + fmt.Sprintf(f, p...)) }
func (l agolloLog) Debug(v ...any)            { l.log.Debug("agollo: " + fmt.Sprint(v...)) }
func (l agolloLog) Info(v ...any)             { l.log.Debug("agollo: " + fmt.Sprint(v...)) }
func (l agolloLog) Warn(v ...any)             { l.log.Warn("agollo: " + fmt.Sprint(v...)) }
func (l agolloLog) Error(v ...any)            { l.log.Warn("agollo: " + fmt.Sprint(v...)) }
