/**
 * Reading the YAML and JSON files `render` is given (Pulumi.yaml, Pulumi.<stack>.yaml, --policy-config,
 * --stack-reference) so that a hostile or broken file ends in one clear line, never a crash or a hang:
 * - aliases are bounded (`maxAliasCount`: the yaml package counts every alias expansion, so a "billion laughs"
 *   document is refused long before it is expanded) and a recursive alias (`&a [*a]`), which would give a cyclic
 *   object that later code cannot serialise, is refused;
 * - duplicate keys are refused (the yaml package's default), as is a file larger than `MAX_DATA_FILE_BYTES`;
 * - errors name the file and, for YAML, the line, on one line.
 */
import * as fs from "fs";
import { LineCounter, parseDocument } from "yaml";
import { errorCode, errorMessage } from "../model/read";

/** Aliases a data file may expand (the yaml package's own default is 100; config files rarely use any). */
export const MAX_ALIAS_COUNT = 100;
/** The largest data file read (config and stack outputs are small; this only stops a runaway file). */
export const MAX_DATA_FILE_BYTES = 16 * 1024 * 1024;

export class DataFileError extends Error {}

function firstLine(s: string): string {
    return s.split("\n")[0].trim();
}

/** Throws when `value` contains a cycle (only a recursive YAML alias can make one). */
function assertAcyclic(value: unknown, where: string): void {
    const path = new Set<object>();
    const visit = (v: unknown): void => {
        if (v === null || typeof v !== "object") return;
        if (path.has(v)) throw new DataFileError(`${where}: a recursive YAML alias (an anchor used inside itself) is not data`);
        path.add(v);
        for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x);
        path.delete(v);
    };
    visit(value);
}

/**
 * Parses YAML (or JSON, which YAML includes) text. `json: true` parses strict JSON instead (for `.json` files, whose
 * authors expect JSON's rules). Returns plain data (undefined for an empty document).
 */
export function parseData(text: string, where: string, options: { json?: boolean } = {}): unknown {
    if (options.json) {
        try {
            return JSON.parse(text) as unknown;
        } catch (err: unknown) {
            throw new DataFileError(`${where}: not valid JSON: ${firstLine(errorMessage(err))}`);
        }
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
    const problem = doc.errors[0];
    if (problem) {
        const line = problem.linePos?.[0]?.line ?? lineCounter.linePos(problem.pos[0]).line;
        throw new DataFileError(`${where}:${line}: not valid YAML: ${firstLine(problem.message)}`);
    }
    let value: unknown;
    try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err: unknown) {
        throw new DataFileError(`${where}: not valid YAML: ${firstLine(errorMessage(err))} (at most ${MAX_ALIAS_COUNT} alias expansions)`);
    }
    assertAcyclic(value, where);
    return value ?? undefined;
}

/** Reads and parses a data file; `.json` files as strict JSON, anything else as YAML. */
export function readDataFile(file: string): unknown {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch {
        throw new DataFileError(`${file}: no such file`);
    }
    if (!st.isFile()) throw new DataFileError(`${file}: not a file`);
    if (st.size > MAX_DATA_FILE_BYTES) throw new DataFileError(`${file}: larger than ${MAX_DATA_FILE_BYTES} bytes; not a config file`);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err: unknown) {
        throw new DataFileError(`${file}: cannot be read (${errorCode(err) ?? firstLine(errorMessage(err))})`);
    }
    return parseData(text, file, { json: /\.json$/i.test(file) });
}

/** A parsed value that must be a mapping (or absent: an empty file is an empty mapping). */
export function asMapping(value: unknown, where: string): Record<string, unknown> {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
        throw new DataFileError(`${where}: must be a mapping (key: value), got ${Array.isArray(value) ? "a list" : typeof value}`);
    }
    return value as Record<string, unknown>;
}
