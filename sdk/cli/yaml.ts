/**
 * YAML read the way the Kubernetes API server reads it, so that a manifest cannot mean one thing to `check` and
 * another to the cluster.
 *
 * kubectl and the API server convert YAML to JSON with sigs.k8s.io/yaml, which decodes with go.yaml.in/yaml/v2: YAML
 * 1.1 scalars (`yes`/`on`/`y` are booleans, `02471` is octal 1337, `1_000` is 1000, dates are timestamps written as
 * RFC 3339 strings; sexagesimal `1:30` stays a string), merge keys (`<<`), and map keys turned into strings. The
 * `yaml` package's own `yaml-1.1` schema differs in exactly those corners (it resolves sexagesimal numbers, reads
 * `y`/`n` as strings), so documents are parsed with the failsafe schema (every scalar a string, its quoting kept)
 * and each plain scalar is then resolved by `resolvePlainScalar` (sdk/model/yaml11.ts), a port of yaml.v2's
 * resolver. Quoted scalars stay strings; `!!int`/`!!float`/`!!bool`/`!!null` tags are honoured; `!!str` keeps a
 * string.
 */
import { Document, LineCounter, Scalar, isAlias, isScalar, parseAllDocuments, visit } from "yaml";
import { resolvePlainScalar, shown } from "../model";

const TAG = "tag:yaml.org,2002:";

/** A parse problem, with its 1-based line. */
export interface YamlProblem {
    line: number;
    message: string;
}

export interface ParsedDocument {
    /** The document as JSON data, as the API server would decode it. */
    value: unknown;
    /** 1-based line where the document's content starts. */
    line: number;
    /** The comment before the document's first line. */
    comment: string;
}

function resolveTagged(node: Scalar): unknown {
    const tag = String(node.tag);
    const text = shown(node.source ?? node.value ?? "");
    switch (tag) {
        case `${TAG}str`:
            return text;
        case `${TAG}int`:
        case `${TAG}float`: {
            const v = resolvePlainScalar(text);
            if (typeof v !== "number") throw new Error(`cannot decode ${JSON.stringify(text)} as ${tag.slice(TAG.length)}`);
            return v;
        }
        case `${TAG}bool`: {
            const v = resolvePlainScalar(text);
            if (typeof v !== "boolean") throw new Error(`cannot decode ${JSON.stringify(text)} as bool`);
            return v;
        }
        case `${TAG}null`:
            return null;
        default:
            return text;
    }
}

/** Resolves a failsafe-parsed document's scalars as yaml.v2 does; throws with the line of a bad tagged scalar. */
function resolveScalars(doc: Document.Parsed, lineCounter: LineCounter): void {
    visit(doc, {
        Pair(_key, pair) {
            const k: unknown = pair.key;
            if (k !== null && typeof k === "object" && !isScalar(k) && !isAlias(k)) {
                const range = (k as { range?: readonly number[] | null }).range;
                const line = range ? lineCounter.linePos(range[0]).line : 1;
                throw Object.assign(new Error("a mapping key that is itself a mapping or sequence (not valid in Kubernetes YAML)"), { line });
            }
        },
        Scalar(_key, node) {
            if (node.source === "<<" && node.type === "PLAIN" && node.value === undefined) return; // a merge key
            try {
                if (node.tag !== undefined && node.tag !== null && node.tag !== "!") node.value = resolveTagged(node);
                else if (node.type === "PLAIN") node.value = resolvePlainScalar(shown(node.source ?? node.value ?? ""));
            } catch (e: unknown) {
                const line = node.range ? lineCounter.linePos(node.range[0]).line : 1;
                throw Object.assign(new Error((e as { message?: string }).message), { line });
            }
        },
    });
}

function leadingComment(doc: Document.Parsed): string {
    const c = doc.contents as { commentBefore?: unknown; items?: { key?: { commentBefore?: unknown } | null }[] } | null;
    return shown(doc.commentBefore ?? c?.commentBefore ?? c?.items?.[0]?.key?.commentBefore ?? "");
}

/**
 * Every document of a YAML stream, decoded as the API server decodes it. Empty documents are left out. Throws a
 * `YamlProblem`-shaped error (`line`, `message`) on the first syntax error.
 */
export function parseKubernetesYaml(text: string): ParsedDocument[] {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, schema: "failsafe", merge: true, prettyErrors: false, uniqueKeys: true, logLevel: "error" });
    const list = Array.isArray(docs) ? docs : [docs as unknown as Document.Parsed];
    const out: ParsedDocument[] = [];
    for (const doc of list) {
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
            throw Object.assign(new Error(e.message.split("\n")[0]), { line });
        }
        resolveScalars(doc, lineCounter);
        let value: unknown;
        try {
            value = doc.toJS({ maxAliasCount: 1000 });
        } catch (e: unknown) {
            throw Object.assign(new Error(shown((e as { message?: unknown }).message).split("\n")[0]), { line: 1 });
        }
        if (value === null || value === undefined) continue;
        const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : 1;
        out.push({ value, line, comment: leadingComment(doc) });
    }
    return out;
}

/** Whether a node is a scalar (re-exported for callers walking documents). */
export { isScalar };
