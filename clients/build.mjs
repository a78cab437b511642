// Builds the JS SDK (js/dist/agora.js) and the web app (web/dist/) with esbuild.
// Both outputs are committed: the server embeds web/dist at compile time
// (src/web.rs), so `cargo run` needs no Node. `.ci/run` rebuilds them and fails
// if the result differs from what is committed. `node build.mjs --watch` rebuilds on change.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");
const common = { bundle: true, charset: "utf8", format: "esm", target: "es2020", legalComments: "none", logLevel: "warning" };

const sdk = {
  ...common,
  entryPoints: [join(root, "js/src/index.ts")],
  outfile: join(root, "js/dist/agora.js"),
  platform: "neutral",
  banner: { js: "// @agora/client: built from clients/js/src by clients/build.mjs; do not edit." },
};
const app = {
  ...common,
  entryPoints: { app: join(root, "web/src/main.tsx"), sw: join(root, "web/src/sw.ts") },
  outdir: join(root, "web/dist"),
  minify: true,
  sourcemap: false,
  jsx: "automatic",
  jsxImportSource: "preact",
  loader: { ".css": "css" },
};

// The visitor chat widget: a classic script (an IIFE) for other sites' pages, with its stylesheet.
const widget = {
  ...common,
  format: "iife",
  entryPoints: { widget: join(root, "web/src/widget.ts") },
  outdir: join(root, "web/dist"),
  minify: true,
  loader: { ".css": "css" },
};

// Static files (index.html, manifest, icons) are copied as they are.
function copyStatic() {
  const from = join(root, "web/public");
  mkdirSync(join(root, "web/dist"), { recursive: true });
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(root, "web/dist", f));
}

rmSync(join(root, "web/dist"), { recursive: true, force: true });
copyStatic();
if (watch) {
  for (const opts of [sdk, app, widget]) await (await esbuild.context(opts)).watch();
  console.log("watching clients/js/src and clients/web/src");
} else {
  await Promise.all([esbuild.build(sdk), esbuild.build(app), esbuild.build(widget)]);
}
