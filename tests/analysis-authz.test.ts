import * as assert from "assert";
import { AuthzRequest, evaluateAuthz, stringMatches } from "../sdk/analysis/authz";
import type { K8sObject } from "../sdk/schema/validate";

function ap(namespace: string, name: string, spec: unknown): K8sObject {
    return { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { namespace, name }, spec };
}

const GW = { namespace: "istio-egress", labels: { app: "istio-egressgateway", istio: "egressgateway" } };
const sel = { matchLabels: { istio: "egressgateway" } };

function req(ns: string | undefined, extra: Partial<AuthzRequest> = {}): AuthzRequest {
    return {
        workload: GW,
        source: ns ? { principal: `cluster.local/ns/${ns}/sa/default` } : {},
        http: false,
        sni: "www.aliyun.com",
        port: 443,
        ...extra,
    };
}

// The ASM tutorial: any authenticated caller may use the gateway; demo-frontend may not reach www.aliyun.com.
const allowAuthenticated = ap("istio-egress", "allow-authenticated", {
    selector: sel,
    action: "ALLOW",
    rules: [{ from: [{ source: { principals: ["*"] } }] }],
});
const denyFrontend = ap("istio-egress", "deny-frontend-aliyun", {
    selector: sel,
    action: "DENY",
    rules: [{ from: [{ source: { namespaces: ["demo-frontend"] } }], when: [{ key: "connection.sni", values: ["www.aliyun.com"] }] }],
});
const denyFrontendHttp = ap("istio-egress", "deny-frontend-aliyun-http", {
    selector: sel,
    action: "DENY",
    rules: [{ from: [{ source: { namespaces: ["demo-frontend"] } }], to: [{ operation: { hosts: ["www.aliyun.com"] } }] }],
});

describe("analysis: Istio string matching", () => {
    it("exact, prefix, suffix and * (non-empty)", () => {
        assert.ok(stringMatches("abc", "abc"));
        assert.ok(!stringMatches("abc", "abcd"));
        assert.ok(stringMatches("abc*", "abcd"));
        assert.ok(!stringMatches("abc*", "xabc"));
        assert.ok(stringMatches("*.example.com", "api.example.com"));
        assert.ok(!stringMatches("*.example.com", "example.org"));
        assert.ok(stringMatches("*", "x"));
        assert.ok(!stringMatches("*", ""));
        assert.ok(!stringMatches("*", undefined));
        assert.ok(stringMatches("API.example.com", "api.EXAMPLE.com", true));
    });
});

describe("analysis: AuthorizationPolicy semantics", () => {
    it("the ASM tutorial: demo-frontend denied www.aliyun.com by the named DENY policy; other namespaces allowed", () => {
        const pols = [allowAuthenticated, denyFrontend];
        const fe = evaluateAuthz(pols, req("demo-frontend"));
        assert.strictEqual(fe.allowed, false);
        assert.strictEqual(fe.action, "DENY");
        assert.strictEqual(fe.policy, "istio-egress/deny-frontend-aliyun");
        assert.strictEqual(fe.ruleIndex, 0);
        const be = evaluateAuthz(pols, req("demo-backend"));
        assert.strictEqual(be.allowed, true);
        assert.strictEqual(be.action, "ALLOW");
        assert.strictEqual(be.policy, "istio-egress/allow-authenticated");
        // demo-frontend to another host is allowed
        assert.strictEqual(evaluateAuthz(pols, req("demo-frontend", { sni: "www.example.com" })).allowed, true);
        // over HTTP with the host variant of the DENY
        const httpPols = [allowAuthenticated, denyFrontendHttp];
        const feHttp = evaluateAuthz(httpPols, req("demo-frontend", { http: true, host: "www.aliyun.com", sni: undefined }));
        assert.strictEqual(feHttp.allowed, false);
        assert.strictEqual(feHttp.policy, "istio-egress/deny-frontend-aliyun-http");
        assert.strictEqual(
            evaluateAuthz(httpPols, req("demo-frontend", { http: true, host: "WWW.ALIYUN.COM:80" })).allowed,
            false,
            "hosts are case-insensitive and match host:port",
        );
        assert.strictEqual(evaluateAuthz(httpPols, req("demo-backend", { http: true, host: "www.aliyun.com" })).allowed, true);
    });

    it("principals ['*'] requires an identity: a caller without mTLS is denied by the ALLOW policy", () => {
        const d = evaluateAuthz([allowAuthenticated], req(undefined));
        assert.strictEqual(d.allowed, false);
        assert.strictEqual(d.action, "ALLOW");
        assert.match(d.reason, /no rule of the ALLOW policies istio-egress\/allow-authenticated/);
    });

    it("default deny: an ALLOW policy without rules (spec: {}) denies everything", () => {
        const denyAll = ap("istio-egress", "deny-all", {});
        const d = evaluateAuthz([denyAll], req("demo-backend"));
        assert.strictEqual(d.allowed, false);
        const withAllow = evaluateAuthz([denyAll, allowAuthenticated], req("demo-backend"));
        assert.strictEqual(withAllow.allowed, true, "ALLOW policies are a union");
    });

    it("no policy at all allows (action NONE); an empty rule allows everything", () => {
        assert.deepStrictEqual(evaluateAuthz([], req("x")).action, "NONE");
        assert.strictEqual(evaluateAuthz([], req("x")).allowed, true);
        assert.strictEqual(evaluateAuthz([ap("istio-egress", "all", { rules: [{}] })], req(undefined)).allowed, true);
    });

    it("a DENY policy without rules matches nothing", () => {
        assert.strictEqual(evaluateAuthz([ap("istio-egress", "d", { action: "DENY" })], req("x")).allowed, true);
    });

    it("DENY wins over ALLOW regardless of order", () => {
        const d = evaluateAuthz([denyFrontend, allowAuthenticated], req("demo-frontend"));
        assert.strictEqual(d.action, "DENY");
    });

    it("selects policies by namespace and selector; root-namespace policies apply mesh-wide", () => {
        const otherNs = ap("apps", "deny-all-in-apps", { action: "DENY", rules: [{}] });
        assert.strictEqual(evaluateAuthz([otherNs], req("x")).allowed, true, "another namespace's policy does not apply");
        const otherSel = ap("istio-egress", "deny-ingress-gw", { selector: { matchLabels: { istio: "ingressgateway" } }, action: "DENY", rules: [{}] });
        assert.strictEqual(evaluateAuthz([otherSel], req("x")).allowed, true, "non-matching selector");
        const meshWide = ap("istio-system", "mesh-deny-all", { action: "DENY", rules: [{}] });
        const mw = evaluateAuthz([meshWide], req("x"));
        assert.strictEqual(mw.allowed, false);
        assert.strictEqual(mw.policy, "istio-system/mesh-deny-all");
        assert.strictEqual(evaluateAuthz([meshWide], req("x"), "custom-root").allowed, true, "a different root namespace");
        const rootSel = ap("istio-system", "root-selected", { selector: sel, action: "DENY", rules: [{}] });
        assert.strictEqual(evaluateAuthz([rootSel], req("x")).allowed, false, "root-namespace policy with a matching selector");
    });

    it("targetRefs policies are not evaluated for gateway deployments, and reported", () => {
        const tr = ap("istio-egress", "waypoint-deny", {
            targetRefs: [{ kind: "ServiceEntry", group: "networking.istio.io", name: "x" }],
            action: "DENY",
            rules: [{}],
        });
        const d = evaluateAuthz([tr], req("x"));
        assert.strictEqual(d.allowed, true);
        assert.ok(d.ignored?.[0].startsWith("istio-egress/waypoint-deny: uses targetRef"));
    });

    it("from: principals, notPrincipals, namespaces, notNamespaces, ipBlocks", () => {
        const p = (source: Record<string, unknown>) => [ap("istio-egress", "a", { action: "ALLOW", rules: [{ from: [{ source }] }] })];
        assert.strictEqual(evaluateAuthz(p({ principals: ["cluster.local/ns/a/sa/default"] }), req("a")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ principals: ["cluster.local/ns/a/sa/other"] }), req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ principals: ["cluster.local/ns/a/*"] }), req("a")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ notPrincipals: ["cluster.local/ns/a/*"] }), req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ notPrincipals: ["cluster.local/ns/a/*"] }), req("b")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ namespaces: ["a", "c"] }), req("c")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ namespaces: ["a"] }), req(undefined)).allowed, false, "no identity, no namespace");
        assert.strictEqual(evaluateAuthz(p({ notNamespaces: ["a"] }), req("b")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ notNamespaces: ["a"] }), req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ namespaces: ["a"], principals: ["*"] }), req("a")).allowed, true, "fields AND");
        assert.strictEqual(evaluateAuthz(p({ namespaces: ["b"], principals: ["*"] }), req("a")).allowed, false);
        const ip = req("a", { source: { principal: "cluster.local/ns/a/sa/default", ip: "10.1.2.3" } });
        assert.strictEqual(evaluateAuthz(p({ ipBlocks: ["10.0.0.0/8"] }), ip).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ ipBlocks: ["192.168.0.0/16"] }), ip).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ notIpBlocks: ["10.1.2.3"] }), ip).allowed, false);
    });

    it("to.operation: ports/notPorts on TCP; hosts/paths/methods on HTTP", () => {
        const p = (operation: Record<string, unknown>) => [ap("istio-egress", "a", { action: "ALLOW", rules: [{ to: [{ operation }] }] })];
        assert.strictEqual(evaluateAuthz(p({ ports: ["443"] }), req("a")).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ ports: ["80"] }), req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ notPorts: ["443"] }), req("a")).allowed, false);
        const h = (extra: Partial<AuthzRequest>) => req("a", { http: true, host: "api.example.com", path: "/v1/items", method: "GET", ...extra });
        assert.strictEqual(evaluateAuthz(p({ hosts: ["*.example.com"], paths: ["/v1/*"], methods: ["GET", "HEAD"] }), h({})).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ hosts: ["*.example.com"], paths: ["/v2/*"] }), h({})).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ notMethods: ["GET"] }), h({})).allowed, false);
        assert.strictEqual(evaluateAuthz(p({ notPaths: ["/admin*"] }), h({})).allowed, true);
        assert.strictEqual(evaluateAuthz(p({ notHosts: ["api.example.com"] }), h({})).allowed, false);
        assert.strictEqual(
            evaluateAuthz(
                [ap("istio-egress", "two", { rules: [{ to: [{ operation: { methods: ["POST"] } }, { operation: { paths: ["/v1/items"] } }] }] })],
                h({}),
            ).allowed,
            true,
            "to entries are alternatives",
        );
    });

    it("HTTP-only fields never match TCP/TLS in ALLOW rules", () => {
        const p = ap("istio-egress", "hosts-allow", {
            selector: sel,
            rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: { hosts: ["www.aliyun.com"] } }] }],
        });
        const tcp = evaluateAuthz([p], req("a"));
        assert.strictEqual(tcp.allowed, false, "TLS passthrough cannot be allowed by a hosts rule");
        assert.strictEqual(evaluateAuthz([p], req("a", { http: true, host: "www.aliyun.com" })).allowed, true);
        const hdr = ap("istio-egress", "hdr", { rules: [{ when: [{ key: "request.headers[X-Team]", values: ["blue"] }] }] });
        assert.strictEqual(evaluateAuthz([hdr], req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz([hdr], req("a", { http: true, headers: { "x-team": "blue" } })).allowed, true, "header names are case-insensitive");
        assert.strictEqual(evaluateAuthz([hdr], req("a", { http: true, headers: { "x-team": "red" } })).allowed, false);
        const rp = ap("istio-egress", "rp", { rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] });
        assert.strictEqual(evaluateAuthz([rp], req("a")).allowed, false);
    });

    it("HTTP-only fields in DENY rules are dropped for TCP/TLS, widening the deny (Istio's behaviour)", () => {
        const d = evaluateAuthz([allowAuthenticated, denyFrontendHttp], req("demo-frontend", { sni: "anything.example.com" }));
        assert.strictEqual(d.allowed, false, "on TLS the hosts field is ignored, so demo-frontend is denied every host");
        assert.match(d.reason, /HTTP-only fields ignored/);
        assert.strictEqual(evaluateAuthz([allowAuthenticated, denyFrontendHttp], req("demo-backend")).allowed, true, "the from part still applies");
        const methodsOnly = ap("istio-egress", "deny-get", { action: "DENY", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] });
        assert.strictEqual(evaluateAuthz([methodsOnly], req("x")).allowed, false, "a DENY made only of HTTP fields denies all TCP traffic");
        assert.strictEqual(evaluateAuthz([methodsOnly], req("x", { http: true, method: "POST" })).allowed, true);
    });

    it("when: connection.sni, source.namespace, source.principal, destination.port, notValues", () => {
        const w = (when: Record<string, unknown>[]) => [ap("istio-egress", "w", { rules: [{ when }] })];
        assert.strictEqual(evaluateAuthz(w([{ key: "connection.sni", values: ["*.aliyun.com"] }]), req("a")).allowed, true);
        assert.strictEqual(evaluateAuthz(w([{ key: "connection.sni", notValues: ["www.aliyun.com"] }]), req("a")).allowed, false);
        assert.strictEqual(evaluateAuthz(w([{ key: "source.namespace", values: ["a"] }]), req("a")).allowed, true);
        assert.strictEqual(evaluateAuthz(w([{ key: "source.namespace", values: ["a"] }]), req("b")).allowed, false);
        assert.strictEqual(evaluateAuthz(w([{ key: "source.principal", values: ["cluster.local/ns/b/sa/default"] }]), req("b")).allowed, true);
        assert.strictEqual(
            evaluateAuthz(
                w([
                    { key: "destination.port", values: ["443"] },
                    { key: "source.namespace", values: ["b"] },
                ]),
                req("a"),
            ).allowed,
            false,
            "conditions AND",
        );
        assert.throws(
            () => evaluateAuthz(w([{ key: "source.nope", values: ["x"] }]), req("a")),
            /AuthorizationPolicy istio-egress\/w spec\.rules\[0\]\.when\[0\]\.key: unsupported condition key "source\.nope"/,
        );
    });

    it("CUSTOM is reported as not evaluated (fail closed) unless DENY/ALLOW already decide", () => {
        const custom = ap("istio-egress", "ext-authz", { action: "CUSTOM", provider: { name: "opa" }, rules: [{ to: [{ operation: { ports: ["443"] } }] }] });
        const d = evaluateAuthz([custom], req("a"));
        assert.strictEqual(d.action, "CUSTOM");
        assert.strictEqual(d.allowed, false);
        assert.match(d.reason, /external authorizer/);
        assert.strictEqual(evaluateAuthz([custom, denyFrontend, allowAuthenticated], req("demo-frontend")).action, "DENY");
        assert.strictEqual(evaluateAuthz([custom], req("a", { port: 80 })).action, "NONE", "CUSTOM rule not matching");
    });

    it("AUDIT never changes the decision; unknown actions and fields are rejected", () => {
        const audit = ap("istio-egress", "audit", { action: "AUDIT", rules: [{}] });
        assert.strictEqual(evaluateAuthz([audit], req("a")).action, "NONE");
        assert.throws(() => evaluateAuthz([ap("istio-egress", "bad", { action: "REJECT" })], req("a")), /spec\.action: "REJECT"/);
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "bad", { rules: [{ from: [{ source: { principal: ["x"] } }] }] })], req("a")),
            /spec\.rules\[0\]\.from\[0\]\.source: unknown field "principal"/,
        );
    });

    // istiod refuses these policies, so in the cluster they do not exist; read as absent they would decide anyway
    // (an ALLOW `from: {}` read as "no from" allows every caller, a DENY `rules: {}` read as "no rules" denies
    // nothing). Each is refused naming the field; the same policy with the right type decides as usual.
    it("a field of the wrong type is refused, naming it, never read as absent", () => {
        const allowA = (rule: unknown) => [ap("istio-egress", "only-a", { selector: sel, rules: [rule] })];
        assert.strictEqual(evaluateAuthz(allowA({ from: [{ source: { namespaces: ["a"] } }] }), req("b")).allowed, false, "the well-typed policy denies b");
        assert.throws(
            () => evaluateAuthz(allowA({ from: { source: { namespaces: ["a"] } } }), req("b")),
            /AuthorizationPolicy istio-egress\/only-a spec\.rules\[0\]\.from: must be a list/,
        );
        assert.throws(() => evaluateAuthz(allowA({ from: ["a"] }), req("b")), /spec\.rules\[0\]\.from\[0\]: must be an object/);
        assert.throws(
            () => evaluateAuthz(allowA({ from: [{ source: "namespaces: [a]" }] }), req("b")),
            /spec\.rules\[0\]\.from\[0\]\.source: must be an object/,
        );
        assert.throws(
            () => evaluateAuthz(allowA(5), req("b")),
            /spec\.rules\[0\]: must be an object/,
            "a rule 5 is not the empty rule (which matches everything)",
        );
        assert.throws(() => evaluateAuthz(allowA({ to: { operation: { ports: ["443"] } } }), req("b")), /spec\.rules\[0\]\.to: must be a list/);
        assert.throws(() => evaluateAuthz(allowA({ when: { key: "source.namespace", values: ["a"] } }), req("b")), /spec\.rules\[0\]\.when: must be a list/);
        assert.throws(() => evaluateAuthz(allowA({ when: [{ key: 5, values: ["a"] }] }), req("b")), /spec\.rules\[0\]\.when\[0\]\.key: must be a string/);
        assert.throws(
            () => evaluateAuthz(allowA({ from: [{ source: { notNamespaces: [{ name: "a" }] } }] }), req("b")),
            /source\.namespaces: must be a list of strings/,
            "an object item would match nothing, so notNamespaces everything",
        );
        assert.strictEqual(evaluateAuthz(allowA({ to: [{ operation: { ports: [443] } }] }), req("b")).allowed, true, "numbers are ports' text (ports: [443])");

        const denyB = { selector: sel, action: "DENY", rules: [{ from: [{ source: { namespaces: ["b"] } }] }] };
        assert.strictEqual(evaluateAuthz([ap("istio-egress", "deny-b", denyB)], req("b")).allowed, false, "the well-typed DENY denies b");
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "deny-b", { ...denyB, rules: { from: [{ source: { namespaces: ["b"] } }] } })], req("b")),
            /AuthorizationPolicy istio-egress\/deny-b spec\.rules: must be a list/,
        );
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "deny-b", "DENY")], req("b")),
            /AuthorizationPolicy istio-egress\/deny-b spec: must be an object/,
        );
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "deny-b", { ...denyB, action: 5 })], req("b")),
            /spec\.action: 5 is not ALLOW, DENY, AUDIT or CUSTOM/,
        );
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "deny-b", { ...denyB, selector: "istio=egressgateway" })], req("b")),
            /deny-b spec\.selector: must be an object/,
        );
        assert.throws(
            () => evaluateAuthz([ap("istio-egress", "deny-b", { ...denyB, selector: { matchLabels: "istio=egressgateway" } })], req("b")),
            /deny-b spec\.selector\.matchLabels: must be an object/,
        );
        assert.strictEqual(evaluateAuthz([ap("other-ns", "deny-b", "DENY")], req("b")).allowed, true, "a policy of another namespace is not read at all");
    });
});
