// Package xdsprobe checks that Istio's own config-generation test helpers (pilot/pkg/networking/core
// NewConfigGenTest, the in-memory pilot that Istio's unit tests use) build and run from the module cache, at the
// istio.io/istio version the e2e tools pin: the e2e suite's cross-check of the access report against the
// sidecar's and the gateway's generated xDS builds on them. It is not part of any tool binary.
//
//	cd e2e/tools/istio && go test ./xdsprobe/
package xdsprobe

import (
	"testing"

	"istio.io/istio/pilot/pkg/networking/core"
)

const serviceEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
`

func TestServiceEntryMakesAnOutboundCluster(t *testing.T) {
	cg := core.NewConfigGenTest(t, core.TestOptions{ConfigString: serviceEntry})
	proxy := cg.SetupProxy(nil) // a sidecar in namespace default
	want := "outbound|443||httpbin.org"
	var names []string
	for _, c := range cg.Clusters(proxy) {
		if c.GetName() == want {
			return
		}
		names = append(names, c.GetName())
	}
	t.Fatalf("no cluster %q among %v", want, names)
}
