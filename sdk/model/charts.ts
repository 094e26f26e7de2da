/**
 * Facts about Istio's Helm charts that the component, the policy pack and the access report share.
 * Source: istio/istio `manifests/charts/gateway/templates/_helpers.tpl` (`gateway.name`, `gateway.selectorLabels`).
 */
import { recordAt, str, valueAt } from "./read";
import { serviceFqdn } from "./hosts";

/** The chart's name and Istio's Helm repository. */
export const GATEWAY_CHART = "gateway";
export const ISTIOD_CHART = "istiod";
export const ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";

/** The name the istio/gateway chart gives its Deployment and Service: `values.name`, else the release name. */
export function gatewayReleaseName(props: unknown, resourceName: string): string {
    return str(recordAt(props, "values").name) ?? str(valueAt(props, "name")) ?? resourceName;
}

/**
 * The pod labels the istio/gateway chart gives a release: `app: <name>`, `istio: <name without "istio-">`,
 * plus `values.labels`.
 */
export function gatewayReleaseLabels(props: unknown, resourceName: string): Record<string, string> {
    const name = gatewayReleaseName(props, resourceName);
    const out: Record<string, string> = { app: name, istio: name.replace(/^istio-/, "") };
    const extra = recordAt(props, "values", "labels");
    for (const k of Object.keys(extra)) {
        const v = extra[k];
        if (typeof v === "string") out[k] = v;
    }
    return out;
}

/** The gateway Service host of an istio/gateway release: `<name>.<namespace>.svc.cluster.local`. */
export function gatewayReleaseServiceHost(props: unknown, resourceName: string, namespace: string): string {
    return serviceFqdn(gatewayReleaseName(props, resourceName), namespace);
}
