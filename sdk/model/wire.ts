/**
 * Constants of Pulumi's wire protocol that the mock engine, the analyzer harness and render have to agree on.
 * Sources: @pulumi/pulumi `runtime/rpc.ts` (`unknownValue`, `specialSigKey`, `specialSecretSig`) and
 * @pulumi/policy `proxy.ts` (the per-type unknown sentinels the analyzer puts in props during preview).
 */

/** The value the engine sends for an output not known during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key of a special (signature-tagged) value on the wire. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The signature of a secret value. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A secret in the wire format (`{[SIG_KEY]: SECRET_SIG, value}`), as the engine hands inputs and outputs back. */
export function isWireSecret(v: unknown): v is { value: unknown } {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG && "value" in v;
}

/** Every "unknown during preview" sentinel the policy analyzer may put in props (one per value type). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    UNKNOWN_VALUE,
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

export function isUnknownSentinel(v: unknown): boolean {
    return typeof v === "string" && UNKNOWN_SENTINELS.has(v);
}
