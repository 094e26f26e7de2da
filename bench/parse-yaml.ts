/**
 * The floor of `istio-egress check FILE`: only parse the file's YAML documents into plain objects, with the same
 * `yaml` calls the CLI makes (`parseAllDocuments` with a LineCounter, then `toJS`), and print how many there are.
 */
import * as fs from "fs";
import { LineCounter, parseAllDocuments } from "yaml";

export function parseDocuments(file: string): unknown[] {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(fs.readFileSync(file, "utf8"), { lineCounter });
    const out: unknown[] = [];
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
        const value: unknown = doc.toJS();
        if (value !== null && value !== undefined) out.push(value);
    }
    return out;
}

if (require.main === module) {
    const file = process.argv[2];
    if (!file) {
        process.stderr.write("usage: node dist/bench/parse-yaml.js FILE\n");
        process.exitCode = 2;
    } else {
        process.stdout.write(`${parseDocuments(file).length} document(s)\n`);
    }
}
