/**
 * The `istio-egress-guard` policy pack, served to the Pulumi CLI:
 *
 *     npm ci && npm run build        # at the repository root; compiles this file to dist/policy-pack/index.js
 *     pulumi preview --policy-pack ./policy-pack [--policy-pack-config guard-config.json]
 *
 * Constructing the PolicyPack starts the analyzer's gRPC server, so only this entry point does it; tests and
 * `istio-egress check` run the same policy objects through `lib/harness` (imported as `istio-egress-guard/lib`).
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./lib/policies";

new PolicyPack(POLICY_PACK_NAME, {
    policies,
    description:
        "Rejects stacks that let traffic bypass the Istio egress gateway: sidecar opt-outs, capture exclusions, proxy-identity and network privileges, NetworkPolicy holes and leaky Istio configuration.",
    enforcementLevel: "mandatory",
});
