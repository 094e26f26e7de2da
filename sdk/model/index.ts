/**
 * The one Kubernetes object model of istio-egress, shared by the plan, the manifests, the policy pack, the access
 * report and render: objects, kinds and type tokens, workloads and pod templates, host matching, label selectors,
 * CIDR arithmetic, chart facts and Pulumi's wire constants. Pure: no Pulumi, no I/O.
 */
export * from "./object";
export * from "./read";
export * from "./kinds";
export * from "./workloads";
export * from "./hosts";
export * from "./selectors";
export * from "./net";
export * from "./special-ranges";
export * from "./charts";
export * from "./wire";
export * from "./images";
export * from "./yaml11";
export * from "./cni";
export * from "./mesh-logging";
export * from "./gateway-tls";
export * from "./traffic-policy";
export * from "./gateway-identity";
export * from "./node-local-dns";
export * from "./rbac";
export * from "./k8s-cidr";
export * from "./outside";
export * from "./endpoints";
