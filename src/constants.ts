// Every id the manifest and the code share, in one place (package.json must match; a test checks it).

export const EXTENSION_ID = 'lark-image-upload.lark-image-upload';

export const Command = {
  SignIn: 'larkImageUpload.signIn',
  SetToken: 'larkImageUpload.setToken',
  SignOut: 'larkImageUpload.signOut',
  TestConnection: 'larkImageUpload.testConnection',
  UploadImages: 'larkImageUpload.uploadImages',
  /** The same gesture, titled for the Explorer menu (where no "Lark:" category is shown). */
  UploadFromExplorer: 'larkImageUpload.uploadFromExplorer',
  UploadAndInsert: 'larkImageUpload.uploadAndInsert',
  ShowLog: 'larkImageUpload.showLog',
  // uploads view: item actions
  InsertKey: 'larkImageUpload.insertKey',
  /** Palette and uploads view: pick the form for this one insert. */
  InsertKeyAs: 'larkImageUpload.insertKeyAs',
  CopyKey: 'larkImageUpload.copyKey',
  RevealFile: 'larkImageUpload.revealFile',
  UploadAgain: 'larkImageUpload.uploadAgain',
  RemoveEntry: 'larkImageUpload.removeEntry',
  // uploads view: title actions
  ClearHistory: 'larkImageUpload.clearHistory',
  // hover links
  PreviewImage: 'larkImageUpload.previewImage',
  // documents: local image references (quick fixes, source action, palette)
  UploadLocalImages: 'larkImageUpload.uploadLocalImages',
  // profiles
  AddProfile: 'larkImageUpload.addProfile',
  SwitchProfile: 'larkImageUpload.switchProfile',
  RenameProfile: 'larkImageUpload.renameProfile',
  RemoveProfile: 'larkImageUpload.removeProfile',
  ShowAllProfilesUploads: 'larkImageUpload.showAllProfilesUploads',
  ShowActiveProfileUploads: 'larkImageUpload.showActiveProfileUploads',
  RekeyForProfile: 'larkImageUpload.rekeyForProfile',
  // quick fixes on a Problems entry of an image Lark refuses for its size, dimensions or format
  FitAndUpload: 'larkImageUpload.fitAndUpload',
  UploadAsFile: 'larkImageUpload.uploadAsFile',
} as const;

export const VIEW_CONTAINER_ID = 'larkImageUpload';
export const UPLOADS_VIEW_ID = 'larkImageUpload.uploads';
export const STATUS_BAR_ITEM_ID = 'larkImageUpload.status';

export const ContextKey = {
  SignedIn: 'larkImageUpload.signedIn',
  HasUploads: 'larkImageUpload.hasUploads',
  UploadsShowAll: 'larkImageUpload.uploadsShowAll',
} as const;

/** contextValue of uploads-view items (menus key on it with `viewItem == ...`). */
export const ViewItem = {
  Uploaded: 'upload.ok',
  Failed: 'upload.failed',
  ProfileGroup: 'upload.profileGroup',
} as const;

export const CONFIG_SECTION = 'larkImageUpload';
export const Setting = {
  Region: 'region',
  CustomBaseUrl: 'customBaseUrl',
  ImageType: 'imageType',
  InsertTemplate: 'insertTemplate',
  CustomTemplate: 'customTemplate',
  Dedupe: 'dedupe',
  Concurrency: 'concurrency',
  PasteDropLanguages: 'pasteDrop.languages',
  LocalImageDiagnostics: 'localImageDiagnostics',
  Profile: 'profile',
  FitImages: 'fitImages',
} as const;

export const SecretKey = {
  Credentials: 'larkImageUpload.credentials',
} as const;

export const StateKey = {
  History: 'larkImageUpload.history.v1',
  DedupeIndex: 'larkImageUpload.dedupe.v1',
  Profiles: 'larkImageUpload.profiles.v1',
  /** Uploads view: all profiles grouped (true) or the active profile's uploads only. */
  UploadsShowAll: 'larkImageUpload.uploads.showAll',
} as const;

export const OUTPUT_CHANNEL_NAME = 'Lark Image Upload';
export const DIAGNOSTIC_SOURCE = 'Lark Image Upload';

/** Extensions offered in the explorer menu; validation decides from the bytes anyway. */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'tif', 'tiff', 'bmp', 'ico'] as const;

/**
 * Kind of our paste/drop edit ("lark.imageKey"): users pick it in the paste/drop widget or make it
 * the default with `editor.pasteAs.preferences` / `editor.dropIntoEditor.preferences`.
 */
export const PASTE_DROP_EDIT_KIND = ['lark', 'imageKey'] as const;

/** Hover: a Lark image key (`img_v2_…`, `img_v3_…`); other `img_` keys only when in history. */
export const IMAGE_KEY_PATTERN = /img_[A-Za-z0-9][A-Za-z0-9_-]*/;
export const NEW_STYLE_IMAGE_KEY = /^img_v\d+_[A-Za-z0-9_-]+$/;
