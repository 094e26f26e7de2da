/**
 * Config files the CLI is given: `--policy-config FILE` of `render` and `check` (the policy pack's configuration,
 * the format of `pulumi preview --policy-pack-config`, plus the pack's top-level `exemptNamespaces` /
 * `exemptObjects`) and `render --stack-reference NAME=FILE` (another stack's outputs). JSON (`.json`, strict) or
 * YAML (anything else), read by one hardened reader (sdk/render/data.ts: alias bombs, duplicate keys, not a
 * file); errors are one line naming the flag, the file and the rule.
 */
import { asMapping, DataFileError, readDataFile } from "../render/data";
import { loadGuard } from "./guard";

export class ConfigFileError extends Error {}

const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Reads a policy-config file: a mapping from a policy name (or `all`) to an enforcement level, or to a mapping of
 * that policy's settings with an optional `enforcementLevel`. Which policies and settings exist is the pack's to
 * judge (its `reconcileConfig`); this checks the shape, so that a typo'd level is named here.
 */
export function readPolicyConfigFile(file: string, flag = "--policy-config"): Record<string, unknown> {
    // The pack expands its top-level conveniences into each policy's entry (policy-pack/lib/configfile.ts).
    let config: Record<string, unknown>;
    try {
        config = loadGuard().normalizePolicyConfig(readMapping(file, flag), file);
    } catch (err) {
        if (err instanceof Error && err.name === "PolicyConfigError") throw new ConfigFileError(`${flag} ${err.message}`);
        throw err;
    }
    for (const [policy, entry] of Object.entries(config)) {
        const level =
            typeof entry === "string"
                ? entry
                : entry && typeof entry === "object" && !Array.isArray(entry)
                  ? (entry as Record<string, unknown>).enforcementLevel
                  : undefined;
        if (typeof entry !== "string" && (entry === null || typeof entry !== "object" || Array.isArray(entry))) {
            throw new ConfigFileError(`${flag} ${file}: ${policy}: must be an enforcement level (${LEVELS.join(", ")}) or a mapping of the policy's settings`);
        }
        if (level !== undefined && !(typeof level === "string" && LEVELS.includes(level))) {
            throw new ConfigFileError(
                `${flag} ${file}: ${policy}${typeof entry === "string" ? "" : ".enforcementLevel"}: must be one of ${LEVELS.join(", ")}; got ${JSON.stringify(level)}`,
            );
        }
    }
    return config;
}

/** Reads another stack's outputs: a mapping from output name to value. */
export function readStackOutputsFile(file: string, flag = "--stack-reference"): Record<string, unknown> {
    return readMapping(file, flag);
}

function readMapping(file: string, flag: string): Record<string, unknown> {
    try {
        return asMapping(readDataFile(file), file);
    } catch (err) {
        if (err instanceof DataFileError) throw new ConfigFileError(`${flag} ${err.message}`);
        throw err;
    }
}
