/**
 * Docs equivalence (issue 2, item 3): for each egress mode, the routing objects we emit for a scenario are
 * semantically equivalent to Istio's canonical YAML for the same scenario (../shared/reference/istio-docs), with
 * names and namespaces free to differ. Where our design deliberately differs from a document, the test says so and
 * asserts the difference (see docs/equivalence.md for the table).
 *
 * Both sides go through the same extractor (tests/helpers/equivalence.ts), which follows Istio's references
 * (VirtualService gateways → Gateway servers, destination host → ServiceEntry / DestinationRule subset).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EgressMode, ExternalHostArgs } from "../sdk/args";
import { routingManifests } from "../sdk/manifests/routing";
import { buildPlan, EgressPlan } from "../sdk/plan";
import { listAt, recordAt, valueAt } from "../sdk/model/read";
import { K8sObject, schemaErrors } from "../sdk/schema/validate";
import {
    effectiveTls,
    extractFacets,
    facetsOf,
    GatewayLegFacet,
    HostFacets,
    MeshLegFacet,
    PortFacet,
    readReference,
    ReferenceFile,
} from "./helpers/equivalence";

/** /work/shared/reference, seen from dist/tests/. */
const REFERENCE = path.resolve(__dirname, "..", "..", "..", "shared", "reference");
const DOCS = path.join(REFERENCE, "istio-docs");

function needReference(ctx: Mocha.Context): void {
    if (!fs.existsSync(REFERENCE)) {
        console.log("../shared/reference absent (a user's clone): skipping the docs-equivalence comparison");
        ctx.skip();
    }
}

const cache = new Map<string, ReferenceFile>();
function reference(prefix: string): ReferenceFile {
    if (!cache.has(prefix)) {
        const file = fs.readdirSync(DOCS).find((f) => f.startsWith(prefix) && f.endsWith(".yaml"));
        assert.ok(file, `no ${prefix}-*.yaml in ${DOCS}`);
        const ref = readReference(DOCS, file);
        assert.deepStrictEqual(ref.errors, [], `${file} must parse`);
        cache.set(prefix, ref);
    }
    return cache.get(prefix)!;
}

function section(prefix: string, letter: string): K8sObject[] {
    const objs = reference(prefix).sections.get(letter);
    assert.ok(objs && objs.length > 0, `${prefix}: no section ${letter}) in the file's comments`);
    return objs;
}

// ---- The scenarios, built with our API --------------------------------------------------------------------------

const CNN = "edition.cnn.com";
const NGINX = "my-nginx.mesh-external.svc.cluster.local";
const WIKI = "*.wikipedia.org";
const WIKI_UPSTREAM = "www.wikipedia.org";

const SCENARIOS: Record<string, ExternalHostArgs> = {
    http: { host: CNN, mode: EgressMode.Http },
    tlsOrigination: { host: CNN, mode: EgressMode.TlsOrigination },
    mutualTlsOrigination: { host: NGINX, mode: EgressMode.MutualTlsOrigination, credentialName: "client-credential" },
    tls: { host: CNN, mode: EgressMode.Tls },
    wildcard: { host: WIKI, mode: EgressMode.Tls, upstreamHost: WIKI_UPSTREAM },
};

interface Ours {
    plan: EgressPlan;
    objects: K8sObject[];
}

/**
 * Istio's 07 B targets an in-cluster Service, which the component refuses as an external host (a cluster-local
 * name does not go through the egress gateway): our objects are built for a public stand-in and compared with the
 * stand-in written back as the docs' name.
 */
const NGINX_STAND_IN = "my-nginx.mesh-external.example.com";
function ours(hosts: ExternalHostArgs[]): Ours {
    // A round trip through JSON that only rewrites a host name: the value keeps its type.
    const swap = <T>(v: T, from: string, to: string) => JSON.parse(JSON.stringify(v).split(from).join(to)) as T;
    const plan = buildPlan("egress", { hosts: swap(hosts, NGINX, NGINX_STAND_IN) });
    const m = routingManifests(plan);
    return { plan: swap(plan, NGINX_STAND_IN, NGINX), objects: swap([...m.shared, ...[...m.perHost.values()].flat()], NGINX_STAND_IN, NGINX) };
}

function oursFor(h: ExternalHostArgs): { plan: EgressPlan; objects: K8sObject[]; facets: HostFacets } {
    const o = ours([h]);
    return { ...o, facets: facetsOf(o.objects, h.host) };
}

// ---- Projections of the facets ------------------------------------------------------------------------------------

function only<T>(list: T[], what: string): T {
    assert.strictEqual(list.length, 1, `expected exactly one ${what}, got ${JSON.stringify(list)}`);
    return list[0];
}

/** What the sidecars do (leg 1), without the gateway-internal port and the hop's TLS. */
function meshMatch(l: MeshLegFacet) {
    return { route: l.route, port: l.port, sniHosts: l.sniHosts, toGatewayService: l.toGatewayService, subset: l.subset, subsetDefined: l.subsetDefined };
}

/** Where the gateway sends the traffic (leg 2's destination and the ServiceEntry that declares it). */
function gatewayDestination(l: GatewayLegFacet) {
    return { destination: l.destination, destinationEntry: l.destinationEntry };
}

/** The sidecar → gateway hop: the Gateway server, the hop's TLS, the ports on both ends. */
function gatewayHop(f: HostFacets) {
    const m = only(f.meshLegs, `mesh leg of ${f.host}`);
    const g = only(f.gatewayLegs, `gateway leg of ${f.host}`);
    return { servers: g.servers, tls: m.tls, meshDestinationPort: m.destinationPort, gatewayMatchPort: g.port, gatewayRoute: g.route };
}

/** The ports that some leg actually routes: leg-1 match ports and leg-2 destination ports. */
function routedPorts(f: HostFacets, entryPorts: PortFacet[]): PortFacet[] {
    const used = new Set<number>();
    for (const l of f.meshLegs) if (l.port !== undefined) used.add(l.port);
    for (const l of f.gatewayLegs) if (l.destination.host === f.host && l.destination.port !== undefined) used.add(l.destination.port);
    return entryPorts.filter((p) => p.number !== undefined && used.has(p.number));
}

/**
 * The origination settings Istio's docs set (mode, client credential, and the host port TLS is originated to),
 * without the hardening extras.
 */
function originationCore(l: GatewayLegFacet) {
    const o = l.origination;
    return o ? { mode: o.mode, credentialName: o.credentialName, endpointPort: o.endpointPort } : undefined;
}

/** Where leg 2 lands: the host and the port it really listens on (an entry's `targetPort` resolved). */
function landing(l: GatewayLegFacet) {
    return { host: l.destination.host, endpointPort: l.destination.endpointPort };
}

// ---- Tests ------------------------------------------------------------------------------------------------------

describe("docs equivalence: Istio's reference YAML", function () {
    it("every reference file parses (multi-document) into Kubernetes objects", function () {
        needReference(this);
        const files = fs.readdirSync(DOCS).filter((f) => f.endsWith(".yaml"));
        assert.ok(files.length >= 9, `expected the nine reference files, found ${files.join(", ")}`);
        for (const f of files) {
            const ref = readReference(DOCS, f);
            assert.deepStrictEqual(ref.errors, [], `${f} must parse`);
            assert.ok(ref.objects.length > 0, `${f} holds no object`);
            for (const o of ref.objects) {
                assert.ok(typeof o.apiVersion === "string" && typeof o.kind === "string", `${f}: an object without apiVersion/kind`);
                assert.ok(typeof o.metadata?.name === "string", `${f}: ${o.kind} without metadata.name`);
                assert.ok(o.spec && typeof o.spec === "object", `${f}: ${o.kind}/${o.metadata.name} without spec`);
            }
        }
    });

    it("07 and 08 split into their lettered alternatives, each a complete scenario", function () {
        needReference(this);
        const kinds = (objs: K8sObject[]) => objs.map((o) => o.kind).sort();
        assert.deepStrictEqual(kinds(section("07", "A")), ["DestinationRule", "DestinationRule", "Gateway", "VirtualService"]);
        assert.deepStrictEqual(kinds(section("07", "B")), ["DestinationRule", "DestinationRule", "Gateway", "VirtualService"]);
        assert.deepStrictEqual(kinds(section("08", "A")), ["ServiceEntry"]);
        assert.deepStrictEqual(kinds(section("08", "B")), ["DestinationRule", "Gateway", "ServiceEntry", "VirtualService"]);
        // A and B of 07 reuse the Gateway's name: only the split keeps the references unambiguous.
        assert.deepStrictEqual(
            section("07", "A")
                .filter((o) => o.kind === "Gateway")
                .map((o) => o.metadata.name),
            section("07", "B")
                .filter((o) => o.kind === "Gateway")
                .map((o) => o.metadata.name),
        );
    });
});

describe("docs equivalence: the facet extractor", function () {
    // These run without the reference: they show that the extractor follows references (so the comparisons below
    // can fail) rather than reading objects by position.

    it("is independent of object order", function () {
        const { objects } = ours(Object.values(SCENARIOS).filter((h) => h !== SCENARIOS.http && h !== SCENARIOS.tls));
        const forward = extractFacets(objects);
        const backward = extractFacets([...objects].reverse());
        assert.deepStrictEqual([...backward.keys()].sort(), [...forward.keys()].sort());
        for (const [host, f] of forward) assert.deepStrictEqual(backward.get(host), f, host);
    });

    it("resolves VirtualService gateways to Gateway objects by name and namespace", function () {
        const { objects } = ours([SCENARIOS.tlsOrigination]);
        const good = only(facetsOf(objects, CNN).gatewayLegs, "gateway leg");
        assert.deepStrictEqual(good.unresolvedGateways, []);
        assert.deepStrictEqual(good.servers, [{ port: 80, protocol: "HTTPS", tlsMode: "ISTIO_MUTUAL" }]);

        const moved = objects.map((o) => (o.kind === "Gateway" ? { ...o, metadata: { ...o.metadata, namespace: "elsewhere" } } : o));
        const bad = only(facetsOf(moved, CNN).gatewayLegs, "gateway leg");
        assert.strictEqual(bad.unresolvedGateways.length, 1, "a Gateway in another namespace must not satisfy the reference");
        assert.deepStrictEqual(bad.servers, []);

        const otherHost = objects.map((o) =>
            o.kind === "Gateway"
                ? {
                      ...o,
                      spec: { ...recordAt(o, "spec"), servers: listAt(o, "spec", "servers").map((s) => ({ ...recordAt(s), hosts: ["other.example.com"] })) },
                  }
                : o,
        );
        assert.deepStrictEqual(only(facetsOf(otherHost, CNN).gatewayLegs, "gateway leg").servers, [], "a server must carry the host");
    });

    it("resolves subsets and TLS through the DestinationRules with Istio's precedence", function () {
        const { plan, objects } = ours([SCENARIOS.tls]);
        const svc = plan.gateway.serviceHost;
        const subset = plan.hosts[0].subsetName;
        assert.deepStrictEqual(effectiveTls(objects, svc, subset, 443), { tls: { mode: "ISTIO_MUTUAL", sni: CNN }, subsetDefined: true });
        // Another port of the same subset falls back to the rule's top-level TLS (no SNI there).
        assert.deepStrictEqual(effectiveTls(objects, svc, subset, 80), { tls: { mode: "ISTIO_MUTUAL" }, subsetDefined: true });
        assert.deepStrictEqual(effectiveTls(objects, svc, "nope", 443), { tls: { mode: "ISTIO_MUTUAL" }, subsetDefined: false });
        assert.deepStrictEqual(effectiveTls(objects, "unknown.example.com", undefined, 443), { subsetDefined: false });
    });

    it("recognises the gateway Service as leg 1's destination without keeping its name", function () {
        const { plan, objects } = ours([SCENARIOS.http]);
        const vs = objects.find((o) => o.kind === "VirtualService")!;
        assert.strictEqual(valueAt(vs, "spec", "http", 0, "route", 0, "destination", "host"), plan.gateway.serviceHost);
        assert.strictEqual(only(facetsOf(objects, CNN).meshLegs, "mesh leg").toGatewayService, true);

        // A mesh leg that goes straight to the external host is not a gateway hop.
        const direct = objects.map((o) =>
            o.kind === "VirtualService"
                ? {
                      ...o,
                      spec: {
                          ...recordAt(o, "spec"),
                          http: [
                              { ...recordAt(o, "spec", "http", 0), route: [{ destination: { host: CNN, port: { number: 80 } } }] },
                              valueAt(o, "spec", "http", 1),
                          ],
                      },
                  }
                : o,
        );
        const leg = only(facetsOf(direct, CNN).meshLegs, "mesh leg");
        assert.strictEqual(leg.toGatewayService, false);
        assert.strictEqual(leg.otherHost, CNN);
    });
});

describe("docs equivalence: every object we emit is schema-valid", function () {
    for (const [name, h] of Object.entries(SCENARIOS)) {
        it(`${name} (${h.host}, ${h.mode})`, async function () {
            const { objects } = ours([h]);
            assert.ok(objects.length >= 4, "shared Gateway + gateway DR + per-host objects");
            for (const o of objects) {
                assert.deepStrictEqual(await schemaErrors(o), [], `${o.kind}/${o.metadata.name}`);
            }
        });
    }
    it("all scenarios in one plan", async function () {
        const { objects } = ours([
            SCENARIOS.tlsOrigination,
            SCENARIOS.mutualTlsOrigination,
            SCENARIOS.wildcard,
            { host: "api.github.com", mode: EgressMode.Tls },
        ]);
        for (const o of objects) {
            assert.deepStrictEqual(await schemaErrors(o), [], `${o.kind}/${o.metadata.name}`);
        }
    });
});

describe("docs equivalence: HTTP (01-egress-http, gateway hop as 07 A)", function () {
    it("external facets equal doc 01: host, port 80 HTTP, DNS, MESH_EXTERNAL, leg 1 mesh:80 → gateway subset, leg 2 → host:80", function () {
        needReference(this);
        const docs = facetsOf(reference("01").objects, CNN);
        const { facets } = oursFor(SCENARIOS.http);
        assert.deepStrictEqual(meshMatch(only(facets.meshLegs, "mesh leg")), meshMatch(only(docs.meshLegs, "docs mesh leg")));
        const og = only(facets.gatewayLegs, "gateway leg");
        const dg = only(docs.gatewayLegs, "docs gateway leg");
        assert.deepStrictEqual(og.destination, dg.destination);
        assert.deepStrictEqual({ route: og.route, port: og.port }, { route: dg.route, port: dg.port });
        assert.strictEqual(og.origination, undefined);
        assert.strictEqual(dg.origination, undefined);
        assert.strictEqual(facets.entry!.resolution, docs.entry!.resolution);
        assert.strictEqual(facets.entry!.location, docs.entry!.location);
        assert.deepStrictEqual(facets.entry!.ports, routedPorts(docs, docs.entry!.ports));
    });

    it("DIFFERS deliberately from 01: our ServiceEntry declares only the ports the gateway routes (01 adds an unrouted 443)", function () {
        needReference(this);
        const docs = facetsOf(reference("01").objects, CNN);
        const { facets } = oursFor(SCENARIOS.http);
        // 01's 443 HTTPS port is there for a later step of the task; nothing routes it through the gateway, so a
        // sidecar would send it straight out. We never declare a port that does not go through the gateway.
        assert.deepStrictEqual(docs.entry!.ports, [
            { number: 80, protocol: "HTTP" },
            { number: 443, protocol: "HTTPS" },
        ]);
        assert.ok(!docs.meshLegs.some((l) => l.port === 443), "01 routes nothing on 443");
        assert.deepStrictEqual(facets.entry!.ports, [{ number: 80, protocol: "HTTP" }]);
    });

    it("DIFFERS deliberately from 01 (issue: sidecar → gateway over ISTIO_MUTUAL): the gateway hop equals 07 A's", function () {
        needReference(this);
        const doc01 = facetsOf(reference("01").objects, CNN);
        const doc07a = facetsOf(section("07", "A"), CNN);
        const { facets, plan } = oursFor(SCENARIOS.http);
        // 01: plain HTTP server, no TLS on the hop.
        assert.deepStrictEqual(gatewayHop(doc01).servers, [{ port: 80, protocol: "HTTP" }]);
        assert.strictEqual(gatewayHop(doc01).tls, undefined);
        // Ours: the HTTP-over-Istio-mTLS hop of 07 A (HTTPS server, ISTIO_MUTUAL, subset SNI = the host).
        assert.deepStrictEqual(gatewayHop(facets), gatewayHop(doc07a));
        assert.deepStrictEqual(gatewayHop(facets).tls, { mode: "ISTIO_MUTUAL", sni: CNN });
        assert.strictEqual(gatewayHop(facets).meshDestinationPort, plan.gateway.httpPort.port);
    });
});

describe("docs equivalence: TLS_ORIGINATION (07 A, ServiceEntry of 01)", function () {
    it("leg 1, the gateway hop and leg 2 equal 07 A", function () {
        needReference(this);
        const docs = facetsOf(section("07", "A"), CNN);
        const { facets } = oursFor(SCENARIOS.tlsOrigination);
        assert.deepStrictEqual(facets.meshLegs, docs.meshLegs);
        const og = only(facets.gatewayLegs, "gateway leg");
        const dg = only(docs.gatewayLegs, "docs gateway leg");
        assert.deepStrictEqual(
            { route: og.route, port: og.port, servers: og.servers, landing: landing(og), unresolved: og.unresolvedGateways },
            { route: dg.route, port: dg.port, servers: dg.servers, landing: landing(dg), unresolved: dg.unresolvedGateways },
        );
        assert.deepStrictEqual(landing(dg), { host: CNN, endpointPort: 443 }, "07 A switches the port 80 → 443");
    });

    it("DIFFERS deliberately from 01/07 A: the ServiceEntry declares only the app's port 80, mapped to 443 (targetPort)", function () {
        needReference(this);
        const doc01 = facetsOf(reference("01").objects, CNN);
        assert.strictEqual(facetsOf(section("07", "A"), CNN).entry, undefined, "07 A does not repeat the ServiceEntry");
        const { facets } = oursFor(SCENARIOS.tlsOrigination);
        // The docs declare 80 HTTP + 443 HTTPS mesh-wide; no mesh route covers 443, so a sidecar would pass the
        // app's own TLS on 443 straight to the host, skipping the gateway. We declare what the mesh leg routes.
        assert.deepStrictEqual(doc01.entry!.ports, [
            { number: 80, protocol: "HTTP" },
            { number: 443, protocol: "HTTPS" },
        ]);
        assert.deepStrictEqual(facets.entry, { ...doc01.entry, ports: [{ number: 80, protocol: "HTTP", targetPort: 443 }] });
    });

    it("the origination DestinationRule: mode SIMPLE, TLS originated to the host's port 443 as 07 A", function () {
        needReference(this);
        const docs = only(facetsOf(section("07", "A"), CNN).gatewayLegs, "docs gateway leg");
        const og = only(oursFor(SCENARIOS.tlsOrigination).facets.gatewayLegs, "gateway leg");
        assert.deepStrictEqual(originationCore(og), originationCore(docs));
        assert.deepStrictEqual(originationCore(og), { mode: "SIMPLE", credentialName: undefined, endpointPort: 443 });
    });

    it("DIFFERS deliberately from 07 A: we also set sni, subjectAltNames and insecureSkipVerify: false (security best practices)", function () {
        needReference(this);
        const docs = only(facetsOf(section("07", "A"), CNN).gatewayLegs, "docs gateway leg").origination!;
        const o = only(oursFor(SCENARIOS.tlsOrigination).facets.gatewayLegs, "gateway leg").origination!;
        assert.deepStrictEqual([docs.sni, docs.subjectAltNames, docs.insecureSkipVerify], [undefined, undefined, undefined]);
        assert.deepStrictEqual([o.sni, o.subjectAltNames, o.insecureSkipVerify], [CNN, [CNN], false]);
        assert.strictEqual(o.caCertificates, undefined, "system CAs by default");
    });
});

describe("docs equivalence: MUTUAL_TLS_ORIGINATION (07 B)", function () {
    it("external facets equal 07 B: leg 1 mesh:80 → gateway subset over ISTIO_MUTUAL with the host's SNI, leg 2 → host:443", function () {
        needReference(this);
        const docs = facetsOf(section("07", "B"), NGINX);
        const { facets } = oursFor(SCENARIOS.mutualTlsOrigination);
        const om = only(facets.meshLegs, "mesh leg");
        const dm = only(docs.meshLegs, "docs mesh leg");
        assert.deepStrictEqual(meshMatch(om), meshMatch(dm));
        assert.deepStrictEqual(om.tls, dm.tls);
        assert.deepStrictEqual(om.tls, { mode: "ISTIO_MUTUAL", sni: NGINX });
        const og = only(facets.gatewayLegs, "gateway leg");
        const dg = only(docs.gatewayLegs, "docs gateway leg");
        assert.deepStrictEqual(landing(og), landing(dg));
        assert.deepStrictEqual(landing(og), { host: NGINX, endpointPort: 443 });
        assert.strictEqual(og.route, dg.route);
        assert.deepStrictEqual(
            og.servers.map((s) => [s.protocol, s.tlsMode]),
            dg.servers.map((s) => [s.protocol, s.tlsMode]),
        );
    });

    it("the origination DestinationRule: MUTUAL, credentialName client-credential, sni, port 443 as 07 B", function () {
        needReference(this);
        const dg = only(facetsOf(section("07", "B"), NGINX).gatewayLegs, "docs gateway leg");
        const og = only(oursFor(SCENARIOS.mutualTlsOrigination).facets.gatewayLegs, "gateway leg");
        assert.deepStrictEqual(originationCore(og), originationCore(dg));
        assert.deepStrictEqual(originationCore(og), { mode: "MUTUAL", credentialName: "client-credential", endpointPort: 443 });
        assert.strictEqual(og.origination!.sni, dg.origination!.sni);
        // 07 B leaves subjectAltNames commented out; we verify the host's name and never skip verification.
        assert.strictEqual(dg.origination!.subjectAltNames, undefined);
        assert.deepStrictEqual([og.origination!.subjectAltNames, og.origination!.insecureSkipVerify], [[NGINX], false]);
    });

    it("DIFFERS deliberately from 07 B: the gateway hop uses the gateway's HTTP port 80 (07 B uses 443) — gateway-internal", function () {
        needReference(this);
        const docs = gatewayHop(facetsOf(section("07", "B"), NGINX));
        const { facets, plan } = oursFor(SCENARIOS.mutualTlsOrigination);
        const mine = gatewayHop(facets);
        assert.deepStrictEqual([docs.meshDestinationPort, docs.gatewayMatchPort, docs.servers.map((s) => s.port)], [443, 443, [443]]);
        const http = plan.gateway.httpPort.port;
        assert.deepStrictEqual([mine.meshDestinationPort, mine.gatewayMatchPort, mine.servers.map((s) => s.port)], [http, http, [http]]);
        assert.strictEqual(http, 80);
        // Apart from the port number, the hop is the same.
        const strip = (h: ReturnType<typeof gatewayHop>) => ({
            ...h,
            meshDestinationPort: 0,
            gatewayMatchPort: 0,
            servers: h.servers.map((s) => ({ ...s, port: 0 })),
        });
        assert.deepStrictEqual(strip(mine), strip(docs));
    });

    it("DIFFERS deliberately from 07 B: we declare the host in a ServiceEntry (07 B's target is an in-cluster Service)", function () {
        needReference(this);
        assert.strictEqual(facetsOf(section("07", "B"), NGINX).entry, undefined);
        const { facets } = oursFor(SCENARIOS.mutualTlsOrigination);
        assert.deepStrictEqual(facets.entry, {
            ports: [{ number: 80, protocol: "HTTP", targetPort: 443 }],
            resolution: "DNS",
            location: "MESH_EXTERNAL",
        });
        // ... the same entry as TLS origination's.
        assert.deepStrictEqual(facets.entry, oursFor(SCENARIOS.tlsOrigination).facets.entry);
    });
});

describe("docs equivalence: TLS, the app speaks TLS (external facets of 03, gateway hop of 06)", function () {
    it("external facets equal 03: host, 443 TLS, DNS, MESH_EXTERNAL, leg 1 tls mesh:443 sniHosts → gateway subset:443, leg 2 → host:443", function () {
        needReference(this);
        const docs = facetsOf(reference("03").objects, CNN);
        const { facets } = oursFor(SCENARIOS.tls);
        assert.deepStrictEqual(facets.entry, docs.entry);
        const om = only(facets.meshLegs, "mesh leg");
        const dm = only(docs.meshLegs, "docs mesh leg");
        assert.deepStrictEqual({ ...meshMatch(om), destinationPort: om.destinationPort }, { ...meshMatch(dm), destinationPort: dm.destinationPort });
        assert.deepStrictEqual(meshMatch(om).sniHosts, [CNN]);
        const og = only(facets.gatewayLegs, "gateway leg");
        const dg = only(docs.gatewayLegs, "docs gateway leg");
        assert.deepStrictEqual(gatewayDestination(og), gatewayDestination(dg));
        assert.strictEqual(og.port, dg.port);
        assert.strictEqual(og.origination, undefined, "no origination: the app's TLS goes through untouched");
        assert.strictEqual(dg.origination, undefined);
    });

    it("DIFFERS deliberately from 03 (PASSTHROUGH): the app's TLS is wrapped in ISTIO_MUTUAL, a TLS server per host, a tcp leg 2", function () {
        needReference(this);
        const docs = facetsOf(reference("03").objects, CNN);
        const { facets } = oursFor(SCENARIOS.tls);
        assert.deepStrictEqual(gatewayHop(docs).servers, [{ port: 443, protocol: "TLS", tlsMode: "PASSTHROUGH" }]);
        assert.strictEqual(gatewayHop(docs).tls, undefined, "03: the hop is the app's own TLS, the gateway sees no identity");
        assert.deepStrictEqual(only(docs.gatewayLegs, "docs gateway leg").sniHosts, [CNN]);
        assert.strictEqual(gatewayHop(docs).gatewayRoute, "tls");

        assert.deepStrictEqual(gatewayHop(facets).servers, [{ port: 443, protocol: "TLS", tlsMode: "ISTIO_MUTUAL" }]);
        assert.deepStrictEqual(gatewayHop(facets).tls, { mode: "ISTIO_MUTUAL", sni: CNN });
        assert.strictEqual(gatewayHop(facets).gatewayRoute, "tcp");
        assert.strictEqual(only(facets.gatewayLegs, "gateway leg").sniHosts, undefined);
    });

    it("the gateway hop equals 06 (blog 2023): TLS server with ISTIO_MUTUAL, ISTIO_MUTUAL subset, tcp leg 2 on the server's port", function () {
        needReference(this);
        const docs = facetsOf(reference("06").objects, WIKI);
        const { facets } = oursFor(SCENARIOS.tls);
        const d = gatewayHop(docs);
        const m = gatewayHop(facets);
        assert.deepStrictEqual(
            m.servers.map((s) => [s.protocol, s.tlsMode]),
            d.servers.map((s) => [s.protocol, s.tlsMode]),
        );
        assert.deepStrictEqual(
            m.servers.map((s) => [s.protocol, s.tlsMode]),
            [["TLS", "ISTIO_MUTUAL"]],
        );
        assert.strictEqual(m.tls!.mode, d.tls!.mode);
        assert.strictEqual(m.gatewayRoute, d.gatewayRoute);
        const dm = only(docs.meshLegs, "docs mesh leg");
        const om = only(facets.meshLegs, "mesh leg");
        assert.deepStrictEqual([om.subset, om.subsetDefined, om.toGatewayService], [dm.subset, dm.subsetDefined, dm.toGatewayService]);
        // On both sides leg 2 matches the port of the server that carries the host (06: 8443 behind a 443→8443 Service).
        assert.deepStrictEqual(
            d.servers.map((s) => s.port),
            [d.gatewayMatchPort],
        );
        assert.deepStrictEqual(
            m.servers.map((s) => s.port),
            [m.gatewayMatchPort],
        );
    });

    it("DIFFERS deliberately from 06: we set the outer SNI on the subset and forward to the host (06 has a dummy destination and an EnvoyFilter)", function () {
        needReference(this);
        const docs = facetsOf(reference("06").objects, WIKI);
        const { facets } = oursFor(SCENARIOS.tls);
        assert.deepStrictEqual(gatewayHop(docs).tls, { mode: "ISTIO_MUTUAL" });
        assert.deepStrictEqual(gatewayHop(facets).tls, { mode: "ISTIO_MUTUAL", sni: CNN });
        assert.deepStrictEqual(only(docs.gatewayLegs, "docs gateway leg").destination, { host: "dummy.local" });
        assert.deepStrictEqual(only(facets.gatewayLegs, "gateway leg").destination, { host: CNN, port: 443, endpointPort: 443 });
    });
});

describe("docs equivalence: wildcard *.wikipedia.org (08 B via the gateway, 08 A's and 06's wildcard entry)", function () {
    it("the wildcard ServiceEntry equals 06's (443 TLS, resolution NONE, MESH_EXTERNAL)", function () {
        needReference(this);
        const { facets } = oursFor(SCENARIOS.wildcard);
        assert.deepStrictEqual(facets.entry, facetsOf(reference("06").objects, WIKI).entry);
        assert.deepStrictEqual(facets.entry, { ports: [{ number: 443, protocol: "TLS" }], resolution: "NONE", location: "MESH_EXTERNAL" });
    });

    it("DIFFERS deliberately from 08 A/B: ports are protocol TLS where 08 says HTTPS (the app's TLS is opaque to us)", function () {
        needReference(this);
        const docA = facetsOf(section("08", "A"), WIKI).entry!;
        const { facets } = oursFor(SCENARIOS.wildcard);
        const protocolFree = (e: { ports: PortFacet[]; resolution: string; location: string }) => ({ ...e, ports: e.ports.map((p) => p.number) });
        assert.deepStrictEqual(protocolFree(facets.entry!), protocolFree(docA));
        assert.deepStrictEqual(
            docA.ports.map((p) => p.protocol),
            ["HTTPS"],
        );
        assert.deepStrictEqual(
            facets.entry!.ports.map((p) => p.protocol),
            ["TLS"],
        );

        const docB = only(facetsOf(section("08", "B"), WIKI).gatewayLegs, "docs gateway leg").destinationEntry!;
        const upstream = only(facets.gatewayLegs, "gateway leg").destinationEntry!;
        assert.deepStrictEqual(protocolFree(upstream), protocolFree(docB));
        assert.deepStrictEqual([docB.ports[0].protocol, upstream.ports[0].protocol], ["HTTPS", "TLS"]);
    });

    it("leg 1 (tls mesh:443 sniHosts *.wikipedia.org → gateway subset:443) and leg 2 (→ www.wikipedia.org:443, DNS) equal 08 B", function () {
        needReference(this);
        const docs = facetsOf(section("08", "B"), WIKI);
        const { facets } = oursFor(SCENARIOS.wildcard);
        const om = only(facets.meshLegs, "mesh leg");
        const dm = only(docs.meshLegs, "docs mesh leg");
        assert.deepStrictEqual({ ...meshMatch(om), destinationPort: om.destinationPort }, { ...meshMatch(dm), destinationPort: dm.destinationPort });
        assert.deepStrictEqual(om.sniHosts, [WIKI]);
        const og = only(facets.gatewayLegs, "gateway leg");
        const dg = only(docs.gatewayLegs, "docs gateway leg");
        assert.deepStrictEqual([og.port, og.destination], [dg.port, dg.destination]);
        assert.deepStrictEqual(og.destination, { host: WIKI_UPSTREAM, port: 443, endpointPort: 443 });
        assert.deepStrictEqual(
            [og.destinationEntry!.resolution, og.destinationEntry!.location],
            [dg.destinationEntry!.resolution, dg.destinationEntry!.location],
        );
        assert.strictEqual(og.destinationEntry!.resolution, "DNS");
    });

    it("DIFFERS deliberately from 08 B (PASSTHROUGH): the gateway hop is 06's ISTIO_MUTUAL wrap, with the upstream as outer SNI", function () {
        needReference(this);
        const docB = gatewayHop(facetsOf(section("08", "B"), WIKI));
        const doc06 = gatewayHop(facetsOf(reference("06").objects, WIKI));
        const mine = gatewayHop(oursFor(SCENARIOS.wildcard).facets);
        assert.deepStrictEqual(
            docB.servers.map((s) => s.tlsMode),
            ["PASSTHROUGH"],
        );
        assert.strictEqual(docB.tls, undefined);
        assert.deepStrictEqual(
            mine.servers.map((s) => [s.protocol, s.tlsMode]),
            doc06.servers.map((s) => [s.protocol, s.tlsMode]),
        );
        assert.strictEqual(mine.gatewayRoute, doc06.gatewayRoute);
        assert.deepStrictEqual(mine.tls, { mode: "ISTIO_MUTUAL", sni: WIKI_UPSTREAM });
    });
});

describe("docs equivalence: all modes in one plan", function () {
    it("each host keeps the facets of its single-host scenario, in any order", function () {
        const hosts = [
            SCENARIOS.tlsOrigination,
            SCENARIOS.mutualTlsOrigination,
            SCENARIOS.wildcard,
            { host: "api.github.com", mode: EgressMode.Tls },
            { host: "httpbin.org", mode: EgressMode.Http },
        ];
        const together = extractFacets(ours(hosts).objects);
        const reversed = extractFacets(ours([...hosts].reverse()).objects);
        for (const h of hosts) {
            const alone = facetsOf(ours([h]).objects, h.host);
            assert.deepStrictEqual(together.get(h.host), alone, h.host);
            assert.deepStrictEqual(reversed.get(h.host), alone, h.host);
        }
    });
});
