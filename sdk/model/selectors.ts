/** Kubernetes label selectors (`matchLabels` + `matchExpressions`), as the API server evaluates them. */

export interface LabelSelectorRequirement {
    key: string;
    operator: string;
    values?: string[];
}

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Whether `labels` satisfy `selector`. An empty selector (`{}`) selects everything; `undefined` is treated the
 * same way (callers decide whether a missing selector means "all" or "none" before calling).
 * Throws on an unknown operator or a requirement whose values contradict its operator, naming `where`.
 */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Record<string, string>, where = "selector"): boolean {
    if (!selector) {
        return true;
    }
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    for (const [i, req] of (selector.matchExpressions ?? []).entries()) {
        const at = `${where}.matchExpressions[${i}]`;
        const has = Object.prototype.hasOwnProperty.call(labels, req.key);
        const values = req.values ?? [];
        switch (req.operator) {
            case "In":
                if (values.length === 0) {
                    throw new Error(`${at}: operator In needs a non-empty values list`);
                }
                if (!has || !values.includes(labels[req.key])) {
                    return false;
                }
                break;
            case "NotIn":
                if (values.length === 0) {
                    throw new Error(`${at}: operator NotIn needs a non-empty values list`);
                }
                // NotIn also matches objects that do not carry the key at all.
                if (has && values.includes(labels[req.key])) {
                    return false;
                }
                break;
            case "Exists":
                if (values.length > 0) {
                    throw new Error(`${at}: operator Exists takes no values`);
                }
                if (!has) {
                    return false;
                }
                break;
            case "DoesNotExist":
                if (values.length > 0) {
                    throw new Error(`${at}: operator DoesNotExist takes no values`);
                }
                if (has) {
                    return false;
                }
                break;
            default:
                throw new Error(`${at}: unknown operator "${req.operator}" (In, NotIn, Exists, DoesNotExist)`);
        }
    }
    return true;
}
