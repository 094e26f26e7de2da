/**
 * The lock-down's options beyond the protected namespaces and extra CIDRs (pure, part of the plan): the gateway's
 * access-log provider, and the cluster services a locked-down cluster needs to reach (issue 11, items 6 and 7).
 * Each check names the field and the rule; `planLockdown` (sdk/plan/index.ts) calls them.
 */
import type { Checker } from "./index";
import { BUILTIN_ENVOY_PROVIDER } from "../model";

/** An extension provider's name, as the Telemetry names it (Istio matches it case-insensitively). */
const PROVIDER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The access-log provider of the gateway's Telemetry. */
export function planAccessLogProvider(c: Checker, args: { accessLogs?: boolean; accessLogProvider?: string }, at: (f: string) => string): string {
    const provider = args.accessLogProvider;
    if (provider === undefined) return BUILTIN_ENVOY_PROVIDER;
    if (!PROVIDER_NAME.test(provider)) {
        c.fail(at("accessLogProvider"), `must be the name of an extension provider of istiod's mesh config (letters, digits, '-', '_', '.'); got ${JSON.stringify(provider)}`);
    }
    if (args.accessLogs === false) {
        c.fail(at("accessLogProvider"), "names a provider while accessLogs is false: turn access logs on, or drop the provider");
    }
    return provider;
}
