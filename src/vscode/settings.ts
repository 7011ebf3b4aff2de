// Reads the extension's settings. The base URL is taken ONLY from user (global) settings: a
// workspace's .vscode/settings.json must never be able to redirect credentials (the manifest
// also declares those settings with scope "application").
import * as vscode from 'vscode';
import { CONFIG_SECTION, Setting } from '../constants';
import { REGION_BASE_URLS, normalizeBaseUrl } from '../core/baseUrl';
import { DEFAULT_CONCURRENCY } from '../core/scheduler';
import type { ImageType } from '../core/types';
import type { TemplateId } from '../core/templates';

export interface LarkSettings {
  /** Normalised origin, or an Error explaining why the configured one is refused. */
  baseUrl: string | Error;
  imageType: ImageType;
  insertTemplate: TemplateId;
  customTemplate: string;
  dedupe: boolean;
  concurrency: number;
  /** Images Lark would refuse for size, dimensions or a convertible format: ask, fit them, or leave them failed. */
  fitImages?: FitImagesSetting; // undefined: ask
}

export type FitImagesSetting = 'ask' | 'always' | 'never';

/** Only the user's own value counts; workspace and folder values are ignored on purpose. */
function userValue<T>(config: vscode.WorkspaceConfiguration, key: string, fallback: T): T {
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

/**
 * `scope`: a document reads the values for its language too (insertTemplate is
 * language-overridable: `"[markdown]": {…}`, and Markdown's default is card markdown).
 */
export function readSettings(scope?: vscode.ConfigurationScope): LarkSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const region = userValue<string>(config, Setting.Region, 'lark');
  let baseUrl: string | Error;
  try {
    baseUrl =
      region === 'custom'
        ? normalizeBaseUrl(userValue<string>(config, Setting.CustomBaseUrl, '') || 'invalid:')
        : normalizeBaseUrl(REGION_BASE_URLS[region === 'feishu' ? 'feishu' : 'lark']);
  } catch (e) {
    baseUrl = e instanceof Error ? e : new Error(String(e));
  }
  const imageType = config.get<string>(Setting.ImageType) === 'avatar' ? 'avatar' : 'message';
  const concurrency = Math.max(1, Math.min(16, Math.floor(Number(config.get(Setting.Concurrency)) || DEFAULT_CONCURRENCY)));
  return {
    baseUrl,
    imageType,
    insertTemplate: (config.get<string>(Setting.InsertTemplate) ?? 'raw') as TemplateId,
    customTemplate: config.get<string>(Setting.CustomTemplate) ?? '${imageKey}',
    dedupe: config.get<boolean>(Setting.Dedupe) ?? true,
    concurrency,
    fitImages: fitImagesOf(config.get<string>(Setting.FitImages)),
  };
}

function fitImagesOf(value: string | undefined): FitImagesSetting {
  return value === 'always' || value === 'never' ? value : 'ask';
}

/** Language ids where paste/drop offers our edit; `*` in the list means every language. */
export function pasteDropLanguages(scope?: vscode.Uri): readonly string[] {
  const value = vscode.workspace.getConfiguration(CONFIG_SECTION, scope).get<unknown>(Setting.PasteDropLanguages);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : ['*'];
}
