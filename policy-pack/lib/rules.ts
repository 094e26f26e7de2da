/**
 * The rules of the `istio-egress-guard` policy pack, as pure functions over Kubernetes objects (the library API).
 *
 * A per-object rule takes the object's kind, the object (`{metadata, spec, ...}`; for a Helm Release the Release's
 * props) and the policy configuration, and returns one message per problem found — each saying what to change.
 * Stack rules take every object of the stack. Each rule lives next to its policy in `policy-pack/policies/`.
 */
export * from "./facts";
export { sidecarInjectionProblems } from "../policies/sidecar-injection-required";
export { impersonationProblems } from "../policies/no-gateway-impersonation";
export { captureExclusionProblems } from "../policies/no-traffic-capture-exclusions";
export { escapePrivilegeProblems } from "../policies/no-proxy-escape-privileges";
export { networkPolicyProblems } from "../policies/no-external-egress-networkpolicy";
export { defaultDenyFindings } from "../policies/namespace-default-deny-egress";
export { allowAnyProblems } from "../policies/registry-only-outbound";
export { openServiceEntryProblems } from "../policies/no-open-service-entry";
export { serviceEntryRoutingFindings } from "../policies/service-entry-via-egress-gateway";
export { externalEndpointProblems } from "../policies/no-external-service-endpoints";
export { gatewayTlsProblems } from "../policies/egress-gateway-istio-mutual";
export { gatewayServiceProblems } from "../policies/egress-gateway-cluster-ip";
export { gatewayControlFindings } from "../policies/egress-gateway-control";
export { accessLogFindings } from "../policies/egress-gateway-access-log";
export { gatewayValuesProblems } from "../policies/egress-gateway-cluster-ip";
export { egressHoles, defaultDenyScope } from "./netpol";
export { gatewayNamespaceRbacFindings, bindingProblems } from "../policies/gateway-namespace-rbac";
export { gatewayClusterRbacFindings } from "../policies/gateway-cluster-rbac";
export { SENSITIVE_ACCESS, sensitiveGrants } from "./rbac";
export { originationProblems } from "../policies/egress-tls-origination-verified";
