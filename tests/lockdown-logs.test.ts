/**
 * Issue 11, item 6: "all egress is monitored" with the caller. The gateway's Telemetry names a provider; what a
 * log line carries is decided by istiod from the mesh config (sdk/model/mesh-logging.ts follows
 * pilot/pkg/model/telemetry.go and telemetry_logging.go). Each test renders the line a call through the gateway
 * would produce, from the objects the component emits and the mesh config istiod runs with.
 */
import * as assert from "assert";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { ArgsError, buildPlan } from "../sdk/plan";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import {
    accessLogProviderProblems,
    AUDIT_LOG_FIELDS,
    auditFieldsCarried,
    EGRESS_AUDIT_PROVIDER,
    egressAuditLogProvider,
    formatAccessLogLine,
    K8sObject,
    resolveAccessLog,
    selectorMatches,
} from "../sdk/model";
import { listAt, recordAt, valueAt } from "../sdk/model/read";

const CALLER = "spiffe://cluster.local/ns/shop/sa/checkout";

/** The operators' values for one request from shop/checkout to api.example.com through the gateway. */
const CALL: Record<string, string> = {
    DOWNSTREAM_PEER_URI_SAN: CALLER,
    REQUESTED_SERVER_NAME: "api.example.com",
    "REQ(:AUTHORITY)": "api.example.com",
    UPSTREAM_HOST: "93.184.216.34:443",
    RESPONSE_FLAGS: "-",
    RESPONSE_CODE: "200",
    DOWNSTREAM_REMOTE_ADDRESS: "10.1.0.5:41234",
};

const ARGS: EgressGatewayArgs = {
    hosts: [{ host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ serviceAccounts: ["shop/checkout"] }] }],
    lockdown: { namespaces: [{ name: "shop" }] },
};
/** The gateway pod, with the labels the chart gives it (read from the plan, never assumed). */
const GATEWAY_POD = (() => {
    const gw = buildPlan("eg", ARGS).gateway;
    return { namespace: gw.namespace, labels: gw.podLabels };
})();

/** The provider the Telemetry selecting the gateway pods names (exactly one such Telemetry). */
function gatewayProvider(args: EgressGatewayArgs): string {
    const objects: K8sObject[] = lockdownManifests(buildPlan("eg", args)).gatewayNamespace;
    const telemetry = objects.filter(
        (o) => o.kind === "Telemetry" && o.metadata.namespace === GATEWAY_POD.namespace && selectorMatches(recordAt(o, "spec", "selector"), GATEWAY_POD.labels),
    );
    assert.strictEqual(telemetry.length, 1);
    const providers = listAt(telemetry[0], "spec", "accessLogging").flatMap((l) => listAt(l, "providers").map((p) => valueAt(p, "name")));
    assert.strictEqual(providers.length, 1);
    const [provider] = providers;
    assert.ok(typeof provider === "string");
    return provider;
}

function line(meshConfig: unknown, provider: string): string | undefined {
    const out = formatAccessLogLine(resolveAccessLog(meshConfig, provider), CALL);
    return out === undefined ? undefined : typeof out === "string" ? out : JSON.stringify(out);
}

describe("access logs (issue 11, item 6): the gateway's lines carry the caller", () => {
    it("default: the built-in envoy provider with Istio's default mesh config logs the SNI, authority, upstream and flags, but not the caller", () => {
        const provider = gatewayProvider(ARGS);
        assert.strictEqual(provider, "envoy");
        const l = line({}, provider)!;
        assert.ok(l.includes("api.example.com") && l.includes("93.184.216.34:443"), l);
        assert.ok(!l.includes(CALLER), "no identity in Istio's default format");
        assert.deepStrictEqual(
            auditFieldsCarried(resolveAccessLog({}, provider)).map((f) => f.field),
            ["sni", "authority", "upstream_host", "response_flags"],
        );
        assert.match(accessLogProviderProblems({}, provider).join(), /DOWNSTREAM_PEER_URI_SAN/);
    });

    it("lockdown.accessLogProvider names the audit provider: with it defined in istiod's mesh config, the line carries caller, SNI, authority, upstream host and flags", () => {
        const provider = gatewayProvider({ ...ARGS, lockdown: { ...ARGS.lockdown, accessLogProvider: EGRESS_AUDIT_PROVIDER } });
        assert.strictEqual(provider, EGRESS_AUDIT_PROVIDER);
        const meshConfig = { extensionProviders: [egressAuditLogProvider()] };
        const record = formatAccessLogLine(resolveAccessLog(meshConfig, provider), CALL) as Record<string, string>;
        assert.strictEqual(record.caller, CALLER);
        assert.strictEqual(record.sni, "api.example.com");
        assert.strictEqual(record.authority, "api.example.com");
        assert.strictEqual(record.upstream_host, "93.184.216.34:443");
        assert.strictEqual(record.response_flags, "-");
        assert.deepStrictEqual(accessLogProviderProblems(meshConfig, provider), []);
        assert.deepStrictEqual(auditFieldsCarried(resolveAccessLog(meshConfig, provider)), [...AUDIT_LOG_FIELDS]);
    });

    it("a provider the mesh config does not define writes nothing (istiod skips it silently)", () => {
        const provider = gatewayProvider({ ...ARGS, lockdown: { ...ARGS.lockdown, accessLogProvider: "audit-typo" } });
        assert.strictEqual(line({ extensionProviders: [egressAuditLogProvider()] }, provider), undefined);
        assert.match(accessLogProviderProblems({ extensionProviders: [egressAuditLogProvider()] }, provider)[0], /no extension provider is named "audit-typo"/);
    });

    it("the provider must carry the fields: a file provider with the default format, the JSON default, a cut SAN, a non-log provider all fail", () => {
        const cases: [string, unknown][] = [
            ["file, default text", { extensionProviders: [{ name: "a", envoyFileAccessLog: { path: "/dev/stdout" } }] }],
            ["file, empty labels (Istio's JSON default)", { extensionProviders: [{ name: "a", envoyFileAccessLog: { logFormat: { labels: {} } } }] }],
            [
                "file, caller cut to 10 characters",
                {
                    extensionProviders: [
                        {
                            name: "a",
                            envoyFileAccessLog: {
                                logFormat: { text: "%DOWNSTREAM_PEER_URI_SAN:10% %REQUESTED_SERVER_NAME% %REQ(:AUTHORITY)% %UPSTREAM_HOST% %RESPONSE_FLAGS%" },
                            },
                        },
                    ],
                },
            ],
            ["a tracing provider", { extensionProviders: [{ name: "a", zipkin: { service: "zipkin.istio-system.svc.cluster.local", port: 9411 } }] }],
            ["otel, default body", { extensionProviders: [{ name: "a", envoyOtelAls: { service: "otel.observability.svc.cluster.local", port: 4317 } }] }],
        ];
        for (const [what, mesh] of cases) {
            assert.ok(accessLogProviderProblems(mesh, "a").length > 0, what);
            assert.ok(!(line(mesh, "a") ?? "").includes(CALLER), `${what}: the line must not have the caller`);
        }
        // The same provider with the fields, as text: passes.
        const text = {
            extensionProviders: [
                {
                    name: "a",
                    envoyFileAccessLog: {
                        logFormat: { text: "%DOWNSTREAM_PEER_URI_SAN% %REQUESTED_SERVER_NAME% %REQ(:authority)% %UPSTREAM_HOST% %RESPONSE_FLAGS%" },
                    },
                },
            ],
        };
        assert.deepStrictEqual(accessLogProviderProblems(text, "a"), []);
        assert.ok(line(text, "a")!.startsWith(CALLER));
        // A structured gRPC access log carries every field.
        assert.deepStrictEqual(
            accessLogProviderProblems({ extensionProviders: [{ name: "a", envoyHttpAls: { service: "als.obs.svc.cluster.local", port: 9000 } }] }, "a"),
            [],
        );
    });

    it("the built-in envoy provider follows meshConfig.accessLogFormat / accessLogEncoding (a mesh-wide alternative), unless overridden", () => {
        const withFields = { accessLogFormat: "%DOWNSTREAM_PEER_URI_SAN% %REQUESTED_SERVER_NAME% %REQ(:AUTHORITY)% %UPSTREAM_HOST% %RESPONSE_FLAGS%\n" };
        assert.deepStrictEqual(accessLogProviderProblems(withFields, "envoy"), []);
        assert.ok(line(withFields, "envoy")!.includes(CALLER));
        assert.ok(accessLogProviderProblems({ accessLogEncoding: "JSON" }, "envoy").length > 0, "Istio's default JSON format has no caller either");
        // `omitEmptyValues` on an `envoy` override without logFormat skips the mesh format (telemetryAccessLog).
        const override = { ...withFields, extensionProviders: [{ name: "envoy", envoyFileAccessLog: { path: "/dev/stdout", omitEmptyValues: true } }] };
        assert.ok(accessLogProviderProblems(override, "envoy").length > 0);
    });

    it("lookup is case-insensitive and first match wins: a look-alike defined first shadows the audit provider", () => {
        const good = egressAuditLogProvider();
        const lookAlike = { name: EGRESS_AUDIT_PROVIDER.toUpperCase(), envoyFileAccessLog: { path: "/dev/stdout" } };
        assert.deepStrictEqual(accessLogProviderProblems({ extensionProviders: [good, lookAlike] }, EGRESS_AUDIT_PROVIDER), []);
        assert.ok(accessLogProviderProblems({ extensionProviders: [lookAlike, good] }, EGRESS_AUDIT_PROVIDER).length > 0);
        // A configured provider with a default's exact name replaces the default in place (mesh.go ApplyMeshConfig).
        assert.deepStrictEqual(accessLogProviderProblems({ extensionProviders: [{ ...good, name: "envoy" }] }, "envoy"), []);
    });

    it("the provider name is checked, and needs access logs on", () => {
        const problems = (lockdown: EgressGatewayArgs["lockdown"]) => {
            try {
                buildPlan("eg", { ...ARGS, lockdown });
                return [];
            } catch (e) {
                assert.ok(e instanceof ArgsError);
                return e.problems.map((p) => `${p.field}: ${p.rule}`);
            }
        };
        assert.match(problems({ accessLogProvider: "bad name" }).join(), /lockdown\.accessLogProvider: must be the name of an extension provider/);
        assert.match(
            problems({ accessLogs: false, accessLogProvider: "audit" }).join(),
            /lockdown\.accessLogProvider: names a provider while accessLogs is false/,
        );
        assert.match(problems({ accessLogProvider: "" }).join(), /lockdown\.accessLogProvider/);
        assert.deepStrictEqual(problems({ accessLogProvider: "Audit_1.v2" }), []);
    });
});
