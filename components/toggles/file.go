package toggles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fsnotify/fsnotify"
	"gopkg.in/yaml.v3"
)

// ReadFile reads a YAML toggles file as a flat snapshot: nested maps become dotted keys
// (tenants: {acme: {cod.enabled: false}} is tenants.acme.cod.enabled), scalars their text, and
// lists (Sentinel's rule sets) their JSON.
func ReadFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseFile(path, b)
}

func parseFile(path string, b []byte) (map[string]string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("toggles: %s: %w", path, err)
	}
	out := map[string]string{}
	if err := flatten("", doc, out); err != nil {
		return nil, fmt.Errorf("toggles: %s: %w", path, err)
	}
	return out, nil
}

func flatten(prefix string, v any, out map[string]string) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if err := flatten(key, e, out); err != nil {
				return err
			}
		}
	case []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		out[prefix] = string(b)
	case nil:
		// an empty key leaves the value at its default
	case string:
		out[prefix] = x
	case bool:
		out[prefix] = strconv.FormatBool(x)
	default:
		out[prefix] = fmt.Sprint(x)
	}
	return nil
}

// WatchFile applies path now and again each time it changes, until ctx ends: it watches the
// file's directory (editors and config maps replace a file by renaming another over it) and, in
// case an event is missed, reads the file every poll and applies it if its content changed. A
// file that does not parse is rejected whole, logged and counted, and the last good values stay;
// a file that is missing leaves every value at its default.
func (t *Toggles) WatchFile(ctx context.Context, path string, poll time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		t.log.Warn("toggles: cannot watch the file's directory; reading it every poll", "path", path, "err", err)
	}
	last := t.loadFile(path, "")
	go func() {
		defer w.Close()
		tick := time.NewTicker(poll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-w.Events:
				if filepath.Clean(ev.Name) == filepath.Clean(path) {
					last = t.loadFile(path, last)
				}
			case err := <-w.Errors:
				t.log.Warn("toggles: watching the file", "path", path, "err", err)
			case <-tick.C:
				last = t.loadFile(path, last)
			}
		}
	}()
	return nil
}

// loadFile applies the file if its content is not the one last applied (seen, a digest) and
// returns the digest of what it read.
func (t *Toggles) loadFile(path, seen string) string {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if seen != "missing" {
			t.Apply(File, "", map[string]string{}) // what the file set goes back to its defaults
		}
		return "missing"
	}
	if err != nil {
		t.log.Warn("toggles: reading the file", "path", path, "err", err)
		return seen
	}
	sum := sha256.Sum256(b)
	digest := hex.EncodeToString(sum[:])
	if digest == seen {
		return seen
	}
	snap, err := parseFile(path, b)
	if err != nil {
		t.rejected.Add(1)
		t.log.Warn("toggles file rejected; the last good values stay", "path", path, "err", err)
		return digest
	}
	t.Apply(File, digest[:12], snap)
	return digest
}
