/**
 * The policy pack, loaded on demand: `istio-egress check` and `render` run the `istio-egress-guard` package's
 * policies (an optional peer dependency of the component library, so that @pulumi/policy is not a runtime
 * dependency of programs that only use the component).
 */
import type * as Guard from "istio-egress-guard/lib";
import { errorCode, shown } from "../model/read.js";

export type GuardModule = typeof Guard;

/** Thrown when the pack is not installed; the message says how to install it. */
export class GuardMissingError extends Error {}

let cached: GuardModule | undefined;

export function loadGuard(): GuardModule {
    if (cached) return cached;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack is an optional peer: loaded on first use, so that a missing package is a clear message, not a crash at startup
        cached = require("istio-egress-guard/lib") as GuardModule;
    } catch (e: unknown) {
        if (errorCode(e) === "MODULE_NOT_FOUND" && shown((e as { message?: unknown }).message).includes("istio-egress-guard")) {
            throw new GuardMissingError("the policy pack is not installed: npm install istio-egress-guard (same version as istio-egress)");
        }
        throw e;
    }
    return cached;
}
