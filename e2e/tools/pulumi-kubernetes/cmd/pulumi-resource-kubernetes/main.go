// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider built from the
// github.com/pulumi/pulumi-kubernetes/provider/v4 Go module.
//
// The upstream main (provider/v4/cmd/pulumi-resource-kubernetes) embeds schema-embed.json and
// terraform-mapping-embed.json, which its `go generate` step writes and which are not in the module zip, so it does
// not build from the module cache. This main does what it does: e2e/build-tools.sh copies the committed
// schema.json and terraform-mapping.json of that same module version next to this file (in a temporary copy of this
// module, never into the clone) and they are embedded here; the schema's version is set at start-up as the
// upstream generate step sets it at build time.
package main

import (
	_ "embed"
	"encoding/json"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
)

// Set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version, withVersion(pulumiSchema, version), terraformMapping)
}

// withVersion sets the top-level "version" of the package schema, leaving everything else as it is.
func withVersion(schema []byte, v string) []byte {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(schema, &spec); err != nil {
		panic("pulumi-resource-kubernetes: cannot parse the embedded schema: " + err.Error())
	}
	spec["version"], _ = json.Marshal(v)
	out, err := json.Marshal(spec)
	if err != nil {
		panic(err)
	}
	return out
}
