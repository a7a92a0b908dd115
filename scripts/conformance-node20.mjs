// Node 20 lacks fs.globSync (added in Node 22), which @modelcontextprotocol/conformance 0.1.x
// imports at load time although only its `tier-check` command calls it. Load with
// `node --import ./conformance-node20.mjs`: the conformance package's own `fs` import is
// redirected to a module that re-exports node:fs plus a globSync that throws if ever called.
import { register } from "node:module";

const fsWithGlob = "data:text/javascript," + encodeURIComponent(
  "export * from 'node:fs'; import fs from 'node:fs'; export default fs;" +
  "export function globSync() { throw new Error('fs.globSync needs Node 22'); }");

register("data:text/javascript," + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const fromConformance = context.parentURL && context.parentURL.includes("/@modelcontextprotocol/conformance/");
  if (fromConformance && (specifier === "fs" || specifier === "node:fs")) {
    return { url: ${JSON.stringify(fsWithGlob)}, shortCircuit: true };
  }
  return next(specifier, context);
}`));
