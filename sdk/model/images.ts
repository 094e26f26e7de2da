/**
 * Container image references as the container runtime reads them (the grammar of
 * github.com/distribution/reference, with Docker Hub's normalisation: no registry means `docker.io`, a single-name
 * repository means `library/<name>`, `index.docker.io` is `docker.io`).
 */

export interface ImageRef {
    /** Registry host (and port), lower-case: `docker.io`, `gcr.io`, `localhost:5000`. */
    registry: string;
    /** Repository path within the registry: `istio/proxyv2`, `library/nginx`. */
    repository: string;
    tag?: string;
    digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;

/**
 * Parses an image reference; undefined when it is not a valid reference (whitespace, upper-case repository, empty
 * parts...): a caller deciding trust treats that as untrusted.
 */
export function parseImageRef(image: unknown): ImageRef | undefined {
    if (typeof image !== "string" || image.length === 0 || image.length > 4096) return undefined;
    let rest = image;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) return undefined;
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) return undefined;
    }
    const parts = rest.split("/");
    let registry = "docker.io";
    if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost" || /[A-Z]/.test(parts[0]))) {
        registry = parts.shift()!;
        if (!HOST.test(registry)) return undefined;
        registry = registry.toLowerCase();
    }
    if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
    if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
    let repository = parts.join("/");
    if (registry === "docker.io" && parts.length === 1) repository = `library/${repository}`;
    return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `registry/repository` of a reference, normalised (`istio/proxyv2:1.2` → `docker.io/istio/proxyv2`). */
export function imageName(image: unknown): string | undefined {
    const r = parseImageRef(image);
    return r ? `${r.registry}/${r.repository}` : undefined;
}
