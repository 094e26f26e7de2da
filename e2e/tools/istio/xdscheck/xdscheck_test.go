// Package xdscheck cross-checks the egress access report (`istio-egress render`'s report.json) against the xDS
// configuration Istio itself generates for the rendered objects (issue 12 item 3, issue 11 "How it is checked"):
// Istio's in-memory pilot (pilot/pkg/networking/core NewConfigGenTest, the one Istio's own unit tests use) builds
// the sidecar's and the egress gateway's listeners, routes and clusters, and for every row of the report:
//
//   - the sidecar's route for the host (HTTP: its route configuration's virtual host; TLS: its outbound listener's
//     filter chain for the SNI) leads to the gateway Service's subset the stack's outputs name, over Istio mTLS with
//     the SNI the report says the gateway sees;
//   - the gateway's listener filter chain for that SNI carries RBAC rules that, evaluated for the row's source
//     identity (the Envoy RBAC semantics, implemented below for the matchers Istio generates; anything else fails
//     the test), allow exactly what the report says is allowed and deny the rest;
//   - an allowed request is routed to the upstream the report names, and TLS origination verifies the upstream
//     against the proxy's system CAs (what docs/equivalence.md's IST0129 explanation relies on).
//
// Inputs: E2E_XDS_INPUTS names a directory with one subdirectory per example (`objects.yaml`: the rendered objects
// then the gateway chart's `helm template` objects; `render.json`: render's JSON), written by
// `node dist/e2e/istio/xds-inputs.js DIR` (e2e/run.sh does it). Without it the test FAILS: a cross-check that
// skips when its inputs are missing would pass in CI without checking anything.
//
//	node dist/e2e/istio/xds-inputs.js /tmp/xds && cd e2e/tools/istio && E2E_XDS_INPUTS=/tmp/xds go test -trimpath ./xdscheck/
package xdscheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbac "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbachttp "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
)

// namedOnly: every host of the example allows named namespaces only, so a workload of any other namespace must be
// denied. The ASM tutorial allows every identity but demo-frontend's (examples/asm-tutorial: `allow: [{}]`).
func TestBlogScenario(t *testing.T) { checkExample(t, "blog-scenario", true) }

func TestASMTutorial(t *testing.T) { checkExample(t, "asm-tutorial", false) }

type object = map[string]any

type reportRow struct {
	Source      string `json:"source"`
	Namespace   string `json:"namespace"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Protocol    string `json:"protocol"`
	Kind        string `json:"kind"`
	RequestHost string `json:"requestHost"`
	Verdict     string `json:"verdict"`
	Path        string `json:"path"`
	Upstream    string `json:"upstream"`
	Gateway     string `json:"gateway"`
	Request     *struct {
		Source struct {
			Principal string `json:"principal"`
			Namespace string `json:"namespace"`
		} `json:"source"`
		HTTP   bool   `json:"http"`
		Port   int    `json:"port"`
		SNI    string `json:"sni"`
		Host   string `json:"host"`
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"gatewayRequest"`
}

type renderJSON struct {
	Report struct {
		Rows []reportRow `json:"rows"`
	} `json:"report"`
	Outputs struct {
		Hosts map[string]struct {
			Subset          string `json:"subset"`
			SNI             string `json:"sni"`
			DestinationRule string `json:"destinationRule"`
		} `json:"hosts"`
	} `json:"outputs"`
}

func inputs(t *testing.T, example string) ([]object, []string, renderJSON) {
	dir := os.Getenv("E2E_XDS_INPUTS")
	if dir == "" {
		t.Fatalf("E2E_XDS_INPUTS is not set: it must name the directory `node dist/e2e/istio/xds-inputs.js DIR` writes " +
			"(e2e/run.sh does both); this cross-check never skips")
	}
	raw, err := os.ReadFile(filepath.Join(dir, example, "objects.yaml"))
	if err != nil {
		t.Fatalf("%v (write it with node dist/e2e/istio/xds-inputs.js %s)", err, dir)
	}
	var objs []object
	var docs []string
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("objects.yaml: %v", err)
		}
		objs = append(objs, o)
		docs = append(docs, doc)
	}
	var r renderJSON
	b, err := os.ReadFile(filepath.Join(dir, example, "render.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("render.json: %v", err)
	}
	return objs, docs, r
}

func str(o any, path ...string) string {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return ""
		}
		o = m[p]
	}
	s, _ := o.(string)
	return s
}

func get(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

const gatewayIP = "10.10.0.1"

// gatewayServiceEntry stands in for the Kubernetes registry, which NewConfigGenTest does not run: the chart's
// Service as Istio's Kubernetes controller would model it (host <name>.<ns>.svc.cluster.local, its ports with the
// protocol Istio selects from appProtocol or the name, one endpoint per gateway pod carrying the selector's labels).
func gatewayServiceEntry(t *testing.T, svc object) (doc, host string, targetPorts map[int]int) {
	name, ns := str(svc, "metadata", "name"), str(svc, "metadata", "namespace")
	host = fmt.Sprintf("%s.%s.svc.cluster.local", name, ns)
	targetPorts = map[int]int{}
	var ports []any
	for _, p := range get(svc, "spec", "ports").([]any) {
		pm := p.(map[string]any)
		port := int(pm["port"].(float64))
		target := port
		if tp, ok := pm["targetPort"].(float64); ok {
			target = int(tp)
		}
		targetPorts[port] = target
		proto := str(pm, "appProtocol")
		if proto == "" {
			proto = strings.SplitN(str(pm, "name"), "-", 2)[0]
		}
		ports = append(ports, map[string]any{"name": str(pm, "name"), "number": port, "targetPort": target, "protocol": strings.ToUpper(proto)})
	}
	se := object{
		"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
		"metadata": object{"name": "k8s-service-" + name, "namespace": ns},
		"spec": object{
			"hosts": []any{host}, "location": "MESH_INTERNAL", "resolution": "STATIC", "ports": ports,
			"endpoints": []any{object{"address": gatewayIP, "labels": get(svc, "spec", "selector")}},
		},
	}
	b, err := yaml.Marshal(se)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), host, targetPorts
}

func checkExample(t *testing.T, example string, namedOnly bool) {
	objs, docs, r := inputs(t, example)
	var istio []string
	var svc, deploy object
	for i, o := range objs {
		api, kind := str(o, "apiVersion"), str(o, "kind")
		group := strings.SplitN(api, "/", 2)[0]
		switch {
		case group == "networking.istio.io" || group == "security.istio.io" || group == "telemetry.istio.io":
			istio = append(istio, docs[i])
		case kind == "Service" && api == "v1":
			if svc != nil {
				t.Fatalf("two Services among the objects (%s, %s): expected the gateway chart's one", str(svc, "metadata", "name"), str(o, "metadata", "name"))
			}
			svc = o
		case kind == "Deployment":
			deploy = o
		}
	}
	if svc == nil || deploy == nil {
		t.Fatalf("objects.yaml has no Service or Deployment of the gateway chart")
	}
	seDoc, gwHost, targetPorts := gatewayServiceEntry(t, svc)
	cg := core.NewConfigGenTest(t, core.TestOptions{ConfigString: strings.Join(append(istio, seDoc), "\n---\n")})
	gwNs := str(svc, "metadata", "namespace")

	podLabels := map[string]string{}
	for k, v := range get(deploy, "spec", "template", "metadata", "labels").(map[string]any) {
		podLabels[k] = v.(string)
	}
	gw := cg.SetupProxy(&model.Proxy{
		Type: model.Router, ConfigNamespace: gwNs, Labels: podLabels, IPAddresses: []string{gatewayIP}, ID: "egress-gateway.test",
		Metadata: &model.NodeMetadata{Namespace: gwNs, Labels: podLabels, IstioVersion: "1.31.0"},
	})
	gwListeners := cg.Listeners(gw)
	gwRoutes := cg.Routes(gw)
	gwClusters := cg.Clusters(gw)

	var allowed, denied int
	for _, row := range r.Report.Rows {
		if row.Path != "gateway" {
			continue
		}
		if row.Request == nil {
			t.Fatalf("report row %s → %s:%d has no gatewayRequest", row.Source, row.Host, row.Port)
		}
		t.Run(fmt.Sprintf("%s→%s:%d", row.Source, row.Host, row.Port), func(t *testing.T) {
			h, ok := r.Outputs.Hosts[row.Host]
			if !ok || h.Subset == "" {
				t.Fatalf("the stack's outputs name no gateway subset for %s", row.Host)
			}
			sni := row.Request.SNI
			if h.SNI != sni {
				t.Fatalf("outputs say SNI %q for %s, the report's gateway request %q", h.SNI, row.Host, sni)
			}
			checkSidecar(t, cg, row, fmt.Sprintf("outbound|%d|%s|%s", row.Request.Port, h.Subset, gwHost), sni)
			got := checkGateway(t, row, gwListeners, gwRoutes, gwClusters, targetPorts[row.Request.Port], h.DestinationRule != "", namedOnly)
			if got != (row.Verdict == "allowed") {
				t.Errorf("the report says %s, the gateway's RBAC filters say allowed=%v", row.Verdict, got)
			}
		})
		if row.Verdict == "allowed" {
			allowed++
		} else {
			denied++
		}
	}
	// A report with nothing to compare would pass vacuously.
	if allowed == 0 || denied == 0 {
		t.Fatalf("%s: the report has %d allowed and %d denied gateway rows; the cross-check needs both", example, allowed, denied)
	}
}

// checkSidecar: the source namespace's sidecar routes the host to the gateway subset's cluster, which speaks Istio
// mTLS with the SNI the gateway's filter chains match on.
func checkSidecar(t *testing.T, cg *core.ConfigGenTest, row reportRow, wantCluster, sni string) {
	sc := cg.SetupProxy(&model.Proxy{
		ConfigNamespace: row.Namespace, IPAddresses: []string{"10.20.0.1"}, ID: "client." + row.Namespace,
		Labels:   map[string]string{"app": "client"},
		Metadata: &model.NodeMetadata{Namespace: row.Namespace, Labels: map[string]string{"app": "client"}, IstioVersion: "1.31.0"},
	})
	reqHost := row.Host
	if row.RequestHost != "" {
		reqHost = row.RequestHost
	}
	var got string
	if row.Protocol == "HTTP" {
		rc := findRouteConfig(cg.Routes(sc), strconv.Itoa(row.Port))
		if rc == nil {
			t.Fatalf("sidecar in %s: no route configuration %q", row.Namespace, strconv.Itoa(row.Port))
		}
		got = routeCluster(t, rc, reqHost, row.Port)
	} else {
		l := findListener(cg.Listeners(sc), fmt.Sprintf("0.0.0.0_%d", row.Port))
		if l == nil {
			t.Fatalf("sidecar in %s: no outbound listener 0.0.0.0_%d", row.Namespace, row.Port)
		}
		fc := chainForSNI(l, reqHost)
		if fc == nil {
			t.Fatalf("sidecar in %s: listener %s has no filter chain for SNI %s", row.Namespace, l.Name, reqHost)
		}
		got = tcpCluster(t, fc)
	}
	if got != wantCluster {
		t.Fatalf("sidecar in %s: %s:%d goes to cluster %q, want the gateway subset's %q", row.Namespace, reqHost, row.Port, got, wantCluster)
	}
	c := findCluster(cg.Clusters(sc), wantCluster)
	if c == nil {
		t.Fatalf("sidecar in %s: route to %q, but no such cluster", row.Namespace, wantCluster)
	}
	tc := upstreamTLS(t, c)
	if tc == nil {
		t.Fatalf("cluster %s: no TLS transport socket (Istio mTLS to the gateway expected)", wantCluster)
	}
	if tc.Sni != sni {
		t.Errorf("cluster %s: SNI %q, the report says the gateway sees %q", wantCluster, tc.Sni, sni)
	}
	if names := certSDSNames(tc); !contains(names, "default") || !contains(names, "ROOTCA") {
		t.Errorf("cluster %s: SDS secrets %v, want Istio's workload certificate (default) and root (ROOTCA): ISTIO_MUTUAL", wantCluster, names)
	}
}

// checkGateway evaluates the gateway's RBAC for the row's request and checks, when allowed, the route to the upstream.
func checkGateway(t *testing.T, row reportRow, ls []*listener.Listener, rcs []*route.RouteConfiguration, cs []*cluster.Cluster, port int, originates, namedOnly bool) bool {
	req := row.Request
	l := findListener(ls, fmt.Sprintf("0.0.0.0_%d", port))
	if l == nil {
		t.Fatalf("gateway: no listener 0.0.0.0_%d among %v", port, listenerNames(ls))
	}
	fc := chainForSNI(l, req.SNI)
	if fc == nil {
		t.Fatalf("gateway: listener %s has no filter chain for SNI %s", l.Name, req.SNI)
	}
	a := attrs{identity: "spiffe://" + req.Source.Principal, sni: req.SNI, port: port, host: req.Host, path: req.Path, method: req.Method}
	var policies []*rbac.RBAC
	var upstream string
	if m := findFilter(fc.Filters, "envoy.filters.network.http_connection_manager"); m != nil {
		if !req.HTTP {
			t.Fatalf("gateway: the chain for %s is HTTP, the report's request is not", req.SNI)
		}
		h := &hcm.HttpConnectionManager{}
		unmarshal(t, m, h)
		for _, f := range h.HttpFilters {
			if f.Name == "envoy.filters.http.rbac" {
				cfg := &rbachttp.RBAC{}
				unmarshal(t, f.GetTypedConfig(), cfg)
				policies = append(policies, rulesOf(t, cfg.Rules, cfg.Matcher))
			}
		}
		rc := findRouteConfig(rcs, h.GetRds().GetRouteConfigName())
		if rc == nil {
			t.Fatalf("gateway: no route configuration %q", h.GetRds().GetRouteConfigName())
		}
		upstream = routeCluster(t, rc, req.Host, req.Port)
	} else {
		if req.HTTP {
			t.Fatalf("gateway: the chain for %s is TCP, the report's request is HTTP", req.SNI)
		}
		for _, f := range fc.Filters {
			if f.Name == "envoy.filters.network.rbac" {
				cfg := &rbacnet.RBAC{}
				unmarshal(t, f.GetTypedConfig(), cfg)
				policies = append(policies, rulesOf(t, cfg.Rules, cfg.Matcher))
			}
		}
		upstream = tcpCluster(t, fc)
	}
	if len(policies) == 0 {
		t.Fatalf("gateway: the chain for %s has no RBAC filter (the AuthorizationPolicies select no gateway pod?)", req.SNI)
	}
	ok := evaluate(t, policies, a)
	if ok {
		// The attacker: the same request with no peer identity (a client that does not present an Istio
		// certificate), and, where the example allows named namespaces only, from a namespace no rule names (a pod
		// of any namespace can reach the gateway's mTLS listeners: docs/lockdown.md). Only the peer's mTLS
		// identity may let a request through.
		anon := a
		anon.identity = ""
		if evaluate(t, policies, anon) {
			t.Errorf("gateway: the chain for %s also allows a peer without identity", req.SNI)
		}
		if namedOnly {
			intruder := a
			intruder.identity = "spiffe://cluster.local/ns/istio-egress-e2e-intruder/sa/default"
			if evaluate(t, policies, intruder) {
				t.Errorf("gateway: the chain for %s also allows %s, a namespace no rule names", req.SNI, intruder.identity)
			}
		}
	}
	if row.Verdict == "allowed" {
		hostPort := strings.SplitN(row.Upstream, ":", 2)
		if len(hostPort) != 2 {
			t.Fatalf("report: upstream %q is not host:port", row.Upstream)
		}
		c := findCluster(cs, upstream)
		if c == nil {
			t.Fatalf("gateway: route to %q, but no such cluster", upstream)
		}
		if parts := strings.Split(upstream, "|"); len(parts) != 4 || parts[3] != hostPort[0] {
			t.Errorf("gateway: routes to cluster %q, the report says upstream %s", upstream, row.Upstream)
		}
		if eps := endpoints(c); !contains(eps, row.Upstream) {
			t.Errorf("gateway: cluster %s endpoints %v, the report says upstream %s", upstream, eps, row.Upstream)
		}
		tc := upstreamTLS(t, c)
		if originates {
			// pilot/pkg/networking/core/cluster_tls.go: empty caCertificates → SDS root "file-root:system".
			if tc == nil || tc.Sni != hostPort[0] || !contains(certSDSNames(tc), "file-root:system") {
				t.Errorf("gateway: cluster %s does not originate TLS to %s verified by the system CAs: %v", upstream, hostPort[0], tc)
			} else if sans := exactSANs(tc); !contains(sans, hostPort[0]) {
				t.Errorf("gateway: cluster %s verifies the upstream's certificate against SANs %v, not %s", upstream, sans, hostPort[0])
			}
		} else if tc != nil {
			t.Errorf("gateway: cluster %s wraps in TLS, but the host is TLS passthrough", upstream)
		}
	}
	return ok
}

// evaluate runs the RBAC filters in order, as Envoy does: an ALLOW filter denies unless a policy matches, a DENY
// filter denies when one does.
func evaluate(t *testing.T, filters []*rbac.RBAC, a attrs) bool {
	for _, p := range filters {
		matched := false
		for _, pol := range p.Policies {
			if matchPolicy(t, pol, a) {
				matched = true
				break
			}
		}
		switch p.Action {
		case rbac.RBAC_ALLOW:
			if !matched {
				return false
			}
		case rbac.RBAC_DENY:
			if matched {
				return false
			}
		default:
			t.Fatalf("gateway: RBAC action %v not evaluated", p.Action)
		}
	}
	return true
}

func rulesOf(t *testing.T, r *rbac.RBAC, m any) *rbac.RBAC {
	if r == nil {
		t.Fatalf("RBAC filter without rules (matcher %v): not evaluated", m)
	}
	return r
}

type attrs struct {
	identity, sni, host, path, method string
	port                              int
}

func matchPolicy(t *testing.T, p *rbac.Policy, a attrs) bool {
	if p.Condition != nil || p.CheckedCondition != nil {
		t.Fatalf("RBAC policy with a CEL condition: not evaluated")
	}
	perm, prin := false, false
	for _, x := range p.Permissions {
		if matchPermission(t, x, a) {
			perm = true
			break
		}
	}
	for _, x := range p.Principals {
		if matchPrincipal(t, x, a) {
			prin = true
			break
		}
	}
	return perm && prin
}

// matchPermission implements Envoy's config/rbac/v3 Permission for the rules Istio generates
// (pilot/pkg/security/authz/model/permission.go); any other rule fails the test rather than guess.
func matchPermission(t *testing.T, p *rbac.Permission, a attrs) bool {
	switch r := p.Rule.(type) {
	case *rbac.Permission_Any:
		return r.Any
	case *rbac.Permission_AndRules:
		for _, x := range r.AndRules.Rules {
			if !matchPermission(t, x, a) {
				return false
			}
		}
		return true
	case *rbac.Permission_OrRules:
		for _, x := range r.OrRules.Rules {
			if matchPermission(t, x, a) {
				return true
			}
		}
		return false
	case *rbac.Permission_NotRule:
		return !matchPermission(t, r.NotRule, a)
	case *rbac.Permission_DestinationPort:
		return int(r.DestinationPort) == a.port
	case *rbac.Permission_RequestedServerName:
		return matchString(t, r.RequestedServerName, a.sni)
	case *rbac.Permission_Header:
		var v string
		switch r.Header.Name {
		case ":authority", "host":
			v = a.host
		case ":method":
			v = a.method
		case ":path":
			v = a.path
		default:
			t.Fatalf("RBAC header %q: not evaluated", r.Header.Name)
		}
		return matchHeader(t, r.Header, v)
	case *rbac.Permission_UrlPath:
		return matchString(t, r.UrlPath.GetPath(), strings.SplitN(a.path, "?", 2)[0])
	}
	t.Fatalf("RBAC permission %T: not evaluated", p.Rule)
	return false
}

// matchPrincipal: the peer identity is the source's SPIFFE ID (pilot/pkg/security/authz/model/principal.go:
// authenticated.principal_name, or filter_state io.istio.peer_principal, both the peer certificate's URI SAN).
func matchPrincipal(t *testing.T, p *rbac.Principal, a attrs) bool {
	switch r := p.Identifier.(type) {
	case *rbac.Principal_Any:
		return r.Any
	case *rbac.Principal_AndIds:
		for _, x := range r.AndIds.Ids {
			if !matchPrincipal(t, x, a) {
				return false
			}
		}
		return true
	case *rbac.Principal_OrIds:
		for _, x := range r.OrIds.Ids {
			if matchPrincipal(t, x, a) {
				return true
			}
		}
		return false
	case *rbac.Principal_NotId:
		return !matchPrincipal(t, r.NotId, a)
	case *rbac.Principal_Authenticated_:
		return matchString(t, r.Authenticated.PrincipalName, a.identity)
	case *rbac.Principal_FilterState:
		if r.FilterState.Key != "io.istio.peer_principal" || r.FilterState.GetStringMatch() == nil {
			t.Fatalf("RBAC filter_state principal %v: not evaluated", r.FilterState)
		}
		return matchString(t, r.FilterState.GetStringMatch(), a.identity)
	}
	t.Fatalf("RBAC principal %T: not evaluated", p.Identifier)
	return false
}

func matchString(t *testing.T, m *matcher.StringMatcher, v string) bool {
	pat, val := "", v
	if m.IgnoreCase {
		val = strings.ToLower(v)
	}
	low := func(s string) string {
		if m.IgnoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch x := m.MatchPattern.(type) {
	case *matcher.StringMatcher_Exact:
		pat = low(x.Exact)
		return val == pat
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(val, low(x.Prefix))
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(val, low(x.Suffix))
	case *matcher.StringMatcher_Contains:
		return strings.Contains(val, low(x.Contains))
	case *matcher.StringMatcher_SafeRegex:
		// Envoy's safe_regex is RE2 matched against the whole value, as Go's regexp (RE2) anchored.
		return regexp.MustCompile(`^(?:` + x.SafeRegex.Regex + `)$`).MatchString(v)
	}
	t.Fatalf("string matcher %T: not evaluated", m.MatchPattern)
	return false
}

func matchHeader(t *testing.T, h *route.HeaderMatcher, v string) bool {
	var r bool
	switch x := h.HeaderMatchSpecifier.(type) {
	case *route.HeaderMatcher_StringMatch:
		r = matchString(t, x.StringMatch, v)
	case *route.HeaderMatcher_ExactMatch:
		r = v == x.ExactMatch
	case *route.HeaderMatcher_PrefixMatch:
		r = strings.HasPrefix(v, x.PrefixMatch)
	case *route.HeaderMatcher_SuffixMatch:
		r = strings.HasSuffix(v, x.SuffixMatch)
	case *route.HeaderMatcher_PresentMatch:
		r = v != "" == x.PresentMatch
	default:
		t.Fatalf("header matcher %T: not evaluated", h.HeaderMatchSpecifier)
	}
	return r != h.InvertMatch
}

func unmarshal(t *testing.T, a *anypb.Any, m proto.Message) {
	if a == nil {
		t.Fatalf("no typed config for %T", m)
	}
	if err := a.UnmarshalTo(m); err != nil {
		t.Fatalf("unmarshal %s: %v", a.TypeUrl, err)
	}
}

func findListener(ls []*listener.Listener, name string) *listener.Listener {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

func listenerNames(ls []*listener.Listener) []string {
	var n []string
	for _, l := range ls {
		n = append(n, l.Name)
	}
	return n
}

// chainForSNI picks the filter chain Envoy would for a TLS ClientHello with this SNI (exact server name first,
// then the longest wildcard suffix, then a chain without server names).
func chainForSNI(l *listener.Listener, sni string) *listener.FilterChain {
	var best *listener.FilterChain
	bestLen := -1
	for _, fc := range l.FilterChains {
		names := fc.GetFilterChainMatch().GetServerNames()
		if len(names) == 0 && bestLen < 0 {
			best, bestLen = fc, 0
		}
		for _, n := range names {
			switch {
			case n == sni:
				return fc
			case strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) && len(n) > bestLen:
				best, bestLen = fc, len(n)
			}
		}
	}
	return best
}

func findFilter(fs []*listener.Filter, name string) *anypb.Any {
	for _, f := range fs {
		if f.Name == name {
			return f.GetTypedConfig()
		}
	}
	return nil
}

func tcpCluster(t *testing.T, fc *listener.FilterChain) string {
	a := findFilter(fc.Filters, "envoy.filters.network.tcp_proxy")
	tp := &tcpproxy.TcpProxy{}
	unmarshal(t, a, tp)
	if c := tp.GetCluster(); c != "" {
		return c
	}
	if w := tp.GetWeightedClusters().GetClusters(); len(w) == 1 {
		return w[0].Name
	}
	t.Fatalf("tcp_proxy of chain %s: not one cluster: %v", fc.Name, tp)
	return ""
}

func findRouteConfig(rcs []*route.RouteConfiguration, name string) *route.RouteConfiguration {
	for _, rc := range rcs {
		if rc.Name == name {
			return rc
		}
	}
	return nil
}

// routeCluster: the cluster of the first route of the virtual host Envoy picks for Host (exact domain, host:port,
// then wildcard suffix), for path "/".
func routeCluster(t *testing.T, rc *route.RouteConfiguration, host string, port int) string {
	var vh *route.VirtualHost
	for _, v := range rc.VirtualHosts {
		for _, d := range v.Domains {
			if d == host || d == fmt.Sprintf("%s:%d", host, port) {
				vh = v
			}
		}
	}
	if vh == nil {
		for _, v := range rc.VirtualHosts {
			for _, d := range v.Domains {
				if strings.HasPrefix(d, "*.") && strings.HasSuffix(host, d[1:]) {
					vh = v
				}
			}
		}
	}
	if vh == nil {
		t.Fatalf("route configuration %s: no virtual host for %s", rc.Name, host)
	}
	for _, r := range vh.Routes {
		if p := r.GetMatch().GetPrefix(); p == "/" || p == "" && r.GetMatch().GetPathSeparatedPrefix() == "" && r.GetMatch().GetSafeRegex() == nil && r.GetMatch().GetPath() == "" {
			if c := r.GetRoute().GetCluster(); c != "" {
				return c
			}
			if w := r.GetRoute().GetWeightedClusters().GetClusters(); len(w) == 1 {
				return w[0].Name
			}
			t.Fatalf("virtual host %s: route %s has no single cluster (%v)", vh.Name, r.Name, r.Action)
		}
	}
	t.Fatalf("virtual host %s: no route for /", vh.Name)
	return ""
}

func findCluster(cs []*cluster.Cluster, name string) *cluster.Cluster {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// upstreamTLS: the cluster's TLS context (its transport socket, or the single TLS one among its matches).
func upstreamTLS(t *testing.T, c *cluster.Cluster) *tlsv3.UpstreamTlsContext {
	ts := c.GetTransportSocket()
	if ts == nil {
		for _, m := range c.TransportSocketMatches {
			if m.GetTransportSocket().GetName() == "envoy.transport_sockets.tls" {
				ts = m.GetTransportSocket()
			}
		}
	}
	if ts == nil || ts.GetName() != "envoy.transport_sockets.tls" {
		return nil
	}
	u := &tlsv3.UpstreamTlsContext{}
	unmarshal(t, ts.GetTypedConfig(), u)
	return u
}

func certSDSNames(u *tlsv3.UpstreamTlsContext) []string {
	var n []string
	for _, s := range u.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		n = append(n, s.Name)
	}
	if cv := u.GetCommonTlsContext().GetCombinedValidationContext(); cv != nil {
		n = append(n, cv.GetValidationContextSdsSecretConfig().GetName())
	}
	if s := u.GetCommonTlsContext().GetValidationContextSdsSecretConfig(); s != nil {
		n = append(n, s.Name)
	}
	return n
}

// exactSANs: the exact names the upstream certificate must carry (the combined validation context's default).
func exactSANs(u *tlsv3.UpstreamTlsContext) []string {
	var n []string
	for _, m := range u.GetCommonTlsContext().GetCombinedValidationContext().GetDefaultValidationContext().GetMatchTypedSubjectAltNames() {
		n = append(n, m.GetMatcher().GetExact())
	}
	for _, m := range u.GetCommonTlsContext().GetCombinedValidationContext().GetDefaultValidationContext().GetMatchSubjectAltNames() { //nolint:staticcheck // older field, still set by some versions
		n = append(n, m.GetExact())
	}
	return n
}

func endpoints(c *cluster.Cluster) []string {
	var eps []string
	for _, l := range c.GetLoadAssignment().GetEndpoints() {
		for _, e := range l.LbEndpoints {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			eps = append(eps, fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()))
		}
	}
	return eps
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
