/**
 * The label that ties the component's objects to its own gateway pods, and nobody else's.
 *
 * Istio applies a `Gateway`'s `selector` to every proxy whose labels contain it, in every namespace, unless
 * istiod runs with `PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true` (istio/istio pilot/pkg/model/push_context.go
 * `initGateways` and `mergeGateways`: `gatewaySelector.SubsetOf(proxy.Labels)` over all namespaces;
 * pilot/pkg/features/pilot.go `ScopeGatewayToNamespace`, default false). The istio/gateway chart's own labels
 * (`app: <release>`, `istio: <release without "istio-">`, manifests/charts/gateway/templates/_helpers.tpl
 * `gateway.selectorLabels`) are shared by every release of the same name — Istio's stock egress gateway is
 * `app: istio-egressgateway, istio: egressgateway` (manifests/charts/gateways/istio-egress/values.yaml) — so a
 * selector on them also picks other gateways, which then serve our routes without our AuthorizationPolicies.
 *
 * `istio-egress.io/gateway: <namespace>.<release>` is unique to one release: Helm allows one release of a name
 * per namespace, and both parts are DNS-1123 labels (no `.`), so joining them with `.` is one-to-one. A value
 * longer than a label value's 63 characters is cut and ends in `_` and 10 hex digits of the SHA-256 of the full
 * value: `_` never occurs in an uncut value, so a cut value can only equal another cut value of the same hash.
 */
import { createHash } from "crypto";

export const GATEWAY_SELECTOR_LABEL = "istio-egress.io/gateway";

/** The component's default gateway namespace (also the policy pack's default gateway namespace). */
export const DEFAULT_GATEWAY_NAMESPACE = "istio-egress";
/**
 * The gateway's Helm release (and Service) name. Not `istio-egressgateway`: from that name the istio/gateway chart
 * derives `istio: egressgateway`, the labels of Istio's stock egress gateway (below), so Gateways written for the
 * stock gateway would configure our pods too. istio-egress 0.1 defaulted to `istio-egressgateway`;
 * docs/lockdown.md ("Migration") says how to keep it.
 */
export const DEFAULT_RELEASE_NAME = "egress-gateway";
const LABEL_VALUE_LIMIT = 63;

/** The value of `istio-egress.io/gateway` for the release `release` in namespace `namespace`. */
export function gatewaySelectorValue(namespace: string, release: string): string {
    const full = `${namespace}.${release}`;
    if (full.length <= LABEL_VALUE_LIMIT) return full;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 10);
    return `${full.slice(0, LABEL_VALUE_LIMIT - 1 - hash.length).replace(/[-.]+$/, "")}_${hash}`;
}

/** The selector of the component's gateway pods: `{ "istio-egress.io/gateway": <namespace>.<release> }`. */
export function gatewaySelector(namespace: string, release: string): Record<string, string> {
    return { [GATEWAY_SELECTOR_LABEL]: gatewaySelectorValue(namespace, release) };
}

/**
 * Pod label sets that Istio's own installations give their gateways (istioctl profiles and the istio/gateway
 * chart under Istio's documented release names), for warnings and tests: a component whose pods carry one of
 * these is selected by Gateways written for the stock gateway.
 */
export const STOCK_GATEWAY_LABELS: ReadonlyArray<Readonly<Record<string, string>>> = [
    { app: "istio-egressgateway", istio: "egressgateway" },
    { app: "istio-ingressgateway", istio: "ingressgateway" },
];

/** The selector of the component's gateway under its defaults (the policy pack's default `gatewayLabels`). */
export const DEFAULT_GATEWAY_SELECTOR: Readonly<Record<string, string>> = Object.freeze(gatewaySelector(DEFAULT_GATEWAY_NAMESPACE, DEFAULT_RELEASE_NAME));
