package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestPodsCommands places tenants and lists the pods through the CLI, on two pods of MariaDB.
func TestPodsCommands(t *testing.T) {
	db := daltest.MySQLPodsConfig(t, "p1", "p2")
	raw, err := yaml.Marshal(map[string]any{
		"db": map[string]any{"driver": "mysql", "directory": "p1",
			"pods": []map[string]any{{"name": "p1", "nodes": db.Pods[0].Nodes}, {"name": "p2", "nodes": db.Pods[1].Nodes}}},
		"mq": map[string]any{"broker": "nats", "url": "nats://127.0.0.1:4222"},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := atrium(t, "pods", "place", "--config", file, "--tenant", "acme", "--pod", "p2")
	if err != nil || !strings.Contains(out, "tenant acme is on pod p2") {
		t.Fatalf("place: %q, %v", out, err)
	}
	if out, err := atrium(t, "pods", "place", "--config", file, "--tenant", "acme", "--pod", "p1"); err == nil ||
		!strings.Contains(err.Error(), "tenant acme is on pod p2") {
		t.Errorf("placing acme again elsewhere: %q, %v; want refused, naming p2", out, err)
	}
	if out, err := atrium(t, "pods", "place", "--config", file, "--tenant", "bolt", "--pod", "p9"); err == nil ||
		!strings.Contains(err.Error(), `no pod "p9"`) {
		t.Errorf("placing on p9: %q, %v; want refused", out, err)
	}
	if _, err := atrium(t, "pods", "place", "--config", file, "--tenant", "bolt", "--pod", "p1"); err != nil {
		t.Fatal(err)
	}
	out, err = atrium(t, "pods", "list", "--config", file, "--tenants")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`p1 \(directory\)\s+1\s+127\.0\.0\.1:\d+\s+primary\s+-`, `p2\s+1\s+127\.0\.0\.1:\d+\s+primary`,
		`acme\s+p2\s+\d{4}-`, `bolt\s+p1\s+\d{4}-`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("pods list does not show %s:\n%s", want, out)
		}
	}
}

// TestPodsPromote promotes a replica through the CLI once its primary is dead, and pods list
// shows the pod's nodes before and after.
func TestPodsPromote(t *testing.T) {
	servers, dsns := daltest.Pod(t, "atrium", 1)
	raw, err := yaml.Marshal(map[string]any{"db": map[string]any{"driver": "mysql", "pods": []map[string]any{{"name": "p1", "nodes": dsns}}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	primary, replica := fmt.Sprintf("127.0.0.1:%d", servers[0].Port), fmt.Sprintf("127.0.0.1:%d", servers[1].Port)
	out, err := atrium(t, "pods", "list", "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{regexp.QuoteMeta(primary) + `\s+primary\s+-`, regexp.QuoteMeta(replica) + `\s+replica\s+\d+s`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("pods list does not show %s:\n%s", want, out)
		}
	}
	if _, err := atrium(t, "pods", "promote", "--config", file, "--pod", "p1", "--node", replica); err == nil || !strings.Contains(err.Error(), "still answers") {
		t.Errorf("promoting beside a live primary: %v; want refused", err)
	}
	servers[0].Kill()
	if out, err := atrium(t, "pods", "promote", "--config", file, "--pod", "p1", "--node", replica); err != nil || !strings.Contains(out, replica+" is pod p1's primary") {
		t.Fatalf("promote: %q, %v", out, err)
	}
	out, err = atrium(t, "pods", "list", "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{regexp.QuoteMeta(primary) + `\s+down`, regexp.QuoteMeta(replica) + `\s+primary`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("pods list after the promotion does not show %s:\n%s", want, out)
		}
	}
}
