// Bundles the modeller and the viewer into webui/static/modeler/ (minified, self-hosted: no CDN).
// Run with `make frontend`; the output is committed so that the product needs no Node.js at run time.
import { build } from "esbuild";

await build({
  entryPoints: { modeler: "src/modeler.js", viewer: "src/viewer.js" },
  outdir: "../static/modeler",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  jsxImportSource: "@bpmn-io/properties-panel/preact",
  loader: { ".woff": "file", ".woff2": "file", ".eot": "file", ".ttf": "file", ".svg": "file" },
  assetNames: "[name]",
  legalComments: "linked",
  logLevel: "warning",
});
