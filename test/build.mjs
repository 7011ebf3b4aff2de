// Bundles the extension and the CLI with esbuild (called by `npm run build` after the typecheck).
//   node test/build.mjs         production: minified, no source maps
//   node test/build.mjs --dev   development: not minified, with source maps
// src/extension.ts -> dist/extension.js  (cjs, node20, `vscode` external)
// src/referencesWorker.ts -> dist/referencesWorker.js (cjs, node20; a worker thread of the extension)
// src/cli.ts       -> dist/cli.js        (cjs, node20, `#!/usr/bin/env node`, mode 755); skipped
//                                         with a warning while src/cli.ts does not exist
// sharp (the image codec for fitting, core/fit.ts) cannot be bundled (a native addon or a
// WebAssembly module with worker threads): both bundles keep require('sharp'), and sharp with its
// WebAssembly build and their runtime dependencies are copied to dist/node_modules/ (shipped in
// the .vsix, see .vscodeignore). No native @img/sharp-<os>-<cpu> is copied: one .vsix for every OS.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');

/**
 * fetch-blob (under node-fetch) requires web-streams-polyfill only when globalThis.ReadableStream
 * is missing, which never happens on Node >= 18 (VS Code's extension host, our CLI's minimum).
 * Bundling it anyway costs ~60 KB of the extension's ~190 KB: resolve it to an empty module.
 */
const dropWebStreamsPolyfill = {
  name: 'drop-web-streams-polyfill',
  setup(build) {
    build.onResolve({ filter: /^web-streams-polyfill(\/|$)/ }, (args) => ({ path: args.path, namespace: 'unused-polyfill' }));
    build.onLoad({ filter: /.*/, namespace: 'unused-polyfill' }, () => ({
      contents: "throw new Error('web-streams-polyfill is not bundled: Node >= 18 has ReadableStream');",
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: !dev,
  sourcemap: dev,
  logLevel: 'warning',
  legalComments: 'none',
  // UTF-8 output: the Chinese error hints take 3 bytes a character instead of a 6-byte \uXXXX escape
  // (Node and the extension host read bundles as UTF-8)
  charset: 'utf8',
  plugins: [dropWebStreamsPolyfill],
  // jsonc-parser's "main" is a UMD build whose require('./impl/...') calls esbuild cannot follow:
  // bundle its ES module build instead (the way VS Code's own extensions bundle it)
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

function removeStaleMap(outfile) {
  // a production build must not ship a map left over from an earlier --dev build
  if (!dev) fs.rmSync(path.join(root, outfile + '.map'), { force: true });
}

/** Packages that fitting loads at run time; their runtime dependencies are followed. */
const RUNTIME_PACKAGES = ['sharp', '@img/sharp-wasm32'];
/** Not needed at run time: types, docs, sources, ES module twins of the CommonJS files we load. */
const SKIP_FILE = /(\.d\.[cm]?ts|\.md|\.map|\.mjs|\.gyp|\.cc|\.h)$/i;
const SKIP_DIR = new Set(['src', 'install', 'node_modules']);

/** The folder of package `name` as Node would find it from `from` (walking up node_modules). */
function findPackage(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`[build] ${name} is not installed (needed from ${from})`);
  }
}

function copyPackage(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIR.has(entry.name)) copyPackage(source, path.join(to, entry.name));
    } else if (!SKIP_FILE.test(entry.name) || entry.name === 'package.json') {
      fs.copyFileSync(source, path.join(to, entry.name));
    }
  }
}

/** Copies RUNTIME_PACKAGES and their dependencies (not the optional native builds) to dist/node_modules. */
function vendorRuntimePackages() {
  const out = path.join(root, 'dist', 'node_modules');
  fs.rmSync(out, { recursive: true, force: true });
  const seen = new Map();
  const queue = RUNTIME_PACKAGES.map((name) => ({ name, from: root }));
  while (queue.length > 0) {
    const { name, from } = queue.shift();
    const dir = findPackage(name, from);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (seen.has(name)) {
      if (seen.get(name) !== pkg.version) throw new Error(`[build] two versions of ${name} needed (${seen.get(name)}, ${pkg.version}): the flat copy cannot hold both`);
      continue;
    }
    seen.set(name, pkg.version);
    copyPackage(dir, path.join(out, name));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir });
  }
  return [...seen.keys()];
}

async function main() {
  const started = Date.now();
  const built = [];

  await esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', 'sharp'],
  });
  removeStaleMap('dist/extension.js');
  built.push('dist/extension.js');

  // the worker thread that scans documents for local image references (src/vscode/referenceScanner.ts)
  await esbuild.build({
    ...common,
    entryPoints: ['src/referencesWorker.ts'],
    outfile: 'dist/referencesWorker.js',
  });
  removeStaleMap('dist/referencesWorker.js');
  built.push('dist/referencesWorker.js');

  if (fs.existsSync(path.join(root, 'src/cli.ts'))) {
    await esbuild.build({
      ...common,
      entryPoints: ['src/cli.ts'],
      outfile: 'dist/cli.js',
      banner: { js: '#!/usr/bin/env node' },
      external: ['sharp'],
    });
    removeStaleMap('dist/cli.js');
    fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);
    built.push('dist/cli.js');
  } else {
    console.warn('[build] warning: src/cli.ts does not exist yet; dist/cli.js not built');
  }

  const vendored = vendorRuntimePackages();
  built.push(`dist/node_modules (${vendored.join(', ')})`);

  console.log(`[build] ${built.join(', ')} (${dev ? 'dev' : 'production'}) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  // esbuild already printed the located errors; keep the exit code honest
  if (!(err && Array.isArray(err.errors))) console.error(err);
  process.exit(1);
});
