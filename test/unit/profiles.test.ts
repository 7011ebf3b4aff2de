// Profiles (core/profiles): the list, names, secrets per profile, the workspace choice, and the
// migration from the one-sign-in layout. Memory fakes for the state and the secret store.
import * as assert from 'assert';
import {
  LEGACY_PROFILE_ID,
  ProfileNameError,
  SecretStoreError,
  ProfileStore,
  appIdOf,
  chooseProfile,
  migrateLegacyLayout,
  nameProblem,
  secretKeyFor,
  type Profile,
  type SecretStore,
  type StateStore,
} from '../../src/core/profiles';
import { UploadHistory } from '../../src/core/history';
import { LarkClient } from '../../src/core/larkClient';
import { RateLimiter, rateLimiterFor, type Clock } from '../../src/core/scheduler';

const LEGACY_KEY = 'larkImageUpload.credentials';
const LARK = 'https://open.larksuite.com';
const FEISHU = 'https://open.feishu.cn';

class MemoryState implements StateStore {
  value: unknown;
  writes = 0;
  failNext = false;
  get(): unknown {
    // a copy, as globalState hands out: nothing the store does to it leaks back
    return this.value === undefined ? undefined : JSON.parse(JSON.stringify(this.value));
  }
  async set(value: unknown): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('state write failed');
    }
    this.writes++;
    this.value = JSON.parse(JSON.stringify(value));
  }
}

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  /** Fails the next delete (an interrupted migration). */
  failDelete = false;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    if (this.failDelete) {
      this.failDelete = false;
      throw new Error('keychain locked');
    }
    this.values.delete(key);
  }
}

function fixture(): { state: MemoryState; secrets: MemorySecrets; store: ProfileStore } {
  const state = new MemoryState();
  const secrets = new MemorySecrets();
  let n = 0;
  const store = new ProfileStore(state, secrets, { now: () => 1000, newId: () => `p${++n}` });
  return { state, secrets, store };
}

const app = (appId: string, appSecret = 'secret-' + appId) => ({ kind: 'app' as const, appId, appSecret });

suite('core/profiles: the list, names and secrets', () => {
  test('add: secret under the profile id (not in the list), the new profile is active, default names per region made unique', async () => {
    const { state, secrets, store } = fixture();
    const a = await store.add({ origin: LARK, credentials: app('cli_a') });
    assert.deepStrictEqual(a, { id: 'p1', name: 'Lark', region: 'lark', origin: LARK, appId: 'cli_a', kind: 'app' });
    assert.deepStrictEqual(JSON.parse(secrets.values.get(secretKeyFor('p1')) ?? ''), { kind: 'app', appId: 'cli_a', appSecret: 'secret-cli_a', savedAt: 1000 });
    assert.ok(!JSON.stringify(state.value).includes('secret-cli_a'), 'no secret in the profile list');
    const b = await store.add({ origin: LARK, credentials: app('cli_b') });
    assert.strictEqual(b.name, 'Lark 2');
    const c = await store.add({ origin: FEISHU, credentials: { kind: 'token', token: 't-xyz' } });
    assert.strictEqual(c.name, 'Feishu');
    assert.strictEqual(c.appId, undefined);
    const d = await store.add({ origin: 'http://127.0.0.1:4567', credentials: app('cli_d') });
    assert.deepStrictEqual([d.name, d.region], ['127.0.0.1:4567', 'custom']);
    assert.strictEqual(store.active()?.id, 'p4');
    assert.deepStrictEqual((await store.credentials('p3'))?.kind, 'token');
    assert.strictEqual(store.list().length, 4);
  });

  test('names: unique case-insensitively after trimming, not empty, at most 40 characters, no control characters', async () => {
    const { store } = fixture();
    await store.add({ name: '  Test App ', origin: LARK, credentials: app('cli_a') });
    assert.strictEqual(store.list()[0].name, 'Test App');
    for (const [name, problem] of [
      ['test app', 'duplicate'],
      ['  TEST APP  ', 'duplicate'],
      ['', 'empty'],
      ['   ', 'empty'],
      ['x'.repeat(41), 'tooLong'],
      ['a\nb', 'controlCharacters'],
    ] as const) {
      await assert.rejects(store.add({ name, origin: LARK, credentials: app('cli_z') }), (e: unknown) => e instanceof ProfileNameError && e.problem === problem, name);
    }
    assert.strictEqual(nameProblem('x'.repeat(40), store.list()), undefined);
    assert.strictEqual(store.list().length, 1, 'nothing added by a refused name');
    const b = await store.add({ name: 'Prod', origin: FEISHU, credentials: app('cli_b') });
    await assert.rejects(store.rename(b.id, 'test APP'), (e: unknown) => e instanceof ProfileNameError && e.problem === 'duplicate');
    assert.strictEqual((await store.rename(b.id, ' prod ')).name, 'prod', 'a profile may change the case of its own name');
    assert.strictEqual(store.findByName('PROD')?.id, b.id);
  });

  test('an origin the https rule refuses is refused on add, and dropped when found in the stored list', async () => {
    const { state, secrets, store } = fixture();
    await assert.rejects(store.add({ origin: 'http://example.com', credentials: app('cli_a') }), /only https/);
    assert.strictEqual(secrets.values.size, 0);
    state.value = {
      version: 1,
      activeId: 'evil',
      profiles: [
        { id: 'evil', name: 'Evil', origin: 'http://attacker.example', kind: 'app', appId: 'cli_x' },
        { id: 'ok', name: 'Ok', origin: 'https://open.feishu.cn/', kind: 'app', appId: 'cli_y' },
        { id: 'ok', name: 'Duplicate id', origin: LARK, kind: 'app' },
        'garbage',
      ],
    };
    assert.deepStrictEqual(
      store.list().map((p) => [p.id, p.origin, p.region]),
      [['ok', FEISHU, 'feishu']],
    );
    assert.strictEqual(store.active(), undefined, 'the active id named a dropped profile');
  });

  test('remove: the list first, then the secret; removing the active one picks another, then none; history is not touched', async () => {
    const { secrets, store } = fixture();
    const a = await store.add({ origin: LARK, credentials: app('cli_a') });
    const b = await store.add({ origin: FEISHU, credentials: app('cli_b') });
    assert.strictEqual(store.activeId, b.id);
    const first = await store.remove(b.id);
    assert.strictEqual(first.removed?.id, b.id);
    assert.strictEqual(first.active?.id, a.id);
    assert.strictEqual(secrets.values.has(secretKeyFor(b.id)), false);
    const second = await store.remove(a.id);
    assert.strictEqual(second.active, undefined);
    assert.strictEqual(store.activeId, undefined);
    assert.strictEqual(secrets.values.size, 0);
    assert.deepStrictEqual(await store.remove('nope'), { removed: undefined, active: undefined });
  });

  test('sign out keeps the profile (signed out); signing in again clears the mark; a vanished secret reads as none while the profile says it was not signed out', async () => {
    const { secrets, store } = fixture();
    const a = await store.add({ origin: LARK, credentials: app('cli_a') });
    // the OS keychain was reset: the secret is gone, the profile is not signed out
    secrets.values.clear();
    assert.strictEqual(await store.credentials(a.id), undefined);
    assert.strictEqual(store.get(a.id)?.signedOut, undefined);
    await store.setCredentials(a.id, app('cli_a', 'again'));
    assert.strictEqual((await store.credentials(a.id))?.kind, 'app');
    await store.signOut(a.id);
    assert.strictEqual(store.get(a.id)?.signedOut, true);
    assert.strictEqual(store.activeId, undefined, 'signing out of the active profile leaves none active');
    assert.strictEqual(await store.credentials(a.id), undefined);
    const back = await store.setCredentials(a.id, { kind: 'token', token: 't-1' });
    assert.deepStrictEqual([back.kind, back.appId, back.signedOut], ['token', undefined, undefined]);
    assert.strictEqual(store.activeId, a.id, 'signing in again makes it active');
  });

  test('a failed list write leaves the list as it was and fires no change', async () => {
    const { state, store } = fixture();
    await store.add({ origin: LARK, credentials: app('cli_a') });
    let fired = 0;
    store.onDidChange(() => fired++);
    state.failNext = true;
    await assert.rejects(store.rename('p1', 'New'), /state write failed/);
    assert.strictEqual(store.list()[0].name, 'Lark');
    assert.strictEqual(fired, 0);
    await store.rename('p1', 'New');
    assert.strictEqual(fired, 1);
  });

  test('a failing keychain is a SecretStoreError naming the operation; a failing list store is not', async () => {
    const { state, secrets, store } = fixture();
    const a = await store.add({ origin: LARK, credentials: app('cli_a') });
    const locked = () => Promise.reject(new Error('keychain locked'));
    const real = { get: secrets.get, store: secrets.store, delete: secrets.delete };
    Object.assign(secrets, { get: locked, store: locked, delete: locked });
    await assert.rejects(store.credentials(a.id), (e: unknown) => e instanceof SecretStoreError && e.operation === 'read' && (e.cause as Error).message === 'keychain locked');
    await assert.rejects(store.setCredentials(a.id, app('cli_a', 'new')), (e: unknown) => e instanceof SecretStoreError && e.operation === 'save');
    await assert.rejects(store.signOut(a.id), (e: unknown) => e instanceof SecretStoreError && e.operation === 'delete');
    await assert.rejects(store.add({ origin: FEISHU, credentials: app('cli_b') }), SecretStoreError);
    assert.deepStrictEqual(store.list().map((p) => p.id), [a.id], 'a profile whose secret could not be saved is not added');
    assert.strictEqual(store.get(a.id)?.signedOut, undefined, 'a failed sign-out changes nothing');
    Object.assign(secrets, real);
    state.failNext = true;
    await assert.rejects(store.rename(a.id, 'B'), (e: unknown) => !(e instanceof SecretStoreError));
  });

  test('appIdOf: the App ID, or for a static token an id derived from the profile (never the token)', () => {
    assert.strictEqual(appIdOf({ id: 'p1', kind: 'app', appId: 'cli_a' }), 'cli_a');
    assert.strictEqual(appIdOf({ id: 'p7', kind: 'token' }), 'tenant-token:p7');
  });
});

suite('core/profiles: the workspace choice', () => {
  const profiles: Profile[] = [
    { id: 'a', name: 'Test', region: 'lark', origin: LARK, kind: 'app', appId: 'cli_a' },
    { id: 'b', name: 'Prod', region: 'feishu', origin: FEISHU, kind: 'app', appId: 'cli_b' },
  ];

  test('a trusted workspace picks a profile by name (case-insensitively); otherwise the active one', () => {
    assert.deepStrictEqual(chooseProfile(profiles, 'a', ' prod ', true), { profile: profiles[1], source: 'workspace' });
    assert.deepStrictEqual(chooseProfile(profiles, 'a', undefined, true), { profile: profiles[0], source: 'active' });
    assert.deepStrictEqual(chooseProfile(profiles, 'a', '', true), { profile: profiles[0], source: 'active' });
    assert.deepStrictEqual(chooseProfile(profiles, undefined, undefined, true), { profile: undefined, source: 'none' });
  });

  test('Restricted Mode ignores the workspace setting', () => {
    assert.deepStrictEqual(chooseProfile(profiles, 'a', 'Prod', false), { profile: profiles[0], source: 'active' });
  });

  test('a name that no profile has: the active one, and the unknown name to say so', () => {
    assert.deepStrictEqual(chooseProfile(profiles, 'b', 'Staging', true), { profile: profiles[1], source: 'active', unknownName: 'Staging' });
  });

  test('only a name: an object or an origin-looking value picks nothing', () => {
    assert.deepStrictEqual(chooseProfile(profiles, 'a', { origin: 'https://attacker.example', appId: 'x' }, true), { profile: profiles[0], source: 'active' });
    assert.strictEqual(chooseProfile(profiles, 'a', 'https://attacker.example', true).source, 'active');
  });
});

function memoryHistory(records: unknown[]): { history: UploadHistory; stored: () => unknown } {
  let value: unknown = { version: 1, records };
  const history = new UploadHistory({ get: () => value, set: (v) => void (value = JSON.parse(JSON.stringify(v))) });
  return { history, stored: () => value };
}

const oldRecord = (id: string, baseUrl: string, appId: string | undefined, key: string) => ({
  id,
  fileName: `${id}.png`,
  filePath: `/img/${id}.png`,
  ok: true,
  imageKey: key,
  imageType: 'message',
  at: 1,
  baseUrl,
  ...(appId ? { appId } : {}),
});

suite('core/profiles: migrating the one-sign-in layout', () => {
  test('the stored credentials become one active profile named after the region; that app\'s records are assigned; the old secret goes last', async () => {
    const { secrets, store } = fixture();
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'app', appId: 'cli_old', appSecret: 'old-secret', savedAt: 5 }));
    const { history } = memoryHistory([oldRecord('r1', FEISHU, 'cli_old', 'img_v3_1'), oldRecord('r2', FEISHU, 'cli_other', 'img_v3_2'), oldRecord('r3', LARK, 'cli_old', 'img_v3_3')]);
    const result = await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: FEISHU, history });
    assert.strictEqual(result.outcome, 'migrated');
    assert.deepStrictEqual(store.active(), { id: LEGACY_PROFILE_ID, name: 'Feishu', region: 'feishu', origin: FEISHU, appId: 'cli_old', kind: 'app' });
    assert.deepStrictEqual(await store.credentials(LEGACY_PROFILE_ID), { kind: 'app', appId: 'cli_old', appSecret: 'old-secret', savedAt: 1000 });
    assert.strictEqual(secrets.values.has(LEGACY_KEY), false);
    assert.deepStrictEqual(
      history.list().map((r) => [r.id, r.profileId]),
      [
        ['r1', LEGACY_PROFILE_ID],
        ['r2', undefined],
        ['r3', undefined],
      ],
    );
    // idempotent: a second run changes nothing
    assert.deepStrictEqual(await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: FEISHU, history }), { outcome: 'nothing' });
    assert.strictEqual(store.list().length, 1);
  });

  test('a static token becomes a token profile; its records get the profile\'s stable app id, never the token', async () => {
    const { secrets, store } = fixture();
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'token', token: 't-legacy-token', savedAt: 5 }));
    const { history, stored } = memoryHistory([oldRecord('r1', LARK, undefined, 'img_v3_1')]);
    await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK, history });
    assert.deepStrictEqual([store.active()?.name, store.active()?.kind], ['Lark', 'token']);
    assert.deepStrictEqual([history.list()[0].profileId, history.list()[0].appId], [LEGACY_PROFILE_ID, `tenant-token:${LEGACY_PROFILE_ID}`]);
    assert.ok(!JSON.stringify(stored()).includes('t-legacy-token'));
  });

  test('interrupted before the old secret was deleted: the next run finishes without a second profile', async () => {
    const { secrets, store } = fixture();
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'app', appId: 'cli_old', appSecret: 'old-secret' }));
    secrets.failDelete = true;
    await assert.rejects(migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK }), /keychain locked/);
    assert.strictEqual(store.list().length, 1, 'the new layout was written first');
    assert.ok(secrets.values.has(LEGACY_KEY), 'the old secret is still there');
    assert.strictEqual((await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK })).outcome, 'nothing');
    assert.strictEqual(secrets.values.has(LEGACY_KEY), false);
    assert.strictEqual(store.list().length, 1);
  });

  test('interrupted after the profile was written but before it was marked: resumes on the same profile', async () => {
    const { state, secrets, store } = fixture();
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'app', appId: 'cli_old', appSecret: 'old-secret' }));
    const { history } = memoryHistory([oldRecord('r1', LARK, 'cli_old', 'img_v3_1')]);
    await store.add({ origin: LARK, credentials: { kind: 'app', appId: 'cli_old', appSecret: 'old-secret' } }, LEGACY_PROFILE_ID);
    assert.strictEqual(state.value && (state.value as { legacyMigrated?: boolean }).legacyMigrated, undefined);
    const result = await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK, history });
    assert.strictEqual(result.outcome, 'migrated');
    assert.strictEqual(store.list().length, 1);
    assert.strictEqual(history.list()[0].profileId, LEGACY_PROFILE_ID);
  });

  test('nothing stored (or garbage): nothing is written; a refused base URL setting keeps the old layout', async () => {
    const { state, secrets, store } = fixture();
    assert.strictEqual((await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK })).outcome, 'nothing');
    secrets.values.set(LEGACY_KEY, 'not json');
    assert.strictEqual((await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK })).outcome, 'nothing');
    assert.strictEqual(state.writes, 0);
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'app', appId: 'cli_old', appSecret: 'old-secret' }));
    const refused = await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: new Error('refused') });
    assert.strictEqual(refused.outcome, 'refused-origin');
    assert.strictEqual(state.writes, 0);
    assert.ok(secrets.values.has(LEGACY_KEY));
  });

  test('profiles added before the migration keep the active one', async () => {
    const { secrets, store } = fixture();
    const mine = await store.add({ name: 'Mine', origin: LARK, credentials: app('cli_new') });
    secrets.values.set(LEGACY_KEY, JSON.stringify({ kind: 'app', appId: 'cli_old', appSecret: 'old-secret' }));
    await migrateLegacyLayout({ store, secrets, legacyKey: LEGACY_KEY, origin: LARK });
    assert.deepStrictEqual(store.list().map((p) => p.name), ['Mine', 'Lark']);
    assert.strictEqual(store.activeId, mine.id);
  });
});

/** Virtual time: sleep advances it at once. */
function virtualClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += Math.max(0, ms);
    },
  };
}

suite('core/profiles: one rate budget per app and origin', () => {
  test('two profiles\' clients have different scopes and limiters; the same app at the same origin shares one', () => {
    const a = new LarkClient({ baseUrl: LARK, credentials: app('cli_a') });
    const b = new LarkClient({ baseUrl: LARK, credentials: app('cli_b') });
    const aFeishu = new LarkClient({ baseUrl: FEISHU, credentials: app('cli_a') });
    const aAgain = new LarkClient({ baseUrl: LARK, credentials: app('cli_a', 'other secret') });
    assert.notStrictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(b.scopeKey));
    assert.notStrictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(aFeishu.scopeKey));
    assert.strictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(aAgain.scopeKey));
  });

  test('one app that used its whole second does not hold the other back (injected clock)', async () => {
    const clock = virtualClock();
    const first = new RateLimiter(50, 1000, clock);
    const second = new RateLimiter(50, 1000, clock);
    for (let i = 0; i < 50; i++) await first.acquire();
    assert.strictEqual(clock.now(), 0, '50 starts fit in the first second');
    // the other app still has its whole second: 50 starts without waiting
    for (let i = 0; i < 50; i++) await second.acquire();
    assert.strictEqual(clock.now(), 0, 'the second app did not wait for the first one\'s budget');
    // while the first app's 51st start waits for its own next second
    await first.acquire();
    assert.ok(clock.now() >= 1000, 'the first app waited for its own window');
  });
});
