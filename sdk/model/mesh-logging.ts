/**
 * Istio access-log providers, as istiod turns them into Envoy access logs. Pure: shared by the component (which
 * names a provider in the gateway's Telemetry), the policy pack (which checks that an istiod Helm release of the
 * same stack defines that provider with the fields an egress audit needs) and the tests.
 *
 * What istiod does (istio/istio, 1.29–1.31):
 * - The mesh's `extensionProviders` are Istio's defaults (`prometheus`, `stackdriver`, and `envoy`: a file access
 *   log to /dev/stdout) with the configured ones merged in: a configured provider with a default's exact name
 *   replaces it in place, the others are appended (pkg/config/mesh/mesh.go DefaultMeshConfig, ApplyMeshConfig).
 * - A Telemetry's provider name is looked up case-insensitively, first match wins (pilot/pkg/model/telemetry.go
 *   fetchProvider, `strings.EqualFold`). A name that no provider has gives NO access log at all, silently: istiod
 *   only writes a debug line (telemetry.go AccessLogging, "fail to fetch provider").
 * - `envoyFileAccessLog` (pilot/pkg/model/telemetry_logging.go telemetryAccessLog): the provider named exactly
 *   `envoy` without `logFormat` and without `omitEmptyValues` formats with the mesh's `accessLogFormat` /
 *   `accessLogEncoding` (FileAccessLogFromMeshConfig; default TEXT with EnvoyTextLogFormat, JSON with
 *   EnvoyJSONLogFormatIstio); any other one with `logFormat.text` (empty: EnvoyTextLogFormat) or
 *   `logFormat.labels` (empty: EnvoyJSONLogFormatIstio) (fileAccessLogFromTelemetry, fileAccessLogFormat).
 * - `envoyOtelAls`: the record's body is `logFormat.text` (default EnvoyTextLogFormat), its attributes
 *   `logFormat.labels` (openTelemetryLog).
 * - `envoyHttpAls` / `envoyTcpAls`: Envoy's structured gRPC access log (envoy.data.accesslog.v3 AccessLogCommon:
 *   the peer certificate's SANs, the SNI, the upstream host, the response flags and, for HTTP, the authority): every
 *   field of the audit is there, whatever the format.
 * - Every other provider kind (tracing, metrics, ext-authz) writes no access log.
 *
 * Neither Istio default format carries the caller's identity (`%DOWNSTREAM_PEER_URI_SAN%`): with the built-in
 * `envoy` provider and the default mesh config, a gateway log line says which address connected, to which SNI /
 * authority and upstream, but not which workload (service account) it was.
 */

import { isRecord, listAt, recordAt } from "./read";

/** Istio's default text format (pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat). */
export const ENVOY_TEXT_LOG_FORMAT =
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
    '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
    '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
    '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
    "%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

/** Istio's default JSON format (telemetry_logging.go EnvoyJSONLogFormatIstio). */
export const ENVOY_JSON_LOG_FORMAT_ISTIO: Readonly<Record<string, string>> = Object.freeze({
    start_time: "%START_TIME%",
    route_name: "%ROUTE_NAME%",
    method: "%REQ(:METHOD)%",
    path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    protocol: "%PROTOCOL%",
    response_code: "%RESPONSE_CODE%",
    response_flags: "%RESPONSE_FLAGS%",
    response_code_details: "%RESPONSE_CODE_DETAILS%",
    connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
    bytes_received: "%BYTES_RECEIVED%",
    bytes_sent: "%BYTES_SENT%",
    duration: "%DURATION%",
    upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    x_forwarded_for: "%REQ(X-FORWARDED-FOR)%",
    user_agent: "%REQ(USER-AGENT)%",
    request_id: "%REQ(X-REQUEST-ID)%",
    authority: "%REQ(:AUTHORITY)%",
    upstream_host: "%UPSTREAM_HOST%",
    upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
    upstream_local_address: "%UPSTREAM_LOCAL_ADDRESS%",
    downstream_local_address: "%DOWNSTREAM_LOCAL_ADDRESS%",
    downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
    requested_server_name: "%REQUESTED_SERVER_NAME%",
    upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
});

/** The name of Istio's built-in file access-log provider (telemetry_logging.go builtinEnvoyAccessLogProvider). */
export const BUILTIN_ENVOY_PROVIDER = "envoy";

/** Istio's default extension providers (pkg/config/mesh/mesh.go DefaultMeshConfig). */
export const DEFAULT_EXTENSION_PROVIDERS: ReadonlyArray<Readonly<Record<string, unknown>>> = Object.freeze([
    { name: "prometheus", prometheus: {} },
    { name: "stackdriver", stackdriver: {} },
    { name: BUILTIN_ENVOY_PROVIDER, envoyFileAccessLog: { path: "/dev/stdout" } },
]);

/** One field an egress audit line must carry: the Envoy command operator, and what it answers. */
export interface AuditField {
    field: string;
    /** The operator as it is written in a format (`%DOWNSTREAM_PEER_URI_SAN%`). */
    operator: string;
    what: string;
}

/**
 * What an egress audit line must carry at the gateway: who called (the SPIFFE URI SAN of the caller's mesh
 * certificate, verified by the ISTIO_MUTUAL server), what it asked for (the outer SNI the mesh leg sets — the
 * host for TLS-wrapped traffic — and the HTTP authority for HTTP-speaking hosts), where the gateway sent it (the
 * upstream address) and how it ended (the response flags: `UF`, `URX`, `NR`, RBAC denials, ...).
 */
export const AUDIT_LOG_FIELDS: readonly AuditField[] = Object.freeze([
    { field: "caller", operator: "%DOWNSTREAM_PEER_URI_SAN%", what: "the caller's identity (spiffe://<trust domain>/ns/<ns>/sa/<sa>)" },
    { field: "sni", operator: "%REQUESTED_SERVER_NAME%", what: "the SNI the caller's proxy sent (the host, for TLS-wrapped hosts)" },
    { field: "authority", operator: "%REQ(:AUTHORITY)%", what: "the HTTP authority (the host, for HTTP-speaking hosts)" },
    { field: "upstream_host", operator: "%UPSTREAM_HOST%", what: "the address the gateway connected to" },
    { field: "response_flags", operator: "%RESPONSE_FLAGS%", what: "why a request or connection ended the way it did" },
]);

/** The JSON labels of the audit provider `egressAuditLogProvider` defines: the audit fields, and context. */
export const EGRESS_AUDIT_LOG_LABELS: Readonly<Record<string, string>> = Object.freeze({
    start_time: "%START_TIME%",
    caller: "%DOWNSTREAM_PEER_URI_SAN%",
    caller_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
    sni: "%REQUESTED_SERVER_NAME%",
    authority: "%REQ(:AUTHORITY)%",
    method: "%REQ(:METHOD)%",
    path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    protocol: "%PROTOCOL%",
    response_code: "%RESPONSE_CODE%",
    response_flags: "%RESPONSE_FLAGS%",
    response_code_details: "%RESPONSE_CODE_DETAILS%",
    connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
    upstream_host: "%UPSTREAM_HOST%",
    upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
    upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
    bytes_received: "%BYTES_RECEIVED%",
    bytes_sent: "%BYTES_SENT%",
    duration: "%DURATION%",
    request_id: "%REQ(X-REQUEST-ID)%",
});

/** The default name of the audit provider (`lockdown.accessLogProvider` names it in the Telemetry). */
export const EGRESS_AUDIT_PROVIDER = "istio-egress-audit";

/** A `meshConfig.extensionProviders` entry: a JSON file access log (`envoyFileAccessLog` with `logFormat.labels`). */
export interface AuditLogProviderEntry {
    name: string;
    envoyFileAccessLog: { path: string; logFormat: { labels: Record<string, string> } };
}

/**
 * The `meshConfig.extensionProviders` entry of an audit provider: a JSON file access log to the gateway's stdout
 * whose lines carry `AUDIT_LOG_FIELDS`. Put it in istiod's mesh config (Helm: `values.meshConfig.extensionProviders`)
 * and name it in `lockdown.accessLogProvider`.
 */
export function egressAuditLogProvider(name: string = EGRESS_AUDIT_PROVIDER): AuditLogProviderEntry {
    return { name, envoyFileAccessLog: { path: "/dev/stdout", logFormat: { labels: { ...EGRESS_AUDIT_LOG_LABELS } } } };
}

/** How the gateway's access log is written once istiod resolved the provider. */
export type ResolvedAccessLog =
    | { kind: "none"; reason: string }
    /** Formatted lines: a text template and/or JSON labels (each a format string). */
    | { kind: "format"; provider: string; text?: string; labels?: Record<string, string> }
    /** Envoy's structured gRPC access log: every field, whatever the format. */
    | { kind: "structured"; provider: string };

/** The providers of a mesh config, as istiod merges them with its defaults (mesh.go ApplyMeshConfig). */
export function effectiveExtensionProviders(meshConfig: unknown): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = DEFAULT_EXTENSION_PROVIDERS.map((p) => ({ ...p }));
    const configured = listAt(meshConfig, "extensionProviders");
    for (const p of configured) {
        if (!isRecord(p)) continue;
        const i = out.findIndex((e) => e.name === p.name);
        if (i >= 0) out[i] = { ...p };
        else out.push({ ...p });
    }
    return out;
}

const PROVIDER_KINDS = [
    "envoyFileAccessLog",
    "envoyOtelAls",
    "envoyHttpAls",
    "envoyTcpAls",
    "prometheus",
    "stackdriver",
    "zipkin",
    "lightstep",
    "datadog",
    "skywalking",
    "opencensus",
    "opentelemetry",
    "envoyExtAuthzHttp",
    "envoyExtAuthzGrpc",
    "sds",
];

function textFormat(logFormat: unknown): string | undefined {
    return isRecord(logFormat) && typeof logFormat.text === "string" && logFormat.text !== "" ? logFormat.text : undefined;
}

function labelsFormat(logFormat: unknown): Record<string, string> | undefined {
    if (!isRecord(logFormat) || !isRecord(logFormat.labels)) return undefined;
    return Object.fromEntries(Object.entries(logFormat.labels).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * How istiod writes the access log of a Telemetry that names `providerName`, given the mesh config (the istiod
 * chart's `values.meshConfig`, or the `mesh` key of the `istio` ConfigMap, parsed). Follows istiod step by step
 * (see the module comment); anything it cannot read is reported as `none` (fail closed: no audit is assumed).
 */
export function resolveAccessLog(meshConfig: unknown, providerName: string): ResolvedAccessLog {
    if (meshConfig !== undefined && !isRecord(meshConfig)) return { kind: "none", reason: "the mesh config is not a map" };
    const providers = effectiveExtensionProviders(meshConfig);
    const p = providers.find(
        (x): x is Record<string, unknown> & { name: string } => typeof x.name === "string" && x.name.toLowerCase() === providerName.toLowerCase(),
    );
    if (!p) {
        return { kind: "none", reason: `no extension provider is named ${JSON.stringify(providerName)}: istiod writes no access log for it (silently)` };
    }
    const kinds = Object.keys(p).filter((k) => PROVIDER_KINDS.includes(k));
    if (kinds.length !== 1) return { kind: "none", reason: `provider ${JSON.stringify(p.name)} does not name exactly one provider kind` };
    const kind = kinds[0];
    const cfg = p[kind];
    if (cfg !== undefined && cfg !== null && !isRecord(cfg)) return { kind: "none", reason: `provider ${JSON.stringify(p.name)}: ${kind} is not a map` };
    const c = recordAt(cfg);
    switch (kind) {
        case "envoyFileAccessLog": {
            if (p.name === BUILTIN_ENVOY_PROVIDER && c.logFormat === undefined && c.omitEmptyValues !== true) {
                // FileAccessLogFromMeshConfig: the mesh-wide format.
                const m = recordAt(meshConfig);
                const encoding = m.accessLogEncoding ?? "TEXT";
                const format = typeof m.accessLogFormat === "string" ? m.accessLogFormat : "";
                if (encoding === "JSON") {
                    if (format === "") return { kind: "format", provider: p.name, labels: { ...ENVOY_JSON_LOG_FORMAT_ISTIO } };
                    try {
                        const parsed: unknown = JSON.parse(format);
                        if (isRecord(parsed)) return { kind: "format", provider: p.name, labels: labelsFormat({ labels: parsed })! };
                    } catch {
                        // istiod logs an error and falls back to the default JSON format
                    }
                    return { kind: "format", provider: p.name, labels: { ...ENVOY_JSON_LOG_FORMAT_ISTIO } };
                }
                if (encoding !== "TEXT") return { kind: "none", reason: `accessLogEncoding ${JSON.stringify(encoding)} is neither TEXT nor JSON` };
                return { kind: "format", provider: p.name, text: format === "" ? ENVOY_TEXT_LOG_FORMAT : format };
            }
            const lf = c.logFormat;
            if (lf !== undefined && !isRecord(lf)) return { kind: "none", reason: `provider ${JSON.stringify(p.name)}: logFormat is not a map` };
            if (isRecord(lf) && lf.labels !== undefined) {
                const labels = labelsFormat(lf);
                return { kind: "format", provider: p.name, labels: labels && Object.keys(labels).length > 0 ? labels : { ...ENVOY_JSON_LOG_FORMAT_ISTIO } };
            }
            return { kind: "format", provider: p.name, text: textFormat(lf) ?? ENVOY_TEXT_LOG_FORMAT };
        }
        case "envoyOtelAls":
            return {
                kind: "format",
                provider: p.name,
                text: textFormat(c.logFormat) ?? ENVOY_TEXT_LOG_FORMAT,
                ...(labelsFormat(c.logFormat) ? { labels: labelsFormat(c.logFormat) } : {}),
            };
        case "envoyHttpAls":
        case "envoyTcpAls":
            return { kind: "structured", provider: p.name };
        default:
            return { kind: "none", reason: `provider ${JSON.stringify(p.name)} is a ${kind} provider, which writes no access log` };
    }
}

/** One command operator of a format string, normalised: `%REQ(:authority)%` → `REQ(:AUTHORITY)`. */
export interface FormatOperator {
    name: string;
    args?: string;
    /** A `:N` length limit: the value is cut to N characters. */
    maxLength?: number;
    raw: string;
}

const OPERATOR = /%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/g;

/** The command operators of an Envoy format string (`%%` is a literal percent sign). */
export function formatOperators(format: string): FormatOperator[] {
    const out: FormatOperator[] = [];
    for (const m of format.replace(/%%/g, "").matchAll(OPERATOR)) {
        out.push({
            name: m[1],
            ...(m[2] !== undefined ? { args: m[2].toUpperCase() } : {}),
            ...(m[3] !== undefined ? { maxLength: Number(m[3]) } : {}),
            raw: m[0],
        });
    }
    return out;
}

function carries(op: FormatOperator, field: AuditField): boolean {
    if (op.maxLength !== undefined) return false; // a cut value is not the value
    const want = formatOperators(field.operator)[0];
    if (op.name !== want.name) return false;
    if (want.args === undefined) return op.args === undefined;
    // Header operators: any alternative (`A?B`) naming the header; the authority is also the Host header.
    const alternatives = (op.args ?? "").split("?").map((a) => a.trim());
    const accepted = want.args === ":AUTHORITY" ? [":AUTHORITY", "HOST"] : [want.args];
    return alternatives.some((a) => accepted.includes(a));
}

/** The audit fields a resolved access log carries (all of them for a structured log, none without a log). */
export function auditFieldsCarried(log: ResolvedAccessLog): AuditField[] {
    if (log.kind === "none") return [];
    if (log.kind === "structured") return [...AUDIT_LOG_FIELDS];
    const ops = [...(log.text !== undefined ? formatOperators(log.text) : []), ...Object.values(log.labels ?? {}).flatMap(formatOperators)];
    return AUDIT_LOG_FIELDS.filter((f) => ops.some((op) => carries(op, f)));
}

/**
 * Why a Telemetry naming `providerName` does not give egress audit lines, given the mesh config: the problems,
 * each a sentence; none when every field of `AUDIT_LOG_FIELDS` is carried.
 */
export function accessLogProviderProblems(meshConfig: unknown, providerName: string): string[] {
    const log = resolveAccessLog(meshConfig, providerName);
    if (log.kind === "none") return [log.reason];
    const have = new Set(auditFieldsCarried(log).map((f) => f.field));
    const missing = AUDIT_LOG_FIELDS.filter((f) => !have.has(f.field));
    if (missing.length === 0) return [];
    return [
        `provider ${JSON.stringify(log.provider)} writes lines without ${missing.map((f) => `${f.operator} (${f.what})`).join(", ")}` +
            (log.provider === BUILTIN_ENVOY_PROVIDER
                ? "; the built-in envoy provider formats with meshConfig.accessLogFormat, whose default has no caller identity"
                : ""),
    ];
}

/**
 * The line (text) or record (JSON labels) a resolved access log writes for one request or connection, given the
 * values of the operators (`{ DOWNSTREAM_PEER_URI_SAN: "spiffe://...", "REQ(:AUTHORITY)": "api.example.com" }`);
 * an operator without a value prints `-`, as Envoy does. Undefined when nothing is written. A structured log is
 * rendered as the audit fields.
 */
export function formatAccessLogLine(log: ResolvedAccessLog, values: Record<string, string>): string | Record<string, string> | undefined {
    if (log.kind === "none") return undefined;
    const value = (op: FormatOperator) => {
        const v = values[`${op.name}${op.args !== undefined ? `(${op.args})` : ""}`] ?? "-";
        return op.maxLength !== undefined ? v.slice(0, op.maxLength) : v;
    };
    const render = (format: string) =>
        format
            .replace(/%%/g, "\u0000")
            .replace(OPERATOR, (raw) => value(formatOperators(raw)[0]))
            .replaceAll("\u0000", "%");
    if (log.kind === "structured") {
        return Object.fromEntries(AUDIT_LOG_FIELDS.map((f) => [f.field, render(f.operator)]));
    }
    if (log.labels !== undefined && log.text === undefined) {
        return Object.fromEntries(Object.entries(log.labels).map(([k, f]) => [k, render(f)]));
    }
    return render(log.text ?? ENVOY_TEXT_LOG_FORMAT);
}
