// The upgrade from the one-sign-in layout (one secret + the region settings) to profiles, run at
// activation with no prompt: see migrateLegacyLayout in core/profiles.
import { SecretKey } from '../constants';
import type { UploadHistory } from '../core/history';
import { migrateLegacyLayout, type MigrationOutcome, type ProfileStore, type SecretStore } from '../core/profiles';
import type { UploadLog } from './log';
import { readSettings } from './settings';

export async function migrateProfiles(deps: { store: ProfileStore; secrets: SecretStore; history: UploadHistory; log: UploadLog }): Promise<MigrationOutcome | 'failed'> {
  try {
    const { outcome, profile } = await migrateLegacyLayout({
      store: deps.store,
      secrets: deps.secrets,
      legacyKey: SecretKey.Credentials,
      origin: readSettings().baseUrl,
      history: deps.history,
    });
    if (outcome === 'migrated' && profile) deps.log.info(`Your sign-in is now the profile "${profile.name}" (${profile.origin}); its upload history is kept.`);
    if (outcome === 'refused-origin') deps.log.warn('The stored sign-in was not turned into a profile: the Lark base URL setting is refused. Fix the setting and reload the window.');
    return outcome;
  } catch (e) {
    // left as it was: the next activation tries again (every step is safe to repeat)
    deps.log.error(`could not move the stored sign-in to a profile: ${e instanceof Error ? e.message : String(e)}`);
    return 'failed';
  }
}
