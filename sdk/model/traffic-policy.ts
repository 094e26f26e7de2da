/**
 * Traffic policy and retries as istiod computes them for one Envoy cluster or route. Pure; istio/istio 1.29–1.31.
 *
 * DestinationRules (pilot/pkg/networking/util/util.go MergeSubsetTrafficPolicy, GetPortLevelTrafficPolicy;
 * pilot/pkg/model/destination_rule.go MergeTrafficPolicy):
 * - a port-level setting for the cluster's port REPLACES the policy it sits in: "traffic settings specified at the
 *   destination-level will not be inherited when overridden by port-level settings, i.e. default values will be
 *   applied to fields omitted in port-level traffic policies";
 * - a subset's policy overrides the destination's field by field (connectionPool, outlierDetection,
 *   loadBalancer, tls) — and when the subset has a port-level setting for the port, ALL four come from it, unset
 *   ones included.
 * So a top-level `connectionPool` or `outlierDetection` does nothing for a subset (or a port) that has its own
 * port-level setting: the component puts them inside each port-level setting it writes.
 *
 * Retries (pilot/pkg/networking/core/route/route.go: a route's `retries`, else the mesh's
 * `defaultHttpRetryPolicy`; pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy): none given → Istio's
 * default, 2 attempts on `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`; `attempts`
 * ≤ 0 → no retries; `retryOn` unset → the same default conditions; integers in `retryOn` are status codes
 * (`retriable-status-codes` is added).
 */
import type { K8sObject } from "./object";
import { isRecord, listAt, valueAt } from "./read";

/** A DestinationRule's `trafficPolicy` (or a port-level setting of one), as read: fields not checked. */
export type TrafficPolicy = Record<string, unknown>;

/** GetPortLevelTrafficPolicy: the port-level setting for `port` (as a policy of its own), or the policy itself. */
export function portLevelPolicy(policy: unknown, port: number): { policy: Record<string, unknown> | undefined; portLevel: boolean } {
    if (!isRecord(policy)) return { policy: undefined, portLevel: false };
    const p = listAt(policy, "portLevelSettings").find((s) => Number(valueAt(s, "port", "number")) === port);
    if (!isRecord(p)) return { policy, portLevel: false };
    const { port: _port, ...fields } = p;
    return { policy: fields, portLevel: true };
}

/**
 * The traffic policy of the Envoy cluster for (`destinationRule`'s host, `subset`, `port`) — `port` is the
 * Service / ServiceEntry port — as MergeSubsetTrafficPolicy computes it. Undefined: no policy (Envoy's and
 * Istio's defaults).
 */
export function effectiveTrafficPolicy(destinationRule: K8sObject, subset: string | undefined, port: number): TrafficPolicy | undefined {
    const original = portLevelPolicy(valueAt(destinationRule, "spec", "trafficPolicy"), port).policy;
    if (subset === undefined) return original;
    const s = listAt(destinationRule, "spec", "subsets").find((x) => valueAt(x, "name") === subset);
    const subsetTrafficPolicy = valueAt(s, "trafficPolicy");
    if (!isRecord(subsetTrafficPolicy)) return original;
    const { policy: subsetPolicy, portLevel } = portLevelPolicy(subsetTrafficPolicy, port);
    if (!original) return subsetPolicy;
    const { portLevelSettings: _p, ...merged } = { ...original };
    for (const k of ["connectionPool", "outlierDetection", "loadBalancer", "tls"]) {
        if (subsetPolicy?.[k] !== undefined || portLevel) {
            if (subsetPolicy?.[k] === undefined) delete merged[k];
            else merged[k] = subsetPolicy[k];
        }
    }
    for (const k of ["tunnel", "proxyProtocol", "retryBudget"]) {
        if (subsetPolicy?.[k] !== undefined) merged[k] = subsetPolicy[k];
    }
    return merged;
}

/** Istio's default retry policy (retry.go defaultNumRetries, defaultRetryOn). */
export const ISTIO_DEFAULT_RETRY = Object.freeze({ attempts: 2, retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes" });

/**
 * Envoy's retry conditions (router filter, `x-envoy-retry-on` and `x-envoy-retry-grpc-on`) and whether the upstream
 * may already have received — and acted on — the request when the condition fires:
 * - `connect-failure`: the connection to the upstream could not be set up (connect timeout, refused): nothing sent;
 * - `refused-stream`: the upstream reset the stream with HTTP/2 REFUSED_STREAM, which means it did not process it
 *   (RFC 9113 §8.7);
 * - `reset-before-request`: the upstream reset or disconnected before any of the request was sent (Envoy 1.31;
 *   Istio uses it itself for its inbound default route, route.go BuildDefaultHTTPInboundRoute);
 * - `reset`, `http3-post-connect-failure`: a reset after (part of) the request was sent;
 * - the status, header and gRPC conditions fire on a response: the upstream received the request.
 * `retriable-status-codes` only fires with status codes listed.
 */
export const RETRY_CONDITIONS: Readonly<Record<string, { requestMaybeSent: boolean }>> = Object.freeze({
    "connect-failure": { requestMaybeSent: false },
    "refused-stream": { requestMaybeSent: false },
    "reset-before-request": { requestMaybeSent: false },
    reset: { requestMaybeSent: true },
    "http3-post-connect-failure": { requestMaybeSent: true },
    "5xx": { requestMaybeSent: true },
    "gateway-error": { requestMaybeSent: true },
    "retriable-4xx": { requestMaybeSent: true },
    "retriable-status-codes": { requestMaybeSent: true },
    "retriable-headers": { requestMaybeSent: true },
    "envoy-ratelimited": { requestMaybeSent: true },
    cancelled: { requestMaybeSent: true },
    "deadline-exceeded": { requestMaybeSent: true },
    internal: { requestMaybeSent: true },
    "resource-exhausted": { requestMaybeSent: true },
    unavailable: { requestMaybeSent: true },
});

export interface EffectiveRetry {
    attempts: number;
    /** Envoy's conditions. */
    retryOn: string[];
    /** Status codes (for `retriable-status-codes`). */
    statusCodes: number[];
}

/** The retry policy Envoy gets for an HTTP route (`retries` of the VirtualService route, else the mesh default). */
export function effectiveRetry(route: unknown, meshDefault?: unknown): EffectiveRetry | undefined {
    const given = isRecord(route) && route.retries !== undefined ? route.retries : meshDefault;
    if (given === undefined || given === null) {
        return { attempts: ISTIO_DEFAULT_RETRY.attempts, retryOn: ISTIO_DEFAULT_RETRY.retryOn.split(","), statusCodes: [] };
    }
    const attempts = Number(valueAt(given, "attempts") ?? 0);
    if (!(attempts > 0)) return undefined;
    const givenRetryOn = valueAt(given, "retryOn");
    const text = typeof givenRetryOn === "string" && givenRetryOn !== "" ? givenRetryOn : ISTIO_DEFAULT_RETRY.retryOn;
    const parts = text
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "");
    const statusCodes = parts.filter((p) => /^[0-9]+$/.test(p)).map(Number);
    const retryOn = parts.filter((p) => !/^[0-9]+$/.test(p));
    if (statusCodes.length > 0 && !retryOn.includes("retriable-status-codes")) retryOn.push("retriable-status-codes");
    return { attempts, retryOn, statusCodes };
}

/**
 * The conditions of a retry policy under which Envoy may re-send a request the upstream already received: for a
 * non-idempotent request (a POST that charged a card), a second effect. Unknown conditions count as re-sending.
 */
export function resendingConditions(retry: EffectiveRetry | undefined): string[] {
    if (!retry) return [];
    return retry.retryOn.filter((c) => {
        if (c === "retriable-status-codes" && retry.statusCodes.length === 0) return false; // never fires
        return RETRY_CONDITIONS[c]?.requestMaybeSent ?? true;
    });
}
