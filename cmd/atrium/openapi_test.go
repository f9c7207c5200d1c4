package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const apiclientDir = "../../access-layer/apiclient/"

// TestAPIClientMatchesTheDocument: the committed OpenAPI document is what `atrium openapi`
// prints now, and the committed client is what oapi-codegen makes of it: neither lags the routes
// (the client compiles with the module: go build ./...).
func TestAPIClientMatchesTheDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs oapi-codegen")
	}
	doc, err := atrium(t, "openapi")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(apiclientDir + "openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(doc), committed) {
		t.Fatal("access-layer/apiclient/openapi.json is not the API's document now: run go generate ./access-layer/apiclient")
	}
	// The committed configuration, writing where the test reads (its output is relative to the
	// working directory, and -o does not override a configuration file's).
	cfg, err := os.ReadFile(apiclientDir + "oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "client.gen.go")
	cfg = bytes.Replace(cfg, []byte("output: client.gen.go"), []byte("output: "+out), 1)
	if err := os.WriteFile(filepath.Join(dir, "oapi-codegen.yaml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", filepath.Join(dir, "oapi-codegen.yaml"), apiclientDir+"openapi.json")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(apiclientDir + "client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("access-layer/apiclient/client.gen.go is not what oapi-codegen makes of the document: run go generate ./access-layer/apiclient")
	}
}
