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

// Settle is how long a toggles file must stay unchanged before it is applied: a file edited in
// place (`cat > toggles.yaml`, an editor that truncates and writes) is briefly empty or half
// written, and applying that would reset every toggle (and Sentinel's rules) to its default for
// a moment, then leave a bad value at the default instead of the last good one.
const Settle = 150 * time.Millisecond

// WatchFile applies path now and again each time it changes, until ctx ends: it watches the
// file's directory (editors and config maps replace a file by renaming another over it) and, in
// case an event is missed, reads the file every poll and applies it if its content changed. A
// change is applied once the file has stayed the same for Settle, so a file caught while it is
// being written changes nothing. A file that does not parse is rejected whole, logged and
// counted, and the last good values stay; a file that is missing leaves every value at its
// default.
func (t *Toggles) WatchFile(ctx context.Context, path string, poll time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		t.log.Warn("toggles: cannot watch the file's directory; reading it every poll", "path", path, "err", err)
	}
	last := t.loadFile(path, "", 0)
	go func() {
		defer w.Close()
		tick := time.NewTicker(poll)
		defer tick.Stop()
		settle := time.NewTimer(Settle)
		settle.Stop()
		for {
			select {
			case <-ctx.Done():
				settle.Stop()
				return
			case ev := <-w.Events:
				if filepath.Clean(ev.Name) == filepath.Clean(path) {
					settle.Reset(Settle) // read it once the writes stop
				}
			case err := <-w.Errors:
				t.log.Warn("toggles: watching the file", "path", path, "err", err)
			case <-settle.C:
				last = t.loadFile(path, last, Settle)
			case <-tick.C:
				last = t.loadFile(path, last, Settle)
			}
		}
	}()
	return nil
}

// loadFile applies the file if its content is not the one last applied (seen, a digest) and
// stays the same for settle, and returns the digest of what it applied or rejected (seen if it
// applied nothing, so that the next read tries again).
func (t *Toggles) loadFile(path, seen string, settle time.Duration) string {
	b, digest, err := readDigest(path)
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
	if digest == seen {
		return seen
	}
	if settle > 0 {
		time.Sleep(settle)
		if _, again, err := readDigest(path); err != nil || again != digest {
			return seen // still being written: the next event or poll reads it again
		}
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

func readDigest(path string) ([]byte, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:]), nil
}
