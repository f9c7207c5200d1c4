package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

// A node of a deployment, as the test reads it from compose or Kubernetes.
type deployedNode struct {
	where  string
	args   []string
	env    map[string]string
	config string              // the configuration file on this machine
	files  map[string]struct{} // paths mounted in the container
	ports  map[string]int      // container ports by name ("" for unnamed)
	ready  *probe
}

type probe struct {
	path string
	port string // a name or a number
}

// checkNode checks that a node's command runs: its flags exist, its configuration file and
// environment load (every ATRIUM_ variable names a key), validate, and name files it mounts,
// and the ports it listens on are the ports the deployment opens and probes.
func checkNode(t *testing.T, n deployedNode) {
	t.Helper()
	root := rootCmd()
	cmd, rest, err := root.Find(n.args)
	if err != nil || cmd == root {
		t.Errorf("%s: command %v: %v", n.where, n.args, err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: %v: %v", n.where, n.args, err)
		return
	}
	var environ []string
	for k, v := range n.env {
		if strings.HasPrefix(k, "ATRIUM_") {
			environ = append(environ, k+"="+v)
		}
	}
	cfg, err := platform.LoadEnv(n.config, environ)
	if err != nil {
		t.Errorf("%s: %v", n.where, err)
		return
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range n.env {
			if !yield(k) {
				return
			}
		}
	}) {
		if strings.HasPrefix(k, "ATRIUM_") && !envKnown(k) {
			t.Errorf("%s: %s names no configuration key", n.where, k)
		}
	}
	flag := func(name, def string) string {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return f.Value.String()
		}
		return def
	}
	cfg.HTTP.Addr, cfg.RPC.Addr = flag("http-addr", cfg.HTTP.Addr), flag("rpc-addr", cfg.RPC.Addr)
	if err := cfg.Validate(); err != nil {
		t.Errorf("%s: the configuration does not validate: %v", n.where, err)
	}
	if _, ok := n.files[cfg.Toggles.File]; cfg.Toggles.Source == "file" && !ok {
		t.Errorf("%s: toggles.file %s is not mounted", n.where, cfg.Toggles.File)
	}
	port := func(addr string) int {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: %q: %v", n.where, addr, err)
		}
		return port(p)
	}
	opens := func(p int) bool {
		for _, v := range n.ports {
			if v == p {
				return true
			}
		}
		return false
	}
	var listens []int
	switch role := flag("role", "all"); {
	case cmd.Name() != "serve":
	case role == "trade":
		listens = []int{port(cfg.RPC.Addr), port(cfg.Metrics.Addr)}
	case role == "access":
		listens = []int{port(cfg.HTTP.Addr)}
	default:
		listens = []int{port(cfg.HTTP.Addr)}
	}
	for _, p := range listens {
		if !opens(p) {
			t.Errorf("%s listens on %d, which the deployment does not open (%v)", n.where, p, n.ports)
		}
	}
	if n.ready != nil {
		if n.ready.path != "/readyz" {
			t.Errorf("%s: readiness probes %s; the roles answer /readyz", n.where, n.ready.path)
		}
		p, ok := n.ports[n.ready.port]
		if !ok {
			t.Errorf("%s: readiness probes port %s, which the container does not declare", n.where, n.ready.port)
		} else if want := map[bool]int{true: port(cfg.Metrics.Addr), false: port(cfg.HTTP.Addr)}[flag("role", "all") == "trade"]; p != want {
			t.Errorf("%s: readiness probes port %d; /readyz is served on %d", n.where, p, want)
		}
	}
}

// envKnown reports whether an ATRIUM_ variable names a configuration key: LoadEnv would set
// something from it (a value the field cannot take fails LoadEnv itself).
func envKnown(k string) bool {
	base, _ := platform.LoadEnv("", nil)
	got, err := platform.LoadEnv("", []string{k + "=12345"})
	if err != nil {
		return true // a key whose field refused the probe's value: it exists
	}
	return !reflect.DeepEqual(base, got)
}

var interpolation = regexp.MustCompile(`\$\{([A-Z_]+)(:-([^}]*))?\}`)

func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, str(x))
	}
	return out
}

func asList(v any) []any { l, _ := v.([]any); return l }
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// TestComposeNodesUseRealKeysAndPorts: every Atrium service of deploy/compose.yaml runs a
// command that exists with a configuration and environment that load and validate, mounts its
// toggles, and opens the ports it listens on; the Dockerfile exposes them.
func TestComposeNodesUseRealKeysAndPorts(t *testing.T) {
	doc := readYAML(t, "../../deploy/compose.yaml")[0]
	atriumNodes := 0
	for name, v := range asMap(doc["services"]) {
		svc := asMap(v)
		if svc["image"] != "atrium:dev" {
			continue
		}
		atriumNodes++
		n := deployedNode{where: "compose " + name, args: strs(svc["command"]), env: map[string]string{}, files: map[string]struct{}{},
			ports: map[string]int{}}
		for k, v := range asMap(svc["environment"]) {
			n.env[k] = interpolation.ReplaceAllString(str(v), "$3")
		}
		for _, vol := range strs(svc["volumes"]) {
			parts := strings.Split(vol, ":")
			n.files[parts[1]] = struct{}{}
			if parts[1] == "/etc/atrium/atrium.yaml" {
				n.config = filepath.Join("../../deploy", parts[0])
			}
		}
		for _, p := range append(strs(svc["expose"]), strs(svc["ports"])...) {
			parts := strings.Split(p, ":")
			n.ports[p] = port(parts[len(parts)-1])
		}
		if n.config == "" {
			t.Errorf("compose %s mounts no /etc/atrium/atrium.yaml", name)
			continue
		}
		checkNode(t, n)
	}
	if atriumNodes != 4 { // migrate, two trade nodes, access
		t.Errorf("compose runs %d Atrium services; want 4", atriumNodes)
	}
	docker, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docker), "EXPOSE 8080 8888 9464") {
		t.Error("the Dockerfile does not expose 8080, 8888 and 9464")
	}
}

// port is a port number, -1 for anything else.
func port(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return v
}

// TestKubernetesNodesUseRealKeysAndPorts: the same for deploy/k8s: each container's command,
// its ConfigMap's atrium.yaml with its environment (secrets from the Secret, which must hold
// every key a container takes), the ConfigMap's files it mounts, its ports and probes, and the
// Services' target ports.
func TestKubernetesNodesUseRealKeysAndPorts(t *testing.T) {
	docs := readYAML(t, "../../deploy/k8s/atrium.yaml")
	configMaps, secrets := map[string]map[string]any{}, map[string]map[string]any{}
	for _, d := range docs {
		name := str(asMap(d["metadata"])["name"])
		switch d["kind"] {
		case "ConfigMap":
			configMaps[name] = asMap(d["data"])
		case "Secret":
			secrets[name] = asMap(d["stringData"])
		}
	}
	portNames := map[string]bool{}
	containers := 0
	for _, d := range docs {
		var spec map[string]any
		switch d["kind"] {
		case "Deployment", "StatefulSet", "Job":
			spec = asMap(asMap(asMap(d["spec"])["template"])["spec"])
		default:
			continue
		}
		mounts := map[string]string{} // volume → configMap
		for _, v := range asList(spec["volumes"]) {
			if cm := asMap(asMap(v)["configMap"]); cm != nil {
				mounts[str(asMap(v)["name"])] = str(cm["name"])
			}
		}
		for _, c := range asList(spec["containers"]) {
			c := asMap(c)
			containers++
			n := deployedNode{where: str(d["kind"]) + " " + str(asMap(d["metadata"])["name"]), args: strs(c["args"]),
				env: map[string]string{}, files: map[string]struct{}{}, ports: map[string]int{}}
			for _, e := range asList(c["env"]) {
				e := asMap(e)
				val := str(e["value"])
				if from := asMap(e["valueFrom"]); from != nil {
					if ref := asMap(from["secretKeyRef"]); ref != nil {
						v, ok := secrets[str(ref["name"])][str(ref["key"])]
						if !ok {
							t.Errorf("%s: %s takes %s/%s, which the Secret does not hold", n.where, e["name"], ref["name"], ref["key"])
						}
						val = str(v)
					}
					if ref := asMap(from["fieldRef"]); ref != nil {
						val = map[bool]string{true: "1", false: "10.0.0.7"}[strings.Contains(str(ref["fieldPath"]), "pod-index")]
					}
				}
				n.env[str(e["name"])] = val
			}
			for k, v := range n.env { // $(VAR) refers to another variable of the container
				n.env[k] = regexp.MustCompile(`\$\(([A-Z_]+)\)`).ReplaceAllStringFunc(v, func(m string) string { return n.env[m[2:len(m)-1]] })
			}
			for _, m := range asList(c["volumeMounts"]) {
				m := asMap(m)
				cm, ok := configMaps[mounts[str(m["name"])]]
				if !ok {
					continue
				}
				for key, body := range cm {
					path := str(m["mountPath"]) + "/" + key
					n.files[path] = struct{}{}
					if key == "atrium.yaml" {
						n.config = filepath.Join(t.TempDir(), "atrium.yaml")
						if err := os.WriteFile(n.config, []byte(str(body)), 0o600); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			for _, p := range asList(c["ports"]) {
				p := asMap(p)
				n.ports[str(p["name"])] = p["containerPort"].(int)
				portNames[str(p["name"])] = true
			}
			if rp := asMap(asMap(c["readinessProbe"])["httpGet"]); rp != nil {
				n.ready = &probe{path: str(rp["path"]), port: str(rp["port"])}
			} else if d["kind"] != "Job" {
				t.Errorf("%s has no readiness probe", n.where)
			}
			if n.config == "" {
				t.Errorf("%s mounts no atrium.yaml", n.where)
				continue
			}
			checkNode(t, n)
		}
	}
	if containers != 3 {
		t.Errorf("%d Atrium containers; want 3 (migrate, trade, access)", containers)
	}
	for _, d := range docs {
		if d["kind"] != "Service" {
			continue
		}
		for _, p := range asList(asMap(d["spec"])["ports"]) {
			if target := str(asMap(p)["targetPort"]); !portNames[target] {
				t.Errorf("service %s targets port %q, which no container names", asMap(d["metadata"])["name"], target)
			}
		}
	}
}
