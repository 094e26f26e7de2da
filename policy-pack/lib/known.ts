/**
 * Reading props without the analyzer's unknown-checking proxy when nothing in them is unknown.
 *
 * @pulumi/policy hands a policy its props wrapped in `unknownCheckingProxy`: every property read allocates the path
 * so far and a new Proxy for a nested object, and throws `UnknownValueError` if the value read is one of the
 * engine's "unknown during preview" sentinels. Profiling the pack on a 10,000-resource stack showed these reads as
 * its largest single cost outside the rules themselves (docs/performance.md, "Pack: what was fixed").
 *
 * A read through the proxy can only throw if the value it returns is a sentinel, and every value a rule can reach is
 * an own property of some object in the props tree. So when one walk of the underlying object (plain objects and
 * arrays only: anything else counts as possibly unknown) finds no sentinel anywhere, the proxy would never throw for this resource, and reading the plain object gives the same values (the
 * rules never compare props objects by identity). When any sentinel is present, the proxy is kept, so a rule throws
 * exactly where it did before, with the same path in the message, and only if it reads the unknown value.
 *
 * The proxy's target is reached through the key @pulumi/policy itself uses to serialise proxied props
 * (`getSpecialProxyTarget` in its `proxy.js`). If that module or key is not there (another @pulumi/policy version),
 * the props are used as given: always correct, only slower.
 */

interface ProxyInternals {
    isSpecialProxy?: unknown;
    getSpecialProxyTarget?: unknown;
    [k: string]: unknown;
}

function loadInternals(): { isProxy: string; target: string; sentinels: Set<string> } | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of @pulumi/policy, loaded only if present (any failure: no unwrapping)
        const m = require("@pulumi/policy/proxy") as ProxyInternals;
        const sentinels = new Set(
            [
                "unknownBooleanValue",
                "unknownNumberValue",
                "unknownStringValue",
                "unknownArrayValue",
                "unknownAssetValue",
                "unknownArchiveValue",
                "unknownObjectValue",
            ]
                .map((k) => m[k])
                .filter((v): v is string => typeof v === "string"),
        );
        if (typeof m.isSpecialProxy !== "string" || typeof m.getSpecialProxyTarget !== "string" || sentinels.size !== 7) return undefined;
        return { isProxy: m.isSpecialProxy, target: m.getSpecialProxyTarget, sentinels };
    } catch {
        return undefined;
    }
}

const INTERNALS = loadInternals();
const SENTINEL_LENGTHS = new Set([...(INTERNALS?.sentinels ?? [])].map((s) => s.length));
/** Deeper than any Kubernetes object; past it the walk gives up and the proxy is kept. */
const MAX_DEPTH = 64;

function hasUnknown(v: unknown, depth: number): boolean {
    if (typeof v === "string") return SENTINEL_LENGTHS.has(v.length) && INTERNALS!.sentinels.has(v);
    if (v === null || typeof v !== "object") return false;
    if (depth > MAX_DEPTH) return true;
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (hasUnknown(v[i], depth + 1)) return true;
        return false;
    }
    // Anything but a plain object (an asset, a class instance) may hold values a walk of its enumerable keys misses.
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return true;
    for (const k in v as Record<string, unknown>) {
        if (hasUnknown((v as Record<string, unknown>)[k], depth + 1)) return true;
    }
    return false;
}

/**
 * `props` itself when it is not the analyzer's proxy (plain objects in tests, `istio-egress check`); the proxy's
 * plain target when nothing in it is unknown; otherwise the proxy, so reading an unknown value still throws.
 */
export function knownProps<T>(props: T): T {
    if (INTERNALS === undefined || props === null || typeof props !== "object") return props;
    const p = props as Record<string, unknown>;
    if (p[INTERNALS.isProxy] !== true) return props;
    const target = p[INTERNALS.target];
    if (target === null || typeof target !== "object") return props;
    return hasUnknown(target, 0) ? props : (target as T);
}

/** Whether `knownProps` can see through this @pulumi/policy's proxy (for tests and the performance notes). */
export const canUnwrapProxy = INTERNALS !== undefined;
