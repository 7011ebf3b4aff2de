// The README's pictures, taken in a real VS Code. Pictures, not tests: nothing here is counted or
// asserted beyond "the scene could be set up". Run `bash test/demo/pictures.sh`, which starts the
// integration runner (test/integration/run.sh) with LARK_TEST_PICTURES=1; the in-host entry
// (test/integration/suite/index.ts) then calls takeReadmePictures() instead of the test suite,
// and the runner's screenshot support writes <LARK_TEST_SCREENSHOT_DIR>/<name>.png.
// Runs inside the extension host, against a stand-in Lark server started here.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command, Setting } from '../../src/constants';
import { startLarkServer } from '../larkServer/server';
import { gradientPng } from '../support/pngMaker';
import { getExtension, getExtensionApi, screenshot, sleep } from '../integration/suite/helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const GLOBAL = vscode.ConfigurationTarget.Global;

/** Takes every README picture; returns the PNG paths. */
export async function takeReadmePictures(say: (line: string) => void): Promise<string[]> {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!ws) throw new Error('the pictures need a workspace folder (run.sh opens one)');
  const fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
  if (!fs.existsSync(path.join(fixtures, 'png.png'))) throw new Error(`fixtures missing in ${fixtures}: run the fixture generator first`);
  const api = await getExtensionApi();
  const server = await startLarkServer();
  const file = (rel: string, bytes: Uint8Array): vscode.Uri => {
    const p = path.join(ws, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, bytes);
    return vscode.Uri.file(p);
  };
  const fixture = (name: string): Buffer => fs.readFileSync(path.join(fixtures, name));
  const openEditor = async (rel: string, content: string, language?: string): Promise<vscode.TextEditor> => {
    let doc = await vscode.workspace.openTextDocument(file(rel, Buffer.from(content)));
    if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc);
  };
  const taken: string[] = [];
  try {
    await config().update(Setting.Region, 'custom', GLOBAL);
    await config().update(Setting.CustomBaseUrl, server.baseUrl, GLOBAL);
    await config().update(Setting.InsertTemplate, 'raw', GLOBAL);
    // the wide GIF below stays a Problems entry (with `ask`, the upload would wait for an answer)
    await config().update(Setting.FitImages, 'never', GLOBAL);
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    if (signedIn !== true) throw new Error('could not sign in to the stand-in server');

    // 1. Uploads view, Problems panel and a key inserted into a card.
    await api.uploadFiles(
      [file('images/logo.png', fixture('png.png')), file('images/photo.jpg', fixture('jpg.jpg')), file('images/banner.webp', fixture('webp.webp')), file('images/notes-as.png', fixture('text-as.png'))],
      { insert: false },
    );
    const card = await openEditor('card.json', '{\n  "tag": "img",\n  "img_key": ""\n}\n');
    card.selection = new vscode.Selection(2, 14, 2, 14);
    const diagram = file('images/diagram.png', Buffer.concat([fixture('png.png'), Buffer.from('#diagram')]));
    const wide = file('images/wide.gif', fixture('gif-2001x16.gif'));
    await vscode.commands.executeCommand(Command.UploadImages, diagram, [diagram, wide]);
    await vscode.commands.executeCommand('workbench.view.extension.larkImageUpload');
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await sleep(800); // let the views render
    taken.push(await screenshot('overview'));
    say(`picture: ${taken[taken.length - 1]}`);

    // 2. The hover over an image_key in markdown, showing the uploaded image (the first picture).
    const summary = await api.uploadFiles([file('docs/overview.png', fs.readFileSync(taken[0]))], { insert: false });
    const first = summary?.outcomes[0];
    if (!first?.ok) throw new Error(`could not upload the overview picture: ${JSON.stringify(first)}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const md = await openEditor('docs/release-card.md', `# Release card\n\nThe new overview:\n\n![overview](${first.imageKey})\n`, 'markdown');
    const line = 4;
    const col = md.document.lineAt(line).text.indexOf(first.imageKey) + 8;
    md.selection = new vscode.Selection(line, col, line, col);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.window.showTextDocument(md.document);
    await sleep(500);
    await vscode.commands.executeCommand('editor.action.showHover');
    await sleep(2500); // the image in the hover loads asynchronously
    taken.push(await screenshot('hover', { settleMs: 500 }));
    say(`picture: ${taken[taken.length - 1]}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // 3. Local images in a card's Markdown: the hints and the quick fix menu on one of them.
    file('docs/img/q3-chart.png', Buffer.concat([fixture('png.png'), Buffer.from('#q3-chart')]));
    file('docs/img/team photo.jpg', fixture('jpg.jpg'));
    file('docs/img/logo.webp', fixture('webp.webp'));
    const notes = await openEditor(
      'docs/release-notes.md',
      '# Release 2.4\n\nRevenue is up again this quarter:\n\n![Q3 chart](img/q3-chart.png "Revenue by month")\n\nThe team that shipped it:\n\n![team](<img/team photo.jpg>)\n\n<img src="img/logo.webp" width="120">\n',
      'markdown',
    );
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const chartLine = 4;
    const chartCol = notes.document.lineAt(chartLine).text.indexOf('img/q3-chart.png') + 4;
    notes.selection = new vscode.Selection(chartLine, chartCol, chartLine, chartCol);
    for (let i = 0; i < 50 && vscode.languages.getDiagnostics(notes.document.uri).length < 3; i++) await sleep(100);
    await vscode.commands.executeCommand('editor.action.quickFix');
    await sleep(1500); // the code action menu opens asynchronously
    taken.push(await screenshot('local-images', { clip: { x: 0, y: 0, width: 1000, height: 420 }, settleMs: 500 }));
    say(`picture: ${taken[taken.length - 1]}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // 4. Profiles: the switcher the status bar opens, with two apps.
    const prod = { appId: 'cli_a7f3production01', appSecret: 'picture-secret-not-real-0002' };
    server.addApp(prod);
    const current = api.session.profile()?.name;
    if (current) await vscode.commands.executeCommand(Command.RenameProfile, { profile: current, name: 'Staging bot' });
    if ((await vscode.commands.executeCommand<boolean>(Command.AddProfile, { ...prod, name: 'Production bot' })) !== true) throw new Error('could not add the second profile');
    await vscode.commands.executeCommand(Command.SwitchProfile, { profile: 'Staging bot' });
    await openEditor('docs/card.json', '{\n  "tag": "img",\n  "img_key": "img_v3_02ab_6b1c…"\n}\n');
    void vscode.commands.executeCommand(Command.SwitchProfile); // the status bar's command: a quick pick
    await sleep(1200);
    taken.push(await screenshot('profiles', { clip: { x: 0, y: 0, width: 1280, height: 300 }, settleMs: 300 }));
    say(`picture: ${taken[taken.length - 1]}`);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // 5. Fitting: a document's panorama over Lark's 12000-px limit failed (fitImages `never`, set above);
    //    the quick fix menu on its path offers to fit it.
    file('docs/img/panorama.png', gradientPng(12400, 900));
    const trip = await openEditor('docs/team-trip.md', '# Team trip\n\nThe view from the top:\n\n![panorama](img/panorama.png)\n', 'markdown');
    await vscode.commands.executeCommand(Command.UploadLocalImages, { uri: trip.document.uri.toString() });
    for (let i = 0; i < 100 && !vscode.languages.getDiagnostics(trip.document.uri).some((d) => d.severity === vscode.DiagnosticSeverity.Error); i++) await sleep(100);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.window.showTextDocument(trip.document);
    const panoramaCol = trip.document.lineAt(4).text.indexOf('img/panorama.png') + 4;
    trip.selection = new vscode.Selection(4, panoramaCol, 4, panoramaCol);
    await vscode.commands.executeCommand('editor.action.quickFix');
    await sleep(1500); // the code action menu opens asynchronously
    taken.push(await screenshot('fit-quickfix', { settleMs: 500 }));
    say(`picture: ${taken[taken.length - 1]}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    return taken;
  } finally {
    await vscode.commands.executeCommand(Command.SignOut, { confirm: false });
    for (const key of [Setting.InsertTemplate, Setting.CustomBaseUrl, Setting.Region, Setting.FitImages]) await config().update(key, undefined, GLOBAL);
    await server.close();
  }
}
