// Profiles: several Lark / Feishu apps side by side. Each profile has a name, an origin (a region
// preset or a custom https origin, loopback http allowed) and credentials kept in the secret store
// under the profile's id (never in the profile list). The list itself and which profile is active
// live in an injected state store (globalState in the extension, a memory fake in tests).
import { randomUUID } from 'crypto';
import { FEISHU_BASE_URL, LARK_BASE_URL, normalizeBaseUrl } from './baseUrl';

export type Region = 'lark' | 'feishu' | 'custom';

export interface Profile {
  id: string;
  name: string;
  region: Region;
  /** Normalised origin every request of this profile goes to. */
  origin: string;
  /** The app's id; undefined for a static tenant token. */
  appId?: string;
  kind: 'app' | 'token';
  /** Signed out on purpose (the secret was removed); a missing secret otherwise means the keychain lost it. */
  signedOut?: boolean;
}

export type NewCredentials = { kind: 'app'; appId: string; appSecret: string } | { kind: 'token'; token: string };
export type StoredCredentials = NewCredentials & { savedAt: number };

/** What is written to the state store. */
interface StoredProfiles {
  version: 1;
  profiles: Profile[];
  activeId?: string;
  /** The pre-profiles layout was migrated (and its secret may be deleted). */
  legacyMigrated?: boolean;
}

export interface StateStore {
  get(): unknown;
  set(value: unknown): Thenable<void> | Promise<void> | void;
}

/** The part of VS Code's SecretStorage profiles need. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined> | Promise<string | undefined>;
  store(key: string, value: string): Thenable<void> | Promise<void>;
  delete(key: string): Thenable<void> | Promise<void>;
}

export const PROFILE_NAME_MAX_LENGTH = 40;
/** The id of the profile the pre-profiles sign-in becomes (fixed, so an interrupted migration resumes instead of duplicating). */
export const LEGACY_PROFILE_ID = 'legacy';
const SECRET_PREFIX = 'larkImageUpload.profile.';

export function secretKeyFor(profileId: string): string {
  return `${SECRET_PREFIX}${profileId}`;
}

/** The profile id a secret key belongs to, or undefined for other keys. */
export function profileIdOfSecretKey(key: string): string | undefined {
  return key.startsWith(SECRET_PREFIX) ? key.slice(SECRET_PREFIX.length) : undefined;
}

/**
 * The app id history records and the hover show for a profile: the App ID, or for a static token
 * a stable id derived from the profile (never from the token, which changes every 2 hours and is
 * a secret).
 */
export function appIdOf(profile: Pick<Profile, 'id' | 'kind' | 'appId'>): string {
  return profile.kind === 'app' && profile.appId ? profile.appId : `tenant-token:${profile.id}`;
}

export function regionOf(origin: string): Region {
  if (origin === LARK_BASE_URL) return 'lark';
  if (origin === FEISHU_BASE_URL) return 'feishu';
  return 'custom';
}

/** "Lark", "Feishu", or the custom host (with its port). */
export function defaultProfileName(origin: string): string {
  const region = regionOf(origin);
  if (region === 'lark') return 'Lark';
  if (region === 'feishu') return 'Feishu';
  try {
    return new URL(origin).host.slice(0, PROFILE_NAME_MAX_LENGTH);
  } catch {
    return 'Custom';
  }
}

export type NameProblem = 'empty' | 'tooLong' | 'duplicate' | 'controlCharacters';

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Why `name` cannot name a profile (`exceptId`: the profile being renamed), or undefined when it can. */
export function nameProblem(name: string, profiles: readonly Profile[], exceptId?: string): NameProblem | undefined {
  const n = name.trim();
  if (n === '') return 'empty';
  if (n.length > PROFILE_NAME_MAX_LENGTH) return 'tooLong';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) return 'controlCharacters';
  if (profiles.some((p) => p.id !== exceptId && sameName(p.name, n))) return 'duplicate';
  return undefined;
}

/** `base`, or `base 2`, `base 3`… : the first that no profile uses. */
export function uniqueName(base: string, profiles: readonly Profile[]): string {
  const trimmed = base.trim().slice(0, PROFILE_NAME_MAX_LENGTH - 4) || 'Profile';
  if (!profiles.some((p) => sameName(p.name, trimmed))) return trimmed;
  for (let i = 2; ; i++) {
    const candidate = `${trimmed} ${i}`;
    if (!profiles.some((p) => sameName(p.name, candidate))) return candidate;
  }
}

/** The secret store (the OS keychain) failed; `cause` is what it threw. Other failures (the profile list's store) are not this. */
export class SecretStoreError extends Error {
  constructor(
    readonly operation: 'read' | 'save' | 'delete',
    cause: unknown,
  ) {
    super(`The secret store could not ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SecretStoreError';
  }
}

async function secretCall<T>(operation: SecretStoreError['operation'], run: () => Thenable<T> | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new SecretStoreError(operation, e);
  }
}

export class ProfileNameError extends Error {
  constructor(
    readonly problem: NameProblem,
    readonly profileName: string,
  ) {
    super(`Profile name "${profileName.slice(0, 60)}" refused: ${problem}`);
    this.name = 'ProfileNameError';
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a stored secret; anything unexpected (old format, hand-edited, corrupt) reads as "none". */
export function parseStoredCredentials(raw: string | undefined): StoredCredentials | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const savedAt = typeof value.savedAt === 'number' && Number.isFinite(value.savedAt) ? value.savedAt : 0;
  if (value.kind === 'app' && nonEmptyString(value.appId) && nonEmptyString(value.appSecret)) {
    return { kind: 'app', appId: value.appId.trim(), appSecret: value.appSecret.trim(), savedAt };
  }
  if (value.kind === 'token' && nonEmptyString(value.token)) {
    return { kind: 'token', token: value.token.trim(), savedAt };
  }
  return undefined;
}

function toProfile(value: unknown): Profile | undefined {
  if (!isObject(value)) return undefined;
  const { id, name, origin, kind } = value;
  if (!nonEmptyString(id) || !nonEmptyString(name) || !nonEmptyString(origin)) return undefined;
  if (kind !== 'app' && kind !== 'token') return undefined;
  let normalized: string;
  try {
    normalized = normalizeBaseUrl(origin);
  } catch {
    return undefined; // an origin the https rule refuses is never used, whatever the stored state says
  }
  const profile: Profile = { id, name: name.trim(), region: regionOf(normalized), origin: normalized, kind };
  if (kind === 'app' && nonEmptyString(value.appId)) profile.appId = value.appId.trim();
  if (value.signedOut === true) profile.signedOut = true;
  return profile;
}

function parseState(value: unknown): StoredProfiles {
  const state: StoredProfiles = { version: 1, profiles: [] };
  if (!isObject(value)) return state;
  if (Array.isArray(value.profiles)) {
    for (const item of value.profiles) {
      const p = toProfile(item);
      // no duplicate ids or names: the first one stored wins
      if (p && !state.profiles.some((q) => q.id === p.id || sameName(q.name, p.name))) state.profiles.push(p);
    }
  }
  if (typeof value.activeId === 'string' && state.profiles.some((p) => p.id === value.activeId)) state.activeId = value.activeId;
  if (value.legacyMigrated === true) state.legacyMigrated = true;
  return state;
}

/** Which profile a window uses, and why. */
export interface ProfileChoice {
  profile: Profile | undefined;
  source: 'workspace' | 'active' | 'none';
  /** The workspace named a profile that does not exist (the active one is used). */
  unknownName?: string;
}

/**
 * The workspace setting `profile` picks a profile by name, only among the user's own profiles and
 * only in a trusted workspace; otherwise (or when no profile has that name) the active profile.
 */
export function chooseProfile(profiles: readonly Profile[], activeId: string | undefined, workspaceName: unknown, trusted: boolean): ProfileChoice {
  const active = profiles.find((p) => p.id === activeId);
  const fallback: ProfileChoice = { profile: active, source: active ? 'active' : 'none' };
  if (!trusted || typeof workspaceName !== 'string' || workspaceName.trim() === '') return fallback;
  const named = profiles.find((p) => sameName(p.name, workspaceName));
  if (named) return { profile: named, source: 'workspace' };
  return { ...fallback, unknownName: workspaceName.trim() };
}

export interface NewProfile {
  name?: string;
  origin: string;
  credentials: NewCredentials;
}

export interface ProfileStoreOptions {
  now?: () => number;
  newId?: () => string;
}

/**
 * The profile list over a state store, the secrets over a secret store. Writes are serialized;
 * a write that needs both stores writes the secret first, so an interruption leaves at most an
 * unused secret, never a profile without the secret it was saved with.
 */
export class ProfileStore {
  private readonly listeners = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(
    private readonly state: StateStore,
    private readonly secrets: SecretStore,
    options: ProfileStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => randomUUID().slice(0, 8));
  }

  private read(): StoredProfiles {
    return parseState(this.state.get());
  }

  list(): readonly Profile[] {
    return this.read().profiles;
  }

  get(id: string): Profile | undefined {
    return this.list().find((p) => p.id === id);
  }

  findByName(name: string): Profile | undefined {
    return this.list().find((p) => sameName(p.name, name));
  }

  get activeId(): string | undefined {
    return this.read().activeId;
  }

  active(): Profile | undefined {
    const { profiles, activeId } = this.read();
    return profiles.find((p) => p.id === activeId);
  }

  get legacyMigrated(): boolean {
    return this.read().legacyMigrated === true;
  }

  /** The profile's credentials; undefined when none are stored or they are unusable. Rejects when the secret store fails. */
  async credentials(id: string): Promise<StoredCredentials | undefined> {
    return parseStoredCredentials(await secretCall('read', () => this.secrets.get(secretKeyFor(id))));
  }

  /** The same app (or, for tokens, nothing: every token profile is its own) at the same origin. */
  findSameApp(origin: string, appId: string | undefined): Profile | undefined {
    if (appId === undefined) return undefined;
    return this.list().find((p) => p.origin === origin && p.kind === 'app' && p.appId === appId);
  }

  /**
   * Adds a profile and makes it active. Name: the given one (rejects with ProfileNameError when
   * refused), else one derived from the origin made unique. Rejects when the origin is refused.
   */
  add(input: NewProfile, id: string = this.newId()): Promise<Profile> {
    return this.mutate(async (state) => {
      const origin = normalizeBaseUrl(input.origin);
      let name: string;
      if (input.name !== undefined) {
        const problem = nameProblem(input.name, state.profiles);
        if (problem) throw new ProfileNameError(problem, input.name);
        name = input.name.trim();
      } else name = uniqueName(defaultProfileName(origin), state.profiles);
      if (state.profiles.some((p) => p.id === id)) throw new Error(`A profile with id ${id} exists already.`);
      const profile: Profile = { id, name, region: regionOf(origin), origin, kind: input.credentials.kind };
      if (input.credentials.kind === 'app') profile.appId = input.credentials.appId.trim();
      await this.writeSecret(id, input.credentials);
      state.profiles.push(profile);
      state.activeId = id;
      return { state, result: profile };
    });
  }

  /** New credentials for an existing profile (signing in again), which becomes active: secret first, then the profile. */
  setCredentials(id: string, credentials: NewCredentials): Promise<Profile> {
    return this.mutate(async (state) => {
      const profile = state.profiles.find((p) => p.id === id);
      if (!profile) throw new Error(`No profile with id ${id}.`);
      await this.writeSecret(id, credentials);
      profile.kind = credentials.kind;
      if (credentials.kind === 'app') profile.appId = credentials.appId.trim();
      else delete profile.appId;
      delete profile.signedOut;
      state.activeId = id;
      return { state, result: { ...profile } };
    });
  }

  /**
   * Removes the profile's secret; the profile stays (signed out) with its history. Signing out of
   * the active profile leaves none active (signed out), rather than switching apps unasked.
   */
  signOut(id: string): Promise<Profile | undefined> {
    return this.mutate(async (state) => {
      const profile = state.profiles.find((p) => p.id === id);
      if (!profile) return { result: undefined };
      await secretCall('delete', () => this.secrets.delete(secretKeyFor(id)));
      profile.signedOut = true;
      if (state.activeId === id) state.activeId = undefined;
      return { state, result: { ...profile } };
    });
  }

  rename(id: string, name: string): Promise<Profile> {
    return this.mutate(async (state) => {
      const profile = state.profiles.find((p) => p.id === id);
      if (!profile) throw new Error(`No profile with id ${id}.`);
      const problem = nameProblem(name, state.profiles, id);
      if (problem) throw new ProfileNameError(problem, name);
      profile.name = name.trim();
      return { state, result: { ...profile } };
    });
  }

  /**
   * Removes the profile (its history stays) and then its secret. Removing the active one makes
   * the first remaining profile active, or none. Resolves with the removed profile and the new active one.
   */
  remove(id: string): Promise<{ removed: Profile | undefined; active: Profile | undefined }> {
    return this.mutate<{ removed: Profile | undefined; active: Profile | undefined }>(async (state) => {
      const removed = state.profiles.find((p) => p.id === id);
      if (!removed) return { result: { removed: undefined, active: state.profiles.find((p) => p.id === state.activeId) } };
      state.profiles = state.profiles.filter((p) => p !== removed);
      if (state.activeId === id) state.activeId = state.profiles[0]?.id;
      return {
        state,
        result: { removed, active: state.profiles.find((p) => p.id === state.activeId) },
        // after the list is written: an interruption leaves an unused secret, not a profile without one
        after: () => secretCall('delete', () => this.secrets.delete(secretKeyFor(id))),
      };
    });
  }

  setActive(id: string | undefined): Promise<Profile | undefined> {
    return this.mutate(async (state) => {
      const profile = id === undefined ? undefined : state.profiles.find((p) => p.id === id);
      if (id !== undefined && !profile) throw new Error(`No profile with id ${id}.`);
      state.activeId = profile?.id;
      return { state, result: profile };
    });
  }

  /** Marks the pre-profiles layout as migrated. */
  markLegacyMigrated(): Promise<void> {
    return this.mutate(async (state) => ({ state: { ...state, legacyMigrated: true }, result: undefined }));
  }

  onDidChange(listener: () => void): { dispose(): void } {
    const wrapped = (): void => listener();
    this.listeners.add(wrapped);
    return { dispose: () => void this.listeners.delete(wrapped) };
  }

  private async writeSecret(id: string, credentials: NewCredentials): Promise<void> {
    const value: StoredCredentials =
      credentials.kind === 'app'
        ? { kind: 'app', appId: credentials.appId.trim(), appSecret: credentials.appSecret.trim(), savedAt: this.now() }
        : { kind: 'token', token: credentials.token.trim(), savedAt: this.now() };
    await secretCall('save', () => this.secrets.store(secretKeyFor(id), JSON.stringify(value)));
  }

  /** Serialized read-modify-write from what the state store holds now. */
  private mutate<T>(change: (state: StoredProfiles) => Promise<{ state?: StoredProfiles; result: T; after?: () => unknown }>): Promise<T> {
    const step = this.queue.then(async () => {
      const { state, result, after } = await change(this.read());
      if (state) {
        await this.state.set(state);
        this.fire();
      }
      if (after) await after();
      return result;
    });
    this.queue = step.catch(() => undefined);
    return step;
  }

  private fire(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // a broken listener must not stop the others
      }
    }
  }
}

/** What the migration may touch in the upload history. */
export interface HistoryAssigner {
  /** Gives every record without a profile that `matches` the profile id and app id; resolves with how many. */
  assignProfile(matches: (record: { baseUrl: string; appId?: string }) => boolean, profileId: string, appId: string): Promise<number>;
}

export interface LegacyLayout {
  store: ProfileStore;
  secrets: SecretStore;
  /** Where the pre-profiles version kept its one sign-in. */
  legacyKey: string;
  /** The origin the user settings give (region / customBaseUrl), or the error when they are refused. */
  origin: string | Error;
  history?: HistoryAssigner;
}

export type MigrationOutcome = 'nothing' | 'migrated' | 'refused-origin';

/**
 * Today's layout (one secret + the region settings) becomes one profile named after the region,
 * active, owning the history records of that origin and app. Idempotent and safe to interrupt:
 * the profile (fixed id) and its secret are written first, the records assigned, the layout
 * marked migrated, and only then the old secret deleted; a re-run resumes where it stopped.
 * Dedupe entries need no rewrite: they are keyed by origin and app (a token's by its digest).
 */
export async function migrateLegacyLayout(layout: LegacyLayout): Promise<{ outcome: MigrationOutcome; profile?: Profile }> {
  const { store, secrets, legacyKey } = layout;
  const raw = await secrets.get(legacyKey);
  if (store.legacyMigrated) {
    if (raw !== undefined) await secrets.delete(legacyKey); // the last step of an interrupted run
    return { outcome: 'nothing' };
  }
  const legacy = parseStoredCredentials(raw);
  if (!legacy) return { outcome: 'nothing' };
  if (typeof layout.origin !== 'string') return { outcome: 'refused-origin' };
  const origin = layout.origin;
  const credentials: NewCredentials = legacy.kind === 'app' ? { kind: 'app', appId: legacy.appId, appSecret: legacy.appSecret } : { kind: 'token', token: legacy.token };
  let profile = store.get(LEGACY_PROFILE_ID);
  if (!profile) {
    const active = store.activeId;
    profile = await store.add({ origin, credentials }, LEGACY_PROFILE_ID);
    if (active !== undefined) await store.setActive(active); // profiles made meanwhile keep theirs
  }
  const appId = appIdOf(profile);
  const legacyAppId = legacy.kind === 'app' ? legacy.appId : undefined;
  await layout.history?.assignProfile((r) => r.baseUrl === origin && r.appId === legacyAppId, profile.id, appId);
  await store.markLegacyMigrated();
  await secrets.delete(legacyKey);
  return { outcome: 'migrated', profile };
}
