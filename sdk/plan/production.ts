/**
 * The production settings of the gateway (pure, part of the plan): the traffic policy of the component's
 * DestinationRules and VirtualServices, and the gateway pods' placement and drain, as Helm values of the
 * istio/gateway chart (manifests/charts/gateway/templates/deployment.yaml: `topologySpreadConstraints`,
 * `affinity`, `nodeSelector`, `tolerations`, `terminationGracePeriodSeconds`, `env` → the istio-proxy container).
 * Every value is checked here, naming the field and the rule; `planGateway` (sdk/plan/index.ts) merges the values
 * under the user's `gateway.values`.
 */
import type { Checker } from "./index";
import { DrainArgs, HopTrafficArgs, OutlierDetectionArgs, SpreadArgs, SpreadMode, TaintEffect, TolerationArgs, TolerationOperator, TrafficArgs } from "../args";

// ---------------------------------------------------------------------------------------------------------
// Traffic

/**
 * The retry conditions of every HTTP route the component writes: only failures where the request never reached
 * the upstream, so a non-idempotent request is never sent twice (sdk/model/traffic-policy.ts RETRY_CONDITIONS;
 * Envoy router filter `x-envoy-retry-on`). Istio's default adds gRPC `unavailable` and `cancelled`, which fire on a
 * response (pilot/pkg/networking/core/route/retry/retry.go defaultRetryOn).
 */
export const SAFE_RETRY_ON = "connect-failure,refused-stream,reset-before-request";
export const DEFAULT_RETRY_ATTEMPTS = 2;

export interface HopPolicyPlan {
    /** Istio `connectionPool` (never empty: keepalive is on unless turned off, and then the pool may be absent). */
    connectionPool?: Record<string, unknown>;
    /** Istio `outlierDetection`. */
    outlierDetection?: Record<string, unknown>;
}

export interface TrafficPlan {
    toGateway: HopPolicyPlan;
    toHost: HopPolicyPlan;
    /** The VirtualService `retries` of every HTTP route. */
    retries: { attempts: number; retryOn?: string };
}

const DURATION = /^[1-9][0-9]{0,8}(ms|s|m|h)$/;

function planHop(c: Checker, field: string, a: HopTrafficArgs | undefined): HopPolicyPlan {
    const args = a ?? {};
    const duration = (f: string, v: string | undefined) => {
        if (v !== undefined && !DURATION.test(v)) c.fail(`${field}.${f}`, `must be a duration such as 500ms, 10s, 5m or 1h; got ${JSON.stringify(v)}`);
        return v;
    };
    const tcp: Record<string, unknown> = {};
    const http: Record<string, unknown> = {};
    if (duration("connectTimeout", args.connectTimeout) !== undefined) tcp.connectTimeout = args.connectTimeout;
    if (args.maxConnections !== undefined) tcp.maxConnections = args.maxConnections;
    const ka = args.tcpKeepalive ?? {};
    if (ka.enabled !== false) {
        tcp.tcpKeepalive = {
            time: duration("tcpKeepalive.time", ka.time) ?? "120s",
            interval: duration("tcpKeepalive.interval", ka.interval) ?? "30s",
            probes: ka.probes ?? 3,
        };
    } else if (ka.time !== undefined || ka.interval !== undefined || ka.probes !== undefined) {
        c.fail(`${field}.tcpKeepalive`, "sets time, interval or probes while enabled is false");
    }
    if (args.maxPendingRequests !== undefined) http.http1MaxPendingRequests = args.maxPendingRequests;
    if (args.maxRequests !== undefined) http.http2MaxRequests = args.maxRequests;
    if (args.maxRequestsPerConnection !== undefined) http.maxRequestsPerConnection = args.maxRequestsPerConnection;
    if (args.maxConcurrentRetries !== undefined) http.maxRetries = args.maxConcurrentRetries;
    if (duration("idleTimeout", args.idleTimeout) !== undefined) http.idleTimeout = args.idleTimeout;
    const connectionPool = {
        ...(Object.keys(tcp).length > 0 ? { tcp } : {}),
        ...(Object.keys(http).length > 0 ? { http } : {}),
    };
    return {
        ...(Object.keys(connectionPool).length > 0 ? { connectionPool } : {}),
        ...planOutlier(c, `${field}.outlierDetection`, args.outlierDetection),
    };
}

function planOutlier(c: Checker, field: string, o: OutlierDetectionArgs | undefined): { outlierDetection?: Record<string, unknown> } {
    const args = o ?? {};
    if (args.enabled === false) {
        if (Object.keys(args).some((k) => k !== "enabled")) c.fail(field, "sets outlier detection settings while enabled is false");
        return {};
    }
    for (const f of ["interval", "baseEjectionTime"] as const) {
        const v = args[f];
        if (v !== undefined && !DURATION.test(v)) c.fail(`${field}.${f}`, `must be a duration such as 500ms, 10s, 5m or 1h; got ${JSON.stringify(v)}`);
    }
    return {
        outlierDetection: {
            // Local-origin failures only (pilot/pkg/networking/core/cluster_traffic_policy.go applyOutlierDetection):
            // consecutive5xxErrors 0 sets Envoy's consecutive_5xx and its enforcement to 0, which Envoy would otherwise
            // default to 5 / 100% — counting the upstream's own 5xx answers.
            consecutive5xxErrors: 0,
            splitExternalLocalOriginErrors: true,
            consecutiveLocalOriginFailures: args.consecutiveLocalOriginFailures ?? 5,
            interval: args.interval ?? "10s",
            baseEjectionTime: args.baseEjectionTime ?? "30s",
            maxEjectionPercent: args.maxEjectionPercent ?? 50,
        },
    };
}

/** The traffic plan; `args` undefined gives the defaults (team components, which do not take these args). */
export function planTraffic(c: Checker, args: TrafficArgs | undefined, at = "gateway.traffic"): TrafficPlan {
    const attempts = args?.retries?.attempts ?? DEFAULT_RETRY_ATTEMPTS;
    return {
        toGateway: planHop(c, `${at}.toGateway`, args?.toGateway),
        toHost: planHop(c, `${at}.toHost`, args?.toHost),
        // attempts 0: no retryOn (Istio refuses a policy with retryOn and 0 attempts, pkg/config/validation
        // validateHTTPRetry) — an explicit 0 also stops the mesh's defaultHttpRetryPolicy from applying.
        retries: attempts > 0 ? { attempts, retryOn: SAFE_RETRY_ON } : { attempts: 0 },
    };
}

// ---------------------------------------------------------------------------------------------------------
// Placement and drain (Helm values)

const ZONE = "topology.kubernetes.io/zone";
const HOSTNAME = "kubernetes.io/hostname";

export interface PlacementInput {
    spread?: SpreadArgs;
    nodeSelector?: Record<string, string>;
    tolerations?: TolerationArgs[];
    drain?: DrainArgs;
}

const MODES = Object.values(SpreadMode) as string[];

/**
 * The chart values that place and drain the gateway pods. `selector` is the gateway pods' labels (the same the
 * lock-down selects them by): the spread and anti-affinity count only the gateway's own pods.
 */
export function placementValues(c: Checker, args: PlacementInput, selector: Record<string, string>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    const labelSelector = { matchLabels: { ...selector } };
    const zones = args.spread?.zones ?? SpreadMode.Preferred;
    const nodes = args.spread?.nodes ?? SpreadMode.Preferred;
    for (const [f, v] of [
        ["zones", zones],
        ["nodes", nodes],
    ] as const) {
        if (!MODES.includes(v)) c.fail(`gateway.spread.${f}`, `must be one of ${MODES.join(", ")}; got ${JSON.stringify(v)}`);
    }
    if (zones !== SpreadMode.Off) {
        values.topologySpreadConstraints = [
            { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: zones === SpreadMode.Required ? "DoNotSchedule" : "ScheduleAnyway", labelSelector },
        ];
    }
    if (nodes === SpreadMode.Required) {
        values.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector, topologyKey: HOSTNAME }] } };
    } else if (nodes === SpreadMode.Preferred) {
        values.affinity = {
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector, topologyKey: HOSTNAME } }] },
        };
    }
    if (args.nodeSelector !== undefined) {
        c.labels("gateway.nodeSelector", args.nodeSelector);
        values.nodeSelector = { ...args.nodeSelector };
    }
    if (args.tolerations !== undefined) {
        values.tolerations = args.tolerations.map((t, i) => planToleration(c, `gateway.tolerations[${i}]`, t));
    }
    const drain = args.drain ?? {};
    const grace = drain.terminationGracePeriodSeconds ?? 60;
    values.terminationGracePeriodSeconds = grace;
    if (drain.waitForConnections ?? true) {
        const min = drain.minimumDrainSeconds ?? 5;
        if (min >= grace) {
            c.fail(
                "gateway.drain.minimumDrainSeconds",
                `must be less than terminationGracePeriodSeconds (${grace}): Kubernetes kills the pod at the grace period`,
            );
        }
        // pilot-agent reads both from its environment (pilot/cmd/pilot-agent/options/options.go); the chart puts
        // `env` on the istio-proxy container. No proxy.istio.io/config annotation is needed (the component refuses
        // Istio annotations in values, and the policy pack checks that annotation's overrides).
        values.env = { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true", MINIMUM_DRAIN_DURATION: `${min}s` };
    } else if (drain.minimumDrainSeconds !== undefined) {
        c.fail("gateway.drain.minimumDrainSeconds", "only applies with waitForConnections (the fixed drain is the mesh's terminationDrainDuration)");
    }
    return values;
}

const OPERATORS = Object.values(TolerationOperator) as string[];
const EFFECTS = Object.values(TaintEffect) as string[];
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function planToleration(c: Checker, field: string, t: TolerationArgs): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (typeof t?.key !== "string" || t.key === "" || !LABEL_KEY.test(t.key)) {
        c.fail(
            `${field}.key`,
            `must name the taint's key (a label key): a key-less toleration tolerates every taint, the control plane's included; got ${JSON.stringify(t?.key)}`,
        );
    }
    out.key = t?.key;
    const operator = t?.operator ?? TolerationOperator.Equal;
    if (!OPERATORS.includes(operator)) c.fail(`${field}.operator`, `must be Equal or Exists; got ${JSON.stringify(operator)}`);
    out.operator = operator;
    if (operator === TolerationOperator.Exists && t.value !== undefined) c.fail(`${field}.value`, "must not be set with operator Exists");
    if (t?.value !== undefined) out.value = t.value;
    if (t?.effect !== undefined) {
        if (!EFFECTS.includes(t.effect)) c.fail(`${field}.effect`, `must be one of ${EFFECTS.join(", ")}; got ${JSON.stringify(t.effect)}`);
        out.effect = t.effect;
    }
    if (t?.tolerationSeconds !== undefined) {
        if (t.effect !== TaintEffect.NoExecute) c.fail(`${field}.tolerationSeconds`, "only applies to effect NoExecute");
        out.tolerationSeconds = t.tolerationSeconds;
    }
    return out;
}
