/**
 * What the pack recognises as Istio's own containers: the ones the sidecar injector (or the istio/gateway chart)
 * writes, in the shape it writes them. Only those are exempt from the privilege and proxy-identity rules.
 *
 * A container is Istio's when ALL of these hold (anything else is an ordinary container):
 * - its name and place: `istio-init` / `istio-validation` in `initContainers` (not restartable), `istio-proxy` in
 *   `containers`, or in `initContainers` with `restartPolicy: Always` (a native sidecar); never an ephemeral one;
 * - its image: `auto` or absent (the injector fills it: `pkg/kube/inject/webhook.go` merges a declared container of
 *   the same name with the injected one, the declared fields winning), or one of `trustedProxyImages` compared as
 *   `registry/repository` after Docker's normalisation (`istio/proxyv2:1.29` is `docker.io/istio/proxyv2`). An
 *   attacker would have to push an image to one of those repositories;
 * - no `command` (the image's entrypoint is pilot-agent; a command runs anything with the container's privileges);
 * - `args` absent (the injector supplies them) or of the injector's shape
 *   (`manifests/charts/istio-control/istio-discovery/files/injection-template.yaml`): `proxy sidecar|router ...`
 *   with pilot-agent's harmless flags only (`pilot/cmd/pilot-agent/app/cmd.go`; not `--templateFile`,
 *   `--meshConfig`, `--tokenManagerPlugin`), and `istio-iptables ...` that captures everything and excludes nothing
 *   (`tools/istio-iptables/pkg/cmd/root.go`: `-u`/`-g` the proxy's 1337, `-p 15001`, `-z 15006`, `-m`
 *   REDIRECT/TPROXY, `-i *`, `-x`/`-o`/`-q`/`-c`/`-k` empty; inbound flags `-b`/`-d` are free);
 * - no environment that changes that: `envFrom`, istio-iptables' flag variables on istio-init/istio-validation
 *   (`pkg/flag.BindEnv` reads `ISTIO_SERVICE_EXCLUDE_CIDR`, ...), a custom bootstrap (`ISTIO_BOOTSTRAP`,
 *   `ISTIO_BOOTSTRAP_OVERRIDE`) or a `PROXY_CONFIG` that replaces the binary, the bootstrap or the control plane on
 *   istio-proxy;
 * - for istio-proxy, hooks and probes that exec nothing but `pilot-agent`.
 */
import { ContainerRef, imageName, listAt, recordAt, shown, valueAt } from "../../sdk/model";
import { parse as parseYaml } from "yaml";

export type IstioRole = "init" | "validation" | "proxy";

/** Istio's official proxy images (docker.io/istio, gcr.io/istio-release) and hardened builds by their publishers. */
export const DEFAULT_TRUSTED_PROXY_IMAGES = [
    "docker.io/istio/proxyv2",
    "docker.io/istio/proxyv2-distroless",
    "gcr.io/istio-release/proxyv2",
    "gcr.io/istio-release/proxyv2-distroless",
    // Iron Bank (DoD) builds of Istio's proxy; Chainguard's builds (cgr.dev: only Chainguard builds images there).
    "registry1.dso.mil/ironbank/opensource/istio/proxyv2",
    "registry1.dso.mil/ironbank/tetrate/istio/proxyv2",
    "cgr.dev/chainguard/istio-proxy",
    "cgr.dev/defenseunicorns.com/istio-proxy-fips",
    // Zarf's in-cluster registry (a NodePort on the node's loopback, written only with Zarf's push credentials), as
    // UDS core trusts it for Istio's proxy.
    "127.0.0.1:31999/istio/proxyv2",
];

/** Is this image one the injector fills in, or a trusted proxy image? */
export function isTrustedProxyImage(image: unknown, trusted: readonly string[]): boolean {
    if (image === undefined || image === null || image === "auto") return true;
    const name = imageName(image);
    if (name === undefined) return false;
    return trusted.some((t) => (imageName(t) ?? t) === name);
}

// istio-iptables: flags whose value must be exactly Istio's, flags that must be empty, flags that are free.
const IPTABLES_EXACT: Record<string, (v: string) => boolean> = {
    "envoy-port": (v) => v === "15001",
    "inbound-capture-port": (v) => v === "15006",
    "proxy-uid": (v) => v === "1337",
    "proxy-gid": (v) => v === "1337",
    "istio-inbound-interception-mode": (v) => v === "REDIRECT" || v === "TPROXY",
    "istio-service-cidr": (v) => v.trim() === "*",
    "istio-service-exclude-cidr": (v) => v.trim() === "",
    "istio-outbound-ports": (v) => v.trim() === "",
    "istio-local-outbound-ports-exclude": (v) => v.trim() === "",
    "istio-exclude-interfaces": (v) => v.trim() === "",
    "kube-virt-interfaces": (v) => v.trim() === "",
    "istio-inbound-ports": () => true,
    "istio-local-exclude-ports": () => true,
    log_output_level: () => true,
};
const IPTABLES_SHORT: Record<string, string> = {
    p: "envoy-port",
    z: "inbound-capture-port",
    u: "proxy-uid",
    g: "proxy-gid",
    m: "istio-inbound-interception-mode",
    i: "istio-service-cidr",
    x: "istio-service-exclude-cidr",
    q: "istio-outbound-ports",
    o: "istio-local-outbound-ports-exclude",
    c: "istio-exclude-interfaces",
    k: "kube-virt-interfaces",
    b: "istio-inbound-ports",
    d: "istio-local-exclude-ports",
};
const IPTABLES_SWITCHES = new Set([
    "log_as_json",
    "run-validation",
    "skip-rule-apply",
    "force-apply",
    "native-nftables",
    "redirect-dns",
    "capture-all-dns",
    "drop-invalid",
    "dual-stack",
]);
/** Every istio-iptables flag's environment variable (pkg/flag.BindEnv: upper case, `-` → `_`). */
const IPTABLES_ENV = new Set(
    [
        ...Object.keys(IPTABLES_EXACT),
        ...IPTABLES_SWITCHES,
        "inbound-tunnel-port",
        "istio-inbound-tproxy-mark",
        "istio-inbound-tproxy-route-table",
        "dry-run",
        "iptables-probe-port",
        "probe-timeout",
        "network-namespace",
        "cni-mode",
        "reconcile",
        "cleanup-only",
        "force-iptables-binary",
        "iptables-trace-logging",
    ]
        .map((f) => f.toUpperCase().replace(/[-.]/g, "_"))
        .concat(["ISTIO_META_DNS_CAPTURE", "INVALID_DROP", "ISTIO_DUAL_STACK"]),
);

/** Splits `--flag=value` / `--flag value` / `-f value` args; undefined when an arg is not a flag. */
function flags(args: string[], takesValue: (name: string) => boolean | undefined): { name: string; value: string | undefined }[] | undefined {
    const out: { name: string; value: string | undefined }[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const m = /^--?([A-Za-z0-9_.-]+)(?:=(.*))?$/s.exec(a);
        if (!m) return undefined;
        const name = m[1];
        const tv = takesValue(name);
        if (tv === undefined) return undefined;
        if (m[2] !== undefined) out.push({ name, value: m[2] });
        else if (tv) {
            if (i + 1 >= args.length) return undefined;
            out.push({ name, value: args[++i] });
        } else out.push({ name, value: undefined });
    }
    return out;
}

function iptablesArgsOk(args: string[]): boolean {
    if (args[0] !== "istio-iptables") return false;
    const parsed = flags(args.slice(1), (n) => {
        const long = n.length === 1 ? IPTABLES_SHORT[n] : n;
        if (long !== undefined && long in IPTABLES_EXACT) return true;
        if (IPTABLES_SWITCHES.has(n)) return false;
        return undefined;
    });
    if (!parsed) return false;
    for (const f of parsed) {
        const long = f.name.length === 1 ? IPTABLES_SHORT[f.name] : f.name;
        if (IPTABLES_SWITCHES.has(f.name)) {
            if (f.value !== undefined && f.value !== "true" && f.value !== "false") return false;
            continue;
        }
        if (f.value === undefined || !IPTABLES_EXACT[long](f.value)) return false;
    }
    return true;
}

const AGENT_VALUE_FLAGS = new Set([
    "domain",
    "proxyLogLevel",
    "proxyComponentLogLevel",
    "log_output_level",
    "stsPort",
    "outlierLogPath",
    "serviceCluster",
    "concurrency",
]);
const AGENT_SWITCHES = new Set(["log_as_json", "profiling"]);
export const PROXY_MODES = new Set(["sidecar", "router"]);

function proxyArgsOk(args: string[], modes: ReadonlySet<string>): boolean {
    if (args[0] !== "proxy" || !modes.has(args[1])) return false;
    const parsed = flags(args.slice(2), (n) => (AGENT_VALUE_FLAGS.has(n) ? true : AGENT_SWITCHES.has(n) ? false : undefined));
    return parsed !== undefined;
}

/**
 * DNS proxying's switches: they make the sidecar capture more (DNS too), never less, and Istio's docs set them
 * through proxyMetadata (istio.io "DNS Proxying"), so they are not capture exclusions.
 */
const DNS_CAPTURE_ENV: ReadonlySet<string> = new Set(["ISTIO_META_DNS_CAPTURE", "ISTIO_META_DNS_AUTO_ALLOCATE"]);

/** The env names istio-iptables reads for flags whose value istio-iptables' own shape pins (IPTABLES_EXACT). */
const IPTABLES_EXACT_ENV: ReadonlyMap<string, (v: string) => boolean> = new Map(
    Object.entries(IPTABLES_EXACT).map(([f, ok]) => [f.toUpperCase().replace(/[-.]/g, "_"), ok]),
);

/**
 * Problems with a proxyMetadata map (a ProxyConfig's `proxyMetadata`, a ProxyConfig resource's
 * `environmentVariables`). The injector copies every entry into the environment of istio-init / istio-validation
 * and of istio-proxy (istio-discovery chart `files/injection-template.yaml`: `range .ProxyConfig.ProxyMetadata`
 * under both), where istio-iptables takes a flag from its variable whenever the template does not pass the flag
 * (pkg/flag/flag.go `BindEnv`; the template passes `-c`, `-k`, `-o`, `-q` only with their annotations), so
 * `ISTIO_EXCLUDE_INTERFACES: eth0` there takes the pod's traffic around the sidecar without an annotation on the
 * pod. Flagged: every istio-iptables variable except DNS capture and a flag set to the value the proxy's shape pins,
 * a custom bootstrap and a PROXY_CONFIG (pilot-agent's whole configuration); a value that is not a map of strings
 * fails closed.
 */
export function proxyMetadataProblems(meta: unknown, where: string): string[] {
    if (meta === undefined || meta === null) return [];
    if (typeof meta !== "object" || Array.isArray(meta)) return [`${where} is not a map of variables`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(meta)) {
        if (typeof v !== "string") out.push(`${where}.${k} is not a string`);
        else if (DNS_CAPTURE_ENV.has(k)) continue;
        else if (IPTABLES_EXACT_ENV.has(k)) {
            if (!IPTABLES_EXACT_ENV.get(k)?.(v)) out.push(`${where}.${k} changes istio-iptables' capture`);
        } else if (IPTABLES_ENV.has(k)) out.push(`${where}.${k} changes istio-iptables' capture`);
        else if (k === "ISTIO_BOOTSTRAP" || k === "ISTIO_BOOTSTRAP_OVERRIDE") out.push(`${where}.${k} replaces the proxy's bootstrap`);
        else if (k === "PROXY_CONFIG") out.push(`${where}.${k} replaces pilot-agent's configuration`);
    }
    return out;
}

/** ProxyConfig fields that replace what runs as the proxy, where it gets its config, or how it captures. */
export function proxyConfigProblems(config: unknown): string[] {
    let parsed: unknown = config;
    if (typeof config === "string") {
        try {
            parsed = parseYaml(config);
        } catch {
            return ["is not valid YAML/JSON"];
        }
    }
    const pc = recordAt(parsed);
    const out: string[] = [];
    for (const k of ["binaryPath", "customConfigFile", "proxyBootstrapTemplatePath", "configPath"]) {
        if (pc[k] !== undefined) out.push(`sets ${k}`);
    }
    if (pc.interceptionMode !== undefined && pc.interceptionMode !== "REDIRECT") out.push(`sets interceptionMode ${JSON.stringify(pc.interceptionMode)}`);
    const da = pc.discoveryAddress;
    if (da !== undefined && (typeof da !== "string" || !/^istiod(-[a-z0-9-]+)?\.istio-system\.svc(\.cluster\.local)?:15012$/.test(da))) {
        out.push(`sets discoveryAddress ${JSON.stringify(pc.discoveryAddress)}`);
    }
    out.push(...proxyMetadataProblems(pc.proxyMetadata, "proxyMetadata"));
    return out;
}

function execOk(handler: unknown): boolean {
    const exec = recordAt(handler).exec;
    if (exec === undefined) return true;
    const cmd = listAt(exec, "command");
    return cmd.length > 0 && cmd[0] === "pilot-agent";
}

/** Why a container named like one of Istio's is not Istio's (undefined when it is, or is not named like one). */
export function istioShapeViolation(ref: ContainerRef, trusted: readonly string[], modes: ReadonlySet<string> = PROXY_MODES): string | undefined {
    const c = recordAt(ref.c);
    const name = c.name;
    let role: IstioRole;
    if (name === "istio-init") role = "init";
    else if (name === "istio-validation") role = "validation";
    else if (name === "istio-proxy") role = "proxy";
    else return undefined;
    const restartable = c.restartPolicy === "Always";
    if (ref.field === "ephemeralContainers") return "an ephemeral container";
    if (role === "proxy" && !(ref.field === "containers" || (ref.field === "initContainers" && restartable)))
        return "an init container that is not a native sidecar (restartPolicy: Always)";
    if (role !== "proxy" && (ref.field !== "initContainers" || restartable)) return "not a (run-to-completion) init container";
    if (!isTrustedProxyImage(c.image, trusted)) return `image ${JSON.stringify(c.image)} is not a trusted proxy image (trustedProxyImages)`;
    if (c.command !== undefined) return "it sets command";
    if (c.args !== undefined) {
        const args = listAt(c.args);
        if (!Array.isArray(c.args) || !args.every((a): a is string => typeof a === "string")) return "its args are not a list of strings";
        if (role === "proxy" ? !proxyArgsOk(args, modes) : !iptablesArgsOk(args)) return `args ${JSON.stringify(args).slice(0, 120)} are not the injector's`;
    }
    if (c.envFrom !== undefined) return "it sets envFrom";
    for (const e of listAt(c.env)) {
        const name = valueAt(e, "name");
        // Not the injector's either: an env name that is not a string (the API server refuses it), whatever it spells.
        if (name !== undefined && name !== null && typeof name !== "string") return `env name ${shown(name)} is not a string`;
        const n = name ?? "";
        if (role !== "proxy" && IPTABLES_ENV.has(n)) return `env ${n} changes istio-iptables`;
        if (role === "proxy" && (n === "ISTIO_BOOTSTRAP" || n === "ISTIO_BOOTSTRAP_OVERRIDE")) return `env ${n} replaces the proxy's bootstrap`;
        if (role === "proxy" && n === "PROXY_CONFIG") {
            if (valueAt(e, "valueFrom") !== undefined) return "env PROXY_CONFIG comes from elsewhere (valueFrom)";
            const p = proxyConfigProblems(valueAt(e, "value") ?? "");
            if (p.length > 0) return `env PROXY_CONFIG ${p.join(", ")}`;
        }
    }
    if (role === "proxy") {
        const lc = recordAt(c.lifecycle);
        if (!execOk(lc.postStart) || !execOk(lc.preStop)) return "a lifecycle hook runs something other than pilot-agent";
        for (const p of ["livenessProbe", "readinessProbe", "startupProbe"]) if (!execOk(c[p])) return `${p} runs something other than pilot-agent`;
    }
    return undefined;
}

/** Is this container one of Istio's own, in Istio's shape (see the module comment)? */
export function isIstioContainer(ref: ContainerRef, trusted: readonly string[] = DEFAULT_TRUSTED_PROXY_IMAGES, modes?: ReadonlySet<string>): boolean {
    const n = valueAt(ref.c, "name");
    if (n !== "istio-init" && n !== "istio-proxy" && n !== "istio-validation") return false;
    return istioShapeViolation(ref, trusted, modes) === undefined;
}
