// `node out/test/bench/loadTime.js FILE`: milliseconds to require() the bundle FILE in plain Node
// with `vscode` stubbed — the code-loading share of activation (compile the bundle, load the Node
// built-ins it requires at top level, run its top-level code); activate() itself is not called.
// The stub: every property is a callable, constructible function (classes extend vscode.X at top
// level); esbuild's __toESM copies the module's own keys, so the keys the bundle uses are listed.
import * as fs from 'fs';
import * as path from 'path';
import Module = require('module');
import { performance } from 'perf_hooks';

const file = path.resolve(process.argv[2]);
const fn = (): unknown =>
  new Proxy(function () {}, {
    get: (_t, k) => (k === 'prototype' ? {} : k === Symbol.toPrimitive ? () => '' : k === 'then' ? undefined : fn()),
    construct: () => fn() as object,
    apply: () => fn(),
  });
const names = new Set<string>();
for (const m of fs.readFileSync(file, 'latin1').matchAll(/\.([A-Z][\w$]*|window|workspace|commands|languages|env|l10n|extensions|authentication)\b/g)) names.add(m[1]);
const vscodeStub = new Proxy({} as Record<string, unknown>, {
  get: (_t, k) => (k === '__esModule' || k === 'then' ? undefined : fn()),
  ownKeys: () => [...names],
  getOwnPropertyDescriptor: (_t, k) => (typeof k === 'string' && names.has(k) ? { configurable: true, enumerable: true, value: fn() } : undefined),
});
const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = M._load;
M._load = function (this: unknown, request: string, ...rest: unknown[]): unknown {
  return request === 'vscode' ? vscodeStub : load.call(this, request, ...rest);
};
const t = performance.now();
require(file);
process.stdout.write(String(performance.now() - t) + '\n');
