// Bundles the extension and the CLI with esbuild (called by `npm run build` after the typecheck).
//   node test/build.mjs         production: minified, no source maps
//   node test/build.mjs --dev   development: not minified, with source maps
// src/extension.ts -> dist/extension.js  (cjs, node20, `vscode` external)
// src/referencesWorker.ts -> dist/referencesWorker.js (cjs, node20; a worker thread of the extension)
// src/cli.ts       -> dist/cli.js        (cjs, node20, `#!/usr/bin/env node`, mode 755); skipped
//                                         with a warning while src/cli.ts does not exist
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
  plugins: [dropWebStreamsPolyfill],
  // jsonc-parser's "main" is a UMD build whose require('./impl/...') calls esbuild cannot follow:
  // bundle its ES module build instead (the way VS Code's own extensions bundle it)
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

function removeStaleMap(outfile) {
  // a production build must not ship a map left over from an earlier --dev build
  if (!dev) fs.rmSync(path.join(root, outfile + '.map'), { force: true });
}

async function main() {
  const started = Date.now();
  const built = [];

  await esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
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
    });
    removeStaleMap('dist/cli.js');
    fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);
    built.push('dist/cli.js');
  } else {
    console.warn('[build] warning: src/cli.ts does not exist yet; dist/cli.js not built');
  }

  console.log(`[build] ${built.join(', ')} (${dev ? 'dev' : 'production'}) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  // esbuild already printed the located errors; keep the exit code honest
  if (!(err && Array.isArray(err.errors))) console.error(err);
  process.exit(1);
});
