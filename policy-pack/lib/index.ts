/** The `istio-egress-guard` policy pack: its policies, its rules as pure functions, and the in-process harness. */
export { POLICY_PACK_NAME, policies } from "./policies";
export * from "./config";
export * from "./rules";
export * from "./harness";
export * from "./istio";
export { knownProps, canUnwrapProxy } from "./known";
export { normalizePolicyConfig } from "./configfile";
export { policyAppliesTo } from "./policy";
