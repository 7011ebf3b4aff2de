// Bundles each integration test file (test/integration/suite/*.test.ts) with esbuild into
// out/test/integration/suite/<name>.test.js, replacing tsc's per-file output (run by run.sh after
// `tsc -p .`; the in-host entry index.js stays tsc's).
// Why: the test files import our sources (e.g. src/vscode/session -> src/core/larkClient ->
// node-fetch, an ES module). tsc's CommonJS output `require()`s node-fetch, which Node supports
// only from 20.19 on; VS Code 1.99's extension host runs Node 20.18 and refuses it
// (ERR_REQUIRE_ESM). The extension itself is bundled the same way (dist/extension.js), so bundled
// test files run on every extension host the extension runs on.
//   node test/integration/bundle-suite.mjs
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const suiteDir = path.join('test', 'integration', 'suite');
const entryPoints = fs
  .readdirSync(path.join(root, suiteDir))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => path.join(suiteDir, f));
if (entryPoints.length === 0) {
  console.error(`[bundle-suite] no *.test.ts in ${suiteDir}`);
  process.exit(1);
}

/**
 * An ES module of a package that reads `import.meta.url` (e.g. `proxy` loads its package.json
 * through createRequire(import.meta.url)) gets its own file's URL there, as when Node loads it;
 * bundled to CommonJS, `import.meta` would be empty.
 */
const importMetaUrlOfItsFile = {
  name: 'import-meta-url-of-its-file',
  setup(build) {
    build.onLoad({ filter: /\.m?js$/ }, async (args) => {
      if (!args.path.split(path.sep).includes('node_modules')) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

const started = Date.now();
await esbuild.build({
  absWorkingDir: root,
  entryPoints,
  outdir: path.join('out', suiteDir),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // the extension host provides `vscode`; mocha (suite/tdd globals) is index.js's; sharp (the
  // stand-in server converts TIFF downloads with it) loads its binary at run time: not bundlable
  external: ['vscode', 'mocha', 'sharp'],
  sourcemap: true,
  logLevel: 'warning',
  plugins: [importMetaUrlOfItsFile],
});
console.error(`[bundle-suite] ${entryPoints.length} test files bundled in ${Date.now() - started} ms`);
