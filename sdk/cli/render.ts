// Placeholder until the render command lands; replaced by its owner.
export async function main(_argv: string[]): Promise<number> {
    process.stderr.write("istio-egress render: not implemented yet\n");
    return 2;
}
